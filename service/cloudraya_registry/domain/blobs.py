"""Blob rows and their visibility: content known to the store, and which repositories link it.

A blob is visible in a repository once uploaded, mounted or referenced there; the same content
is stored once for the whole service. Row-level helpers only, used inside other modules'
transactions (:mod:`content` has what a request does with a repository's blobs).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Blob, Repository, RepositoryBlob, utcnow
from cloudraya_registry.db.session import insert_for


def ensure(session: Session, digest: str, size: int) -> None:
    session.execute(
        insert_for(session, Blob)
        .values(digest=digest, size=size, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["digest"])
    )


def link(session: Session, repository_id: int, digest: str) -> None:
    """Make a blob visible in a repository (idempotent; refreshes the link's time)."""
    now = utcnow()
    statement = insert_for(session, RepositoryBlob).values(
        repository_id=repository_id, digest=digest, created_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["repository_id", "digest"], set_={"created_at": now}
        )
    )


def unlink(session: Session, repository_id: int, digest: str) -> bool:
    """Hide a blob from one repository; False when it was not linked there."""
    removed = session.execute(
        delete(RepositoryBlob).where(
            RepositoryBlob.repository_id == repository_id, RepositoryBlob.digest == digest
        )
    ).rowcount
    return bool(removed)


def linked_size(session: Session, repository_id: int, digest: str) -> int | None:
    """Size of a blob visible in the repository, or None."""
    return session.scalar(
        select(Blob.size)
        .join(RepositoryBlob, RepositoryBlob.digest == Blob.digest)
        .where(RepositoryBlob.repository_id == repository_id, RepositoryBlob.digest == digest)
    )


def registry_holds(session: Session, registry_id: int, digest: str) -> bool:
    """Whether any repository of the registry links ``digest`` (shared blobs count once)."""
    return (
        session.scalar(
            select(RepositoryBlob.digest)
            .join(Repository, Repository.id == RepositoryBlob.repository_id)
            .where(Repository.registry_id == registry_id, RepositoryBlob.digest == digest)
            .limit(1)
        )
        is not None
    )
