"""Control-plane API tokens: high-entropy random strings stored only as SHA-256 digests.

A fast hash is enough here because the tokens carry ~256 bits of entropy; guessing is hopeless
and a slow KDF would only add latency to every API call. A token may expire (``expires_at``);
revoking one deletes it, which also ends the dashboard sessions signed in with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import ApiToken, Project, as_utc, utcnow
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

TOKEN_PREFIX = "crt_"
DEFAULT_LIFETIME = dt.timedelta(days=90)
MAX_LIFETIME = dt.timedelta(days=3650)
MAX_NAME_LENGTH = 100


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenOwner:
    """Who an API token speaks for, and until when (None: no expiry)."""

    project_id: int
    project_name: str
    token_name: str
    expires_at: dt.datetime | None = None

    def expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its value)."""

    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


def owner_by_digest(session: Session, digest: str) -> TokenOwner | None:
    """The owner of the token with this digest, expired or not (callers decide)."""
    row = session.execute(
        select(ApiToken, Project)
        .join(Project, Project.id == ApiToken.project_id)
        .where(ApiToken.token_sha256 == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.ApiToken.token_sha256, digest):
        return None
    expires_at = row.ApiToken.expires_at
    return TokenOwner(
        row.Project.id,
        row.Project.name,
        row.ApiToken.name,
        as_utc(expires_at) if expires_at else None,
    )


def find_token_owner(session: Session, token: str) -> TokenOwner | None:
    return owner_by_digest(session, token_digest(token))


def ensure_project(session: Session, name: str) -> Project:
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        project = Project(name=name)
        session.add(project)
        session.flush()
    return project


def add_token(
    session: Session,
    project: Project,
    name: str,
    token: str,
    lifetime: dt.timedelta | None = None,
) -> ApiToken:
    """Store a token's digest; ``lifetime`` None means it never expires."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"name: must be 1 to {MAX_NAME_LENGTH} characters")
    if lifetime is not None and not dt.timedelta(0) < lifetime <= MAX_LIFETIME:
        raise InvalidArgument(
            f"expiry: a token lives between a second and {MAX_LIFETIME.days} days, or never"
        )
    row = ApiToken(
        project_id=project.id,
        name=name,
        token_sha256=token_digest(token),
        expires_at=utcnow() + lifetime if lifetime is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.name,
        as_utc(row.created_at),
        as_utc(row.expires_at) if row.expires_at else None,
    )


def create(
    state: ServiceState, actor: Actor, name: str, lifetime: dt.timedelta | None
) -> tuple[TokenInfo, str]:
    """A new token of the actor's project; its value is returned once, never stored."""
    token = generate_token()
    with state.db.write() as session:
        project = session.get(Project, actor.project_id)
        assert project is not None
        row = add_token(session, project, name, token, lifetime)
        return _info(row), token


def list_project(state: ServiceState, project_id: int) -> list[TokenInfo]:
    with state.db.read() as session:
        rows = session.scalars(
            select(ApiToken).where(ApiToken.project_id == project_id).order_by(ApiToken.id)
        ).all()
    return [_info(row) for row in rows]


def revoke(state: ServiceState, project_id: int, token_id: int) -> None:
    """Delete a token of the project; it stops working at once (dashboard sessions too)."""
    with state.db.write() as session:
        removed = session.execute(
            delete(ApiToken).where(ApiToken.id == token_id, ApiToken.project_id == project_id)
        ).rowcount
    if not removed:
        raise NotFound(f"API token {token_id} not found in this project")


def project_id_of(state: ServiceState, name: str) -> int:
    with state.db.read() as session:
        project_id = session.scalar(select(Project.id).where(Project.name == name))
    if project_id is None:
        raise NotFound(f"project {name!r} not found")
    return project_id
