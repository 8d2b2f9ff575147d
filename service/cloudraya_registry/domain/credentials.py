"""The registry credential: password reset and verification (Reset Registry Password).

A reset bumps ``credential_version``; the data plane refuses bearer tokens issued under an
older version, so the old password and every token derived from it stop working at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudraya_registry.db.models import utcnow
from cloudraya_registry.domain import audit, registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.security.passwords import (
    MAX_PASSWORD_LENGTH,
    generate_password,
    hash_password,
)

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@dataclass(frozen=True)
class NewCredential:
    username: str
    password: str  # shown once to whoever reset it, never stored
    password_updated_at: dt.datetime


def reset_password(
    state: ServiceState, actor: Actor, name: str, password: str | None = None
) -> NewCredential:
    """Set ``password`` (already checked against the strength rule) or a generated one."""
    chosen = password or generate_password()
    password_hash = hash_password(chosen)
    with state.db.write() as session:
        registry = registries.load(session, actor, name, lock=True)
        now = utcnow()
        registry.password_hash = password_hash
        registry.credential_version = registry.credential_version + 1
        registry.password_updated_at = now
        registry.updated_at = now
        audit.record_change(
            session,
            actor,
            AuditAction.PASSWORD_RESET,
            name,
            details={
                "password": "given" if password else "generated",
                "credential_version": registry.credential_version,
            },
        )
    return NewCredential(registry.name, chosen, now)


def is_current_password(state: ServiceState, actor: Actor, name: str, password: str) -> bool:
    """Whether ``password`` is the registry's current one (a wrong one is not an error)."""
    with state.db.read() as session:
        password_hash = registries.load(session, actor, name).password_hash
    if len(password) > MAX_PASSWORD_LENGTH or not _encodable(password):
        return False
    return state.password_checks.verify_blocking(password_hash, password)


def _encodable(text: str) -> bool:
    """JSON can carry lone surrogates; no stored password contains one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
