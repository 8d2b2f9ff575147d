"""Removing the bytes of deleted content right away (the docs promise immediate removal).

Before a registry or repository is deleted its digests are noted; after the rows are gone,
each of those blobs nothing else references is removed from the database and the blob store.
The garbage collector catches anything else later, with its grace period.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, select, union
from sqlalchemy.orm import Session

from cloudraya_registry.db.locks import LockKey, lock_for_transaction
from cloudraya_registry.db.models import (
    Blob,
    Manifest,
    ManifestReference,
    Repository,
    RepositoryBlob,
)

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.purge")


def digests_of(session: Session, repository_ids: list[int]) -> set[str]:
    """Every digest the given repositories link, store as manifests, or point at."""
    if not repository_ids:
        return set()
    query = union(
        select(RepositoryBlob.digest).where(RepositoryBlob.repository_id.in_(repository_ids)),
        select(Manifest.digest).where(Manifest.repository_id.in_(repository_ids)),
        select(ManifestReference.digest)
        .join(Manifest, Manifest.id == ManifestReference.manifest_id)
        .where(Manifest.repository_id.in_(repository_ids)),
    )
    return set(session.scalars(query))


def repository_ids_of(session: Session, registry_id: int) -> list[int]:
    return list(session.scalars(select(Repository.id).where(Repository.registry_id == registry_id)))


def remove_unreferenced(state: ServiceState, digests: set[str]) -> int:
    """Remove each blob of ``digests`` that no repository or manifest references any more."""
    unreferenced = ~exists().where(RepositoryBlob.digest == Blob.digest) & ~exists().where(
        Manifest.digest == Blob.digest
    )
    removed = 0
    for digest in sorted(digests):
        try:
            with state.db.write() as session:
                # Checked under the content lock: another registry may be pushing this content.
                lock_for_transaction(session, LockKey.CONTENT)
                gone = session.execute(
                    delete(Blob).where(Blob.digest == digest, unreferenced)
                ).rowcount
                if gone:
                    state.blob_store.delete(digest)
                    removed += 1
        except Exception:
            log.exception(
                "could not remove blob; the garbage collector will retry", extra={"digest": digest}
            )
    return removed
