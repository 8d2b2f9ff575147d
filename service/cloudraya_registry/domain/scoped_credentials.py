"""Scoped credentials: named logins of a registry with less than the registry password grants.

Username ``<registry>+<name>``. ``access`` is ``pull`` or ``push`` (push implies pull); neither
may delete on the data plane, and neither reaches the control plane (only the registry
password deletes, only API tokens change settings). ``repositories`` (globs over the path
inside the registry; absent: all) limits where they act, ``expires_at`` when. The password is
generated, returned once and stored hashed. Revoking deletes the credential; a rotation bumps
its ``version``. Data-plane bearer tokens carry the credential's id and version and are checked
against the row on every request, so revocation, rotation and expiry take effect at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import RegistryCredential, as_utc, utcnow
from cloudraya_registry.domain import audit, globs, registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.errors import AlreadyExists, InvalidArgument, NotFound
from cloudraya_registry.security.passwords import generate_password, hash_password

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

SEPARATOR = "+"
ACCESS_LEVELS = ("pull", "push")
NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
NAME_RULE = (
    "1 to 40 characters: lower-case letters, digits and hyphens, starting and ending with a "
    "letter or digit"
)
_NAME = re.compile(NAME_PATTERN)
ACTIONS_BY_ACCESS = {"pull": frozenset({"pull"}), "push": frozenset({"pull", "push"})}


class CredentialNotFound(NotFound):
    pass


def is_credential_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def username(registry: str, name: str) -> str:
    return f"{registry}{SEPARATOR}{name}"


def split_username(value: str) -> tuple[str, str | None]:
    """``(registry, credential name)``; the name is None for the registry's own login."""
    registry, separator, name = value.partition(SEPARATOR)
    return registry, (name if separator else None)


@dataclass(frozen=True)
class Scope:
    """What a scoped credential may do (the data plane asks on every request)."""

    id: int
    registry_id: int
    name: str
    access: str
    repositories: tuple[str, ...] | None
    version: int
    password_hash: str
    expires_at: dt.datetime | None

    def username(self, registry: str) -> str:
        return username(registry, self.name)

    def expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())

    def covers(self, path: str) -> bool:
        """Whether ``path`` (inside the registry) is one of the credential's repositories."""
        return self.repositories is None or globs.matches_any(self.repositories, path)

    def allows(self, path: str | None, action: str) -> bool:
        """``action`` (pull, push, delete) on repository ``path``; None: the catalog."""
        if path is None:
            return self.repositories is None
        return action in ACTIONS_BY_ACCESS[self.access] and self.covers(path)

    def refusal(self, registry: str, path: str | None, action: str) -> str:
        who = f"credential {self.username(registry)}"
        if path is None:
            return f"{who} is limited to some repositories and cannot list the catalog"
        if not self.covers(path):
            return (
                f"{who} grants access only to repositories matching "
                f"{', '.join(self.repositories or ())}; not to {registry}/{path}"
            )
        if action == "delete":
            return f"{who} cannot delete: only the registry's own password may delete"
        return f"{who} grants {self.access} access only; {action} needs a push credential"


_SCOPE = select(
    RegistryCredential.id,
    RegistryCredential.registry_id,
    RegistryCredential.name,
    RegistryCredential.access,
    RegistryCredential.repositories,
    RegistryCredential.version,
    RegistryCredential.password_hash,
    RegistryCredential.expires_at,
)
_BY_NAME = _SCOPE.where(
    RegistryCredential.registry_id == bindparam("registry"),
    RegistryCredential.name == bindparam("name"),
)
_BY_ID = _SCOPE.where(RegistryCredential.id == bindparam("id"))


def _scope(row) -> Scope:
    return Scope(
        id=row.id,
        registry_id=row.registry_id,
        name=row.name,
        access=row.access,
        repositories=tuple(row.repositories) if row.repositories is not None else None,
        version=row.version,
        password_hash=row.password_hash,
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
    )


def load_scope(connection: Session | Connection, registry_id: int, name: str) -> Scope | None:
    """The credential ``name`` of a registry (the data plane's login), or None."""
    if not is_credential_name(name):
        return None
    row = connection.execute(_BY_NAME, {"registry": registry_id, "name": name}).one_or_none()
    return _scope(row) if row is not None else None


def scope_by_id(connection: Session | Connection, credential_id: int) -> Scope | None:
    """The credential a bearer token names, or None once it was revoked."""
    row = connection.execute(_BY_ID, {"id": credential_id}).one_or_none()
    return _scope(row) if row is not None else None


# -- the control plane -------------------------------------------------------------------------
@dataclass(frozen=True)
class CredentialDetails:
    registry: str
    name: str
    username: str
    access: str
    repositories: list[str] | None
    expires_at: dt.datetime | None
    created_at: dt.datetime
    password_updated_at: dt.datetime


@dataclass(frozen=True)
class IssuedCredential:
    details: CredentialDetails
    password: str  # returned once, never stored


def _details(registry: str, row: RegistryCredential) -> CredentialDetails:
    return CredentialDetails(
        registry=registry,
        name=row.name,
        username=username(registry, row.name),
        access=row.access,
        repositories=list(row.repositories) if row.repositories is not None else None,
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
        created_at=as_utc(row.created_at),
        password_updated_at=as_utc(row.password_updated_at),
    )


