"""Storage quota on the push path: a blob that would take a registry past its size is refused.

A registry's size is ``storage_gb`` units of ``BYTES_PER_GB``. The environment variable
``CLOUDRAYA_STORAGE_UNIT_BYTES`` scales the unit down, which only exists so black-box tests can
fill a "10 GB" registry with a few kilobytes; production leaves it unset.
"""

from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Registry
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.metadata import registry_holds_blob
from cloudraya_registry.oci.registry_access import RegistryInfo
from cloudraya_registry.usage import BYTES_PER_GB, used_bytes

UNIT_ENV = "CLOUDRAYA_STORAGE_UNIT_BYTES"
QUOTA_ERROR_STATUS = 403  # code DENIED, as the spec pairs them


def bytes_per_storage_unit() -> int:
    value = os.environ.get(UNIT_ENV)
    return int(value) if value and value.isdigit() and int(value) > 0 else BYTES_PER_GB


def capacity_bytes(registry: RegistryInfo) -> int:
    return registry.storage_gb * bytes_per_storage_unit()


def _refuse(registry: RegistryInfo, used: int, incoming: int) -> OciError:
    total = capacity_bytes(registry)
    return OciError(
        "DENIED",
        f"storage quota exceeded: registry {registry.name} uses {used} of {total} bytes "
        f"({registry.storage_gb} GB); this {incoming}-byte blob does not fit. Delete unused "
        "images or grow the registry's storage",
        status=QUOTA_ERROR_STATUS,
        detail={
            "used_bytes": used,
            "total_bytes": total,
            "total_gb": registry.storage_gb,
            "blob_bytes": incoming,
        },
    )


def check_early(session: Session, registry: RegistryInfo, incoming: int) -> None:
    """Refuse before reading a body whose announced length alone cannot fit."""
    used = used_bytes(session, registry.id)
    if used + incoming > capacity_bytes(registry):
        raise _refuse(registry, used, incoming)


def check_commit(session: Session, registry: RegistryInfo, digest: str, size: int) -> None:
    """Inside the committing transaction: refuse a new blob that would exceed the quota.

    The registry row is locked (PostgreSQL) so two concurrent commits cannot both squeeze in;
    SQLite writers are serialised already.
    """
    if registry_holds_blob(session, registry.id, digest):
        return  # already counted once
    session.execute(select(Registry.id).where(Registry.id == registry.id).with_for_update())
    used = used_bytes(session, registry.id)
    if used + size > capacity_bytes(registry):
        raise _refuse(registry, used, size)
