"""The data plane's queries and writes on the metadata tables (one place, SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Blob, Manifest, Repository, RepositoryBlob, utcnow


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def find_repository(session: Session, registry_id: int, path: str) -> Repository | None:
    return session.scalar(
        select(Repository).where(Repository.registry_id == registry_id, Repository.name == path)
    )


def ensure_repository(session: Session, registry_id: int, path: str) -> Repository:
    """The repository row, created on first push (safe against a concurrent creator)."""
    session.execute(
        _insert(session, Repository)
        .values(registry_id=registry_id, name=path, created_at=utcnow(), updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["registry_id", "name"])
    )
    repository = find_repository(session, registry_id, path)
    assert repository is not None
    return repository


def touch_repository(session: Session, repository_id: int) -> None:
    session.execute(
        update(Repository).where(Repository.id == repository_id).values(updated_at=utcnow())
    )


def ensure_blob(session: Session, digest: str, size: int) -> None:
    session.execute(
        _insert(session, Blob)
        .values(digest=digest, size=size, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["digest"])
    )


def link_blob(session: Session, repository_id: int, digest: str) -> None:
    """Make a blob visible in a repository (idempotent; refreshes the link's time)."""
    now = utcnow()
    statement = _insert(session, RepositoryBlob).values(
        repository_id=repository_id, digest=digest, created_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["repository_id", "digest"], set_={"created_at": now}
        )
    )


def linked_blob_size(session: Session, repository_id: int, digest: str) -> int | None:
    """Size of a blob visible in the repository, or None."""
    return session.scalar(
        select(Blob.size)
        .join(RepositoryBlob, RepositoryBlob.digest == Blob.digest)
        .where(RepositoryBlob.repository_id == repository_id, RepositoryBlob.digest == digest)
    )


def registry_holds_blob(session: Session, registry_id: int, digest: str) -> bool:
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


def find_manifest(session: Session, repository_id: int, digest: str) -> Manifest | None:
    return session.scalar(
        select(Manifest).where(
            and_(Manifest.repository_id == repository_id, Manifest.digest == digest)
        )
    )
