"""Storage quota: what a registry uses, how much it may hold, and refusing what does not fit.

A registry holds ``storage_gb`` units (a GB each, see ``ServiceConfig.storage_unit_bytes``).
Each distinct blob referenced inside it counts once, whichever repositories share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudraya_registry.config import ServiceConfig
from cloudraya_registry.db.models import Blob, Registry, Repository, RepositoryBlob
from cloudraya_registry.domain import blobs
from cloudraya_registry.domain.changes import BlobAdded, step_for
from cloudraya_registry.domain.errors import QuotaExceeded

if TYPE_CHECKING:
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.state import ServiceState


def used_bytes(session: Session, registry_id: int) -> int:
    distinct_digests = (
        select(RepositoryBlob.digest)
        .join(Repository, Repository.id == RepositoryBlob.repository_id)
        .where(Repository.registry_id == registry_id)
        .distinct()
        .subquery()
    )
    total = session.scalar(
        select(func.coalesce(func.sum(Blob.size), 0)).join(
            distinct_digests, distinct_digests.c.digest == Blob.digest
        )
    )
    return int(total or 0)


def capacity_bytes(config: ServiceConfig, registry: RegistryInfo) -> int:
    return config.capacity_bytes(registry.storage_gb)


def refusal(
    config: ServiceConfig, registry: RegistryInfo, used: int, incoming: int
) -> QuotaExceeded:
    total = capacity_bytes(config, registry)
    return QuotaExceeded(
        f"storage quota exceeded: registry {registry.name} uses {used} of {total} bytes "
        f"({registry.storage_gb} GB); this {incoming}-byte blob does not fit. Delete unused "
        "images or grow the registry's storage",
        used_bytes=used,
        total_bytes=total,
        total_gb=registry.storage_gb,
        blob_bytes=incoming,
    )


def check_announced(
    session: Session, config: ServiceConfig, registry: RegistryInfo, incoming: int
) -> None:
    """Refuse before reading a body whose announced length alone cannot fit."""
    used = used_bytes(session, registry.id)
    if used + incoming > capacity_bytes(config, registry):
        raise refusal(config, registry, used, incoming)


def room_left(session: Session, config: ServiceConfig, registry: RegistryInfo, already: int) -> int:
    """Bytes an upload that already holds ``already`` bytes may still receive."""
    used = used_bytes(session, registry.id)
    return max(capacity_bytes(config, registry) - used - already, 0)


def check_new_blob(
    session: Session, config: ServiceConfig, registry: RegistryInfo, digest: str, size: int
) -> None:
    """Inside the committing transaction: refuse a new blob that would exceed the quota.

    The registry row is locked (PostgreSQL) so two concurrent commits cannot both squeeze in;
    SQLite writers are serialised already. Content the registry holds already is free.
    """
    if blobs.registry_holds(session, registry.id, digest):
        return
    session.execute(select(Registry.id).where(Registry.id == registry.id).with_for_update())
    used = used_bytes(session, registry.id)
    if used + size > capacity_bytes(config, registry):
        raise refusal(config, registry, used, size)


@step_for(BlobAdded)
def blob_fits(state: ServiceState, session: Session, change: BlobAdded) -> None:
    """A finished upload whose blob is new to the registry must fit its storage."""
    check_new_blob(session, state.config, change.registry, change.digest, change.size)
