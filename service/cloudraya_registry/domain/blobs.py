"""Blob rows and their visibility: content known to the store, and which repositories link it.

A blob is visible in a repository once uploaded, mounted or referenced there; the same content
is stored once for the whole service. Row-level helpers only, used inside other modules'
transactions (:mod:`content` has what a request does with a repository's blobs).
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Blob, Repository, RepositoryBlob, utcnow
from cloudraya_registry.db.session import dialect_insert, dialect_of

# Statements of the push path are built once (building one costs more than running it).
_THE_LINK = (
    RepositoryBlob.repository_id == bindparam("repository"),
    RepositoryBlob.digest == bindparam("digest"),
)
_UNLINK = delete(RepositoryBlob).where(*_THE_LINK).execution_options(synchronize_session=False)
_LINKED_SIZE = (
    select(Blob.size).join(RepositoryBlob, RepositoryBlob.digest == Blob.digest).where(*_THE_LINK)
)
_REGISTRY_HOLDS = (
    select(RepositoryBlob.digest)
    .join(Repository, Repository.id == RepositoryBlob.repository_id)
    .where(
        Repository.registry_id == bindparam("registry"),
        RepositoryBlob.digest == bindparam("digest"),
    )
    .limit(1)
)


@functools.cache
def _ensure_statement(dialect: str):
    return (
        dialect_insert(dialect)(Blob)
        .values(digest=bindparam("digest"), size=bindparam("size"), created_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["digest"])
    )


@functools.cache
def _link_statement(dialect: str):
    statement = dialect_insert(dialect)(RepositoryBlob).values(
        repository_id=bindparam("repository"),
        digest=bindparam("digest"),
        created_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["repository_id", "digest"],
        set_={"created_at": statement.excluded.created_at},
    )


def ensure(session: Session, digest: str, size: int) -> None:
    session.execute(
        _ensure_statement(dialect_of(session)), {"digest": digest, "size": size, "now": utcnow()}
    )


def link(session: Session, repository_id: int, digest: str) -> None:
    """Make a blob visible in a repository (idempotent; refreshes the link's time)."""
    session.execute(
        _link_statement(dialect_of(session)),
        {"repository": repository_id, "digest": digest, "now": utcnow()},
    )


def unlink(session: Session, repository_id: int, digest: str) -> bool:
    """Hide a blob from one repository; False when it was not linked there."""
    removed = session.execute(_UNLINK, {"repository": repository_id, "digest": digest}).rowcount
    return bool(removed)


def linked_size(session: Session, repository_id: int, digest: str) -> int | None:
    """Size of a blob visible in the repository, or None."""
    return session.scalar(_LINKED_SIZE, {"repository": repository_id, "digest": digest})


def registry_holds(session: Session | Connection, registry_id: int, digest: str) -> bool:
    """Whether any repository of the registry links ``digest`` (shared blobs count once)."""
    found = session.scalar(_REGISTRY_HOLDS, {"registry": registry_id, "digest": digest})
    return found is not None