def check_request(
    name: str, access: str, repositories: list[str] | None, expires_at: dt.datetime | None
) -> None:
    if not is_credential_name(name):
        raise InvalidArgument(f"name: {name!r} is not a credential name: use {NAME_RULE}")
    if access not in ACCESS_LEVELS:
        raise InvalidArgument(
            f"access: must be one of {', '.join(ACCESS_LEVELS)} (got {access!r}); deleting "
            "needs the registry's own password"
        )
    if repositories is not None:
        if not repositories or len(repositories) > globs.MAX_PATTERNS:
            raise InvalidArgument(
                f"repositories: give 1 to {globs.MAX_PATTERNS} repository globs, or leave it "
                "out for all repositories"
            )
        for pattern in repositories:
            if problem := globs.repository_glob_problem(pattern):
                raise InvalidArgument(f"repositories: {problem}")
    if expires_at is not None:
        try:
            when = as_utc(expires_at)
        except OverflowError:
            raise InvalidArgument("expires_at: the time is out of range") from None
        if when <= utcnow():
            raise InvalidArgument(
                f"expires_at: {when.isoformat()} is in the past; give a future time"
            )


def _load(session: Session, registry_id: int, registry: str, name: str) -> RegistryCredential:
    row = session.scalar(
        select(RegistryCredential).where(
            RegistryCredential.registry_id == registry_id, RegistryCredential.name == name
        )
    )
    if row is None:
        raise CredentialNotFound(f"registry {registry!r} has no credential named {name!r}")
    return row


def create(
    state: ServiceState,
    actor: Actor,
    registry_name: str,
    name: str,
    access: str,
    repositories: list[str] | None,
    expires_at: dt.datetime | None,
) -> IssuedCredential:
    check_request(name, access, repositories, expires_at)
    password = generate_password()
    password_hash = hash_password(password)
    target = username(registry_name, name)
    with audit.refusals_recorded(
        state, actor, AuditAction.SCOPED_CREDENTIAL_CREATE, registry_name, target=target
    ):
        try:
            with state.db.write() as session:
                registry = registries.load(session, actor, registry_name, lock=True)
                if load_scope(session, registry.id, name) is not None:
                    raise _exists(registry_name, name)
                now = utcnow()
                row = RegistryCredential(
                    registry_id=registry.id,
                    name=name,
                    access=access,
                    repositories=list(repositories) if repositories is not None else None,
                    password_hash=password_hash,
                    version=1,
                    expires_at=as_utc(expires_at) if expires_at else None,
                    created_at=now,
                    password_updated_at=now,
                )
                session.add(row)
                session.flush()
                audit.record_change(
                    session,
                    actor,
                    AuditAction.SCOPED_CREDENTIAL_CREATE,
                    registry_name,
                    target=target,
                    details={
                        "access": access,
                        "repositories": row.repositories,
                        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
                    },
                )
                details = _details(registry_name, row)
        except IntegrityError as exc:  # a concurrent create of the same name won
            raise _exists(registry_name, name) from exc
    return IssuedCredential(details, password)


def _exists(registry: str, name: str) -> AlreadyExists:
    return AlreadyExists(
        f"registry {registry!r} already has a credential named {name!r}; revoke it first or "
        "choose another name"
    )


def list_all(state: ServiceState, actor: Actor, registry_name: str) -> list[CredentialDetails]:
    with state.db.read() as session:
        registry = registries.load(session, actor, registry_name)
        rows = session.scalars(
            select(RegistryCredential)
            .where(RegistryCredential.registry_id == registry.id)
            .order_by(RegistryCredential.name)
        )
        return [_details(registry_name, row) for row in rows]


def get(state: ServiceState, actor: Actor, registry_name: str, name: str) -> CredentialDetails:
    with state.db.read() as session:
        registry = registries.load(session, actor, registry_name)
        return _details(registry_name, _load(session, registry.id, registry_name, name))


def rotate(state: ServiceState, actor: Actor, registry_name: str, name: str) -> IssuedCredential:
    """A new password; the old one and every token issued from it stop working at once."""
    password = generate_password()
    password_hash = hash_password(password)
    with state.db.write() as session:
        registry = registries.load(session, actor, registry_name, lock=True)
        row = _load(session, registry.id, registry_name, name)
        row.password_hash = password_hash
        row.version = row.version + 1
        row.password_updated_at = utcnow()
        audit.record_change(
            session,
            actor,
            AuditAction.SCOPED_CREDENTIAL_ROTATE,
            registry_name,
            target=username(registry_name, name),
        )
        session.flush()
        return IssuedCredential(_details(registry_name, row), password)


def revoke(state: ServiceState, actor: Actor, registry_name: str, name: str) -> None:
    """Delete the credential: its password and its tokens stop working on the next request."""
    with state.db.write() as session:
        registry = registries.load(session, actor, registry_name, lock=True)
        row = _load(session, registry.id, registry_name, name)
        session.delete(row)
        audit.record_change(
            session,
            actor,
            AuditAction.SCOPED_CREDENTIAL_REVOKE,
            registry_name,
            target=username(registry_name, name),
        )
