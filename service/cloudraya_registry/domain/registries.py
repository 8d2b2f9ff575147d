"""Registries: create, read, list, settings, storage and delete (Manage Registry, Delete Registry).

Names are global across projects (they are the endpoint and the username); another project's
registry is as absent as a missing one. Storage only grows, in steps of 10 GB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Registry, Repository, utcnow
from cloudraya_registry.domain import audit, globs, purge, quota
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.errors import (
    AlreadyExists,
    ConfirmationMismatch,
    FailedPrecondition,
    InvalidArgument,
    RegistryNotFound,
)
from cloudraya_registry.domain.names import is_registry_name
from cloudraya_registry.security.passwords import generate_password, hash_password

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

STORAGE_STEP_GB = 10
MIN_STORAGE_GB = 10  # every registry starts with (and includes) this much
MAX_STORAGE_GB = 100_000


@dataclass(frozen=True)
class RegistryInfo:
    """A snapshot of the registry row taken for one data-plane request."""

    id: int
    name: str
    project_id: int
    epoch: str
    credential_version: int
    password_hash: str
    storage_gb: int
    tag_immutability: bool
    scan_on_push: bool
    tag_immutability_exclusions: tuple[str, ...] = ()

    def is_immutable(self, tag: str) -> bool:
        """Whether tag immutability holds ``tag`` (on, and no exclusion glob matches it)."""
        return self.tag_immutability and not globs.matches_any(
            self.tag_immutability_exclusions, tag
        )


_INFO = select(
    Registry.id,
    Registry.name,
    Registry.project_id,
    Registry.epoch,
    Registry.credential_version,
    Registry.password_hash,
    Registry.storage_gb,
    Registry.tag_immutability,
    Registry.scan_on_push,
    Registry.tag_immutability_exclusions,
).where(Registry.name == bindparam("name"))


def load_info(connection: Session | Connection, name: str) -> RegistryInfo | None:
    """The registry named ``name`` whatever its project (data-plane credentials name it).

    Runs on every data-plane request: one prebuilt statement, a plain connection will do.
    """
    row = connection.execute(_INFO, {"name": name}).one_or_none()
    if row is None:
        return None
    *fields, exclusions = row
    return RegistryInfo(*fields, tag_immutability_exclusions=tuple(exclusions or ()))


@dataclass(frozen=True)
class RegistryDetails:
    """A registry as every read shows it: the row plus what is computed from its contents."""

    registry: Registry
    used_bytes: int
    repository_count: int


@dataclass(frozen=True)
class CreatedRegistry:
    details: RegistryDetails
    password: str  # given or generated; returned once, never stored


def find(session: Session, actor: Actor, name: str, *, lock: bool = False) -> Registry | None:
    if not is_registry_name(name):
        return None
    query = select(Registry).where(Registry.name == name, Registry.project_id == actor.project_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def load(session: Session, actor: Actor, name: str, *, lock: bool = False) -> Registry:
    """The actor's registry ``name``; another project's registry is as absent as a missing one."""
    registry = find(session, actor, name, lock=lock)
    if registry is None:
        raise RegistryNotFound(f"registry {name!r} not found")
    return registry


def describe(session: Session, registry: Registry) -> RegistryDetails:
    count = session.scalar(
        select(func.count()).select_from(Repository).where(Repository.registry_id == registry.id)
    )
    return RegistryDetails(registry, quota.stored_bytes(session, registry.id), int(count or 0))


def get_row(state: ServiceState, actor: Actor, name: str) -> Registry:
    """The registry's own fields (settings, storage size) without computed usage."""
    with state.db.read() as session:
        return load(session, actor, name)


def get(state: ServiceState, actor: Actor, name: str) -> RegistryDetails:
    with state.db.read() as session:
        return describe(session, load(session, actor, name))


def list_all(state: ServiceState, actor: Actor) -> list[RegistryDetails]:
    with state.db.read() as session:
        rows = session.scalars(
            select(Registry).where(Registry.project_id == actor.project_id).order_by(Registry.name)
        ).all()
        return [describe(session, row) for row in rows]


def create(
    state: ServiceState, actor: Actor, name: str, password: str | None, storage_gb: int
) -> CreatedRegistry:
    """A registry in the actor's project; a name any registry of the service uses is refused."""
    chosen = password or generate_password()
    password_hash = hash_password(chosen)
    with audit.refusals_recorded(state, actor, AuditAction.REGISTRY_CREATE, name):
        try:
            with state.db.write() as session:
                if session.scalar(select(Registry.id).where(Registry.name == name)):
                    raise _already_exists(name)
                registry = Registry(
                    project_id=actor.project_id,
                    name=name,
                    password_hash=password_hash,
                    storage_gb=storage_gb,
                )
                session.add(registry)
                session.flush()
                audit.record_change(
                    session,
                    actor,
                    AuditAction.REGISTRY_CREATE,
                    name,
                    details={
                        "storage_gb": storage_gb,
                        "password": "given" if password else "generated",
                    },
                )
                details = describe(session, registry)
        except IntegrityError as exc:  # a concurrent create of the same name won the race
            raise _already_exists(name) from exc
    return CreatedRegistry(details, chosen)


