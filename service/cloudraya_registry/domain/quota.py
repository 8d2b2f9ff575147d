"""Storage quota: what a registry holds, how much it may hold, and refusing what does not fit.

A registry holds ``storage_gb`` units (a GB each, see ``ServiceConfig.storage_unit_bytes``).
It is charged for each distinct blob referenced inside it once (layers, configs and manifests
alike, whichever repositories share them) plus the bytes its unfinished upload sessions have
received, and it may keep at most ``--max-open-uploads`` such sessions. Sessions past
``--upload-expiry`` no longer count (they are collected).

Every check here runs inside the transaction that commits the change (see :mod:`changes`):
the registry row is locked first (PostgreSQL), so concurrent commits cannot both squeeze in;
SQLite writers are serialised already.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from cloudraya_registry.config import ServiceConfig
from cloudraya_registry.db.models import Blob, Registry, Repository, RepositoryBlob, Upload, utcnow
from cloudraya_registry.domain import blobs
from cloudraya_registry.domain.changes import BlobAdded, ManifestPushed, UploadOpened, step_for
from cloudraya_registry.domain.errors import QuotaExceeded

if TYPE_CHECKING:
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.state import ServiceState


@dataclass(frozen=True)
class Usage:
    stored: int  # distinct blobs referenced in the registry
    uploading: int  # received by unfinished upload sessions

    @property
    def total(self) -> int:
        return self.stored + self.uploading


# Statements of the push path are built once (building one costs more than running it).
_DISTINCT_DIGESTS = (
    select(RepositoryBlob.digest)
    .join(Repository, Repository.id == RepositoryBlob.repository_id)
    .where(Repository.registry_id == bindparam("registry"))
    .distinct()
    .subquery()
)
_STORED_BYTES = select(func.coalesce(func.sum(Blob.size), 0)).join(
    _DISTINCT_DIGESTS, _DISTINCT_DIGESTS.c.digest == Blob.digest
)
# Live upload sessions of a registry, but one ("" leaves none out: no upload id is empty).
_LIVE_UPLOADS = (
    select(Upload)
    .join(Repository, Repository.id == Upload.repository_id)
    .where(
        Repository.registry_id == bindparam("registry"),
        Upload.updated_at > bindparam("since"),
        Upload.id != bindparam("but_upload"),
    )
)
_UPLOADING_BYTES = _LIVE_UPLOADS.with_only_columns(func.coalesce(func.sum(Upload.offset), 0))
_OPEN_UPLOADS = _LIVE_UPLOADS.with_only_columns(func.count())
_LOCK_REGISTRY = select(Registry.id).where(Registry.id == bindparam("registry")).with_for_update()


def stored_bytes(session: Session | Connection, registry_id: int) -> int:
    """Bytes of the distinct blobs referenced inside the registry (what it shows as used)."""
    return int(session.scalar(_STORED_BYTES, {"registry": registry_id}) or 0)


def live_uploads_since(config: ServiceConfig) -> dt.datetime:
    """Upload sessions touched after this are unfinished; older ones are expired."""
    return utcnow() - dt.timedelta(seconds=config.upload_expiry_seconds)


def _live_upload_params(config: ServiceConfig, registry_id: int, but_upload: str | None = None):
    return {
        "registry": registry_id,
        "since": live_uploads_since(config),
        "but_upload": but_upload or "",
    }


def usage(
    session: Session | Connection,
    config: ServiceConfig,
    registry_id: int,
    *,
    but_upload: str | None = None,
) -> Usage:
    """What the registry is charged for; ``but_upload`` leaves one session's bytes out."""
    uploading = session.scalar(
        _UPLOADING_BYTES, _live_upload_params(config, registry_id, but_upload)
    )
    return Usage(stored_bytes(session, registry_id), int(uploading or 0))


def open_uploads(session: Session, config: ServiceConfig, registry_id: int) -> int:
    return int(session.scalar(_OPEN_UPLOADS, _live_upload_params(config, registry_id)) or 0)


def capacity_bytes(config: ServiceConfig, registry: RegistryInfo) -> int:
    return config.capacity_bytes(registry.storage_gb)


def refusal(
    config: ServiceConfig, registry: RegistryInfo, used: Usage, incoming: int, what: str = "blob"
) -> QuotaExceeded:
    total = capacity_bytes(config, registry)
    pending = f" ({used.uploading} of them in unfinished uploads)" if used.uploading else ""
    return QuotaExceeded(
        f"storage quota exceeded: registry {registry.name} uses {used.total} of {total} bytes "
        f"({registry.storage_gb} GB){pending}; this {incoming}-byte {what} does not fit. "
        "Delete unused images or grow the registry's storage",
        used_bytes=used.total,
        total_bytes=total,
        total_gb=registry.storage_gb,
        blob_bytes=incoming,
    )


def check_announced(
    session: Session | Connection,
    config: ServiceConfig,
    registry: RegistryInfo,
    incoming: int,
    *,
    but_upload: str | None = None,
) -> None:
    """Refuse before reading a body whose announced length alone cannot fit."""
    used = usage(session, config, registry.id, but_upload=but_upload)
    if used.total + incoming > capacity_bytes(config, registry):
        raise refusal(config, registry, used, incoming)


def room_left(
    session: Session | Connection,
    config: ServiceConfig,
    registry: RegistryInfo,
    already: int,
    *,
    but_upload: str | None = None,
) -> int:
    """Bytes an upload that already holds ``already`` bytes may still receive."""
    used = usage(session, config, registry.id, but_upload=but_upload)
    return max(capacity_bytes(config, registry) - used.total - already, 0)


def _lock_registry(session: Session, registry: RegistryInfo) -> None:
    session.execute(_LOCK_REGISTRY, {"registry": registry.id})


def check_new_content(
    session: Session,
    config: ServiceConfig,
    registry: RegistryInfo,
    digest: str,
    size: int,
    *,
    what: str = "blob",
    but_upload: str | None = None,
) -> None:
    """Refuse content new to the registry that would exceed the quota (held content is free)."""
    if blobs.registry_holds(session, registry.id, digest):
        return
    _lock_registry(session, registry)
    used = usage(session, config, registry.id, but_upload=but_upload)
    if used.total + size > capacity_bytes(config, registry):
        raise refusal(config, registry, used, size, what)


@step_for(BlobAdded)
def blob_fits(state: ServiceState, session: Session, change: BlobAdded) -> None:
    """A finished upload's blob, new to the registry, must fit (its own session aside)."""
    check_new_content(
        session,
        state.config,
        change.registry,
        change.digest,
        change.size,
        but_upload=change.upload_id,
    )


@step_for(ManifestPushed)
def manifest_fits(state: ServiceState, session: Session, change: ManifestPushed) -> None:
    """Manifests are content too: a new one must fit like any blob."""
    check_new_content(
        session, state.config, change.registry, change.digest, change.size, what="manifest"
    )


@step_for(UploadOpened)
def upload_sessions_fit(state: ServiceState, session: Session, change: UploadOpened) -> None:
    """A registry keeps at most ``--max-open-uploads`` unfinished upload sessions."""
    _lock_registry(session, change.registry)
    config = state.config
    count = open_uploads(session, config, change.registry.id)
    if count >= config.max_open_uploads:
        raise QuotaExceeded(
            f"registry {change.registry.name} has {count} unfinished uploads, the most it may "
            "hold at once; finish or cancel some (DELETE their Location), or wait until "
            f"unused ones expire after {int(config.upload_expiry_seconds)} s",
            open_uploads=count,
            max_open_uploads=config.max_open_uploads,
        )
