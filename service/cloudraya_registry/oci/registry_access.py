"""Looking up the registry a data-plane request is about (read per request, never cached)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Registry


@dataclass(frozen=True)
class RegistryInfo:
    """A snapshot of the registry row taken for one request."""

    id: int
    name: str
    project_id: int
    credential_version: int
    password_hash: str
    storage_gb: int
    tag_immutability: bool
    scan_on_push: bool


def load_registry(session: Session, name: str) -> RegistryInfo | None:
    row = session.execute(
        select(
            Registry.id,
            Registry.name,
            Registry.project_id,
            Registry.credential_version,
            Registry.password_hash,
            Registry.storage_gb,
            Registry.tag_immutability,
            Registry.scan_on_push,
        ).where(Registry.name == name)
    ).one_or_none()
    return RegistryInfo(*row) if row is not None else None