def _already_exists(name: str) -> AlreadyExists:
    return AlreadyExists(
        f"a registry named {name!r} already exists; registry names are unique across the "
        "service, choose another name"
    )


def update_settings(
    state: ServiceState,
    actor: Actor,
    name: str,
    *,
    tag_immutability: bool | None = None,
    scan_on_push: bool | None = None,
    tag_immutability_exclusions: list[str] | None = None,
) -> Registry:
    """Change the given settings (None keeps one); they apply to the very next push or pull."""
    if tag_immutability_exclusions is not None:
        check_exclusions(tag_immutability_exclusions)
    wanted = {
        "tag_immutability": tag_immutability,
        "scan_on_push": scan_on_push,
        "tag_immutability_exclusions": tag_immutability_exclusions,
    }
    with state.db.write() as session:
        registry = load(session, actor, name, lock=True)
        changes = {
            field: value
            for field, value in wanted.items()
            if value is not None and (getattr(registry, field) or type(value)()) != value
        }
        if changes:
            for field, value in changes.items():
                setattr(registry, field, value)
            registry.updated_at = utcnow()
            audit.record_change(session, actor, AuditAction.SETTINGS_UPDATE, name, details=changes)
            session.flush()
        return registry


def exclusions_of(registry: Registry) -> list[str]:
    return list(registry.tag_immutability_exclusions or [])


def check_exclusions(patterns: list[str]) -> None:
    """Tag globs that stay mutable while tag immutability is on."""
    if len(patterns) > globs.MAX_PATTERNS:
        raise InvalidArgument(
            f"tag_immutability_exclusions: at most {globs.MAX_PATTERNS} patterns "
            f"(got {len(patterns)})"
        )
    for pattern in patterns:
        if problem := globs.tag_glob_problem(pattern):
            raise InvalidArgument(f"tag_immutability_exclusions: {problem}")


def parse_storage_gb(raw: str) -> int:
    """A size typed into a form; the rules themselves are checked by :func:`resize_storage`."""
    text = raw.strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidArgument(
            f"storage_gb: must be a whole number of GB, a multiple of {STORAGE_STEP_GB} "
            f"(got {raw!r})"
        )
    return int(text)


def check_storage_gb(storage_gb: int) -> None:
    if storage_gb % STORAGE_STEP_GB:
        raise InvalidArgument(
            f"storage_gb: must be a multiple of {STORAGE_STEP_GB} (got {storage_gb!r})"
        )
    if storage_gb < MIN_STORAGE_GB:
        raise InvalidArgument(f"storage_gb: must be at least {MIN_STORAGE_GB} (got {storage_gb!r})")
    if storage_gb > MAX_STORAGE_GB:
        raise InvalidArgument(f"storage_gb: must be at most {MAX_STORAGE_GB} (got {storage_gb!r})")


def resize_storage(
    state: ServiceState, actor: Actor, name: str, storage_gb: int
) -> RegistryDetails:
    """Grow the allocation; the same size is a no-op, a smaller one is refused."""
    check_storage_gb(storage_gb)
    with (
        audit.refusals_recorded(state, actor, AuditAction.STORAGE_RESIZE, name),
        state.db.write() as session,
    ):
        registry = load(session, actor, name, lock=True)
        current = registry.storage_gb
        if storage_gb < current:
            raise FailedPrecondition(
                f"storage can only grow in steps of {STORAGE_STEP_GB} GB: {name} has "
                f"{current} GB; requested {storage_gb} GB",
                current_gb=current,
                requested_gb=storage_gb,
            )
        if storage_gb > current:
            registry.storage_gb = storage_gb
            registry.updated_at = utcnow()
            audit.record_change(
                session,
                actor,
                AuditAction.STORAGE_RESIZE,
                name,
                details={"from_gb": current, "to_gb": storage_gb},
            )
            session.flush()
        return describe(session, registry)


def delete(state: ServiceState, actor: Actor, name: str, confirm: str) -> None:
    """Remove the registry and everything in it, if ``confirm`` is exactly its name.

    Repositories, images, tags, scan data and the credential go with the row; blobs no other
    registry references are removed at once; the audit log of the name stays.
    """
    with (
        audit.refusals_recorded(state, actor, AuditAction.REGISTRY_DELETE, name),
        state.db.write() as session,
    ):
        registry = load(session, actor, name, lock=True)
        if not confirm:
            raise InvalidArgument(
                f"confirm: is required; deleting registry {name!r} removes all its "
                f"repositories and images, pass confirm={name} to proceed"
            )
        if confirm != name:
            raise ConfirmationMismatch(
                f"confirm must be exactly the registry name {name!r}; nothing was deleted"
            )
        digests = purge.digests_of(session, purge.repository_ids_of(session, registry.id))
        audit.record_change(session, actor, AuditAction.REGISTRY_DELETE, name)
        session.delete(registry)
    purge.remove_unreferenced(state, digests)
    state.collect_garbage_soon(f"registry {name} deleted")
