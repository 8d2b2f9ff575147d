"""Storage used by a registry: each distinct blob referenced inside it counts once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Blob, Repository, RepositoryBlob

BYTES_PER_GB = 1024**3


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
