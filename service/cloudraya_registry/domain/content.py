"""A repository's blobs: what a pull finds, what a push adds (upload sessions, monolithic
uploads, mounts) and what a delete unlinks.

Upload bytes go to the upload's file in the blob store; a blob becomes visible only when the
upload is committed: digest verified, checks passed, file renamed into place inside the
transaction that links it, so nothing partial is ever served.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, insert, select, update

from cloudraya_registry.db.locks import LockKey, lock_for_transaction
from cloudraya_registry.db.models import Blob, Repository, RepositoryBlob, Upload, as_utc, utcnow
from cloudraya_registry.domain import blobs, quota, repositories
from cloudraya_registry.domain.changes import BlobAdded, BlobRemoved, Check, UploadOpened
from cloudraya_registry.domain.errors import BlobNotFound, QuotaExceeded, UploadNotFound

if TYPE_CHECKING:
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.uploads")


def _full(registry: RegistryInfo, repository: str) -> str:
    return f"{registry.name}/{repository}"


def blob_unknown(registry: RegistryInfo, repository: str, digest: str) -> BlobNotFound:
    return BlobNotFound(
        f"blob {digest} is not in repository {_full(registry, repository)}", digest=digest
    )


# -- pulls -----------------------------------------------------------------------------------
_LINKED_SIZE = (
    select(Blob.size, Repository.id)
    .select_from(Repository)
    .outerjoin(
        RepositoryBlob,
        (RepositoryBlob.repository_id == Repository.id)
        & (RepositoryBlob.digest == bindparam("digest")),
    )
    .outerjoin(Blob, Blob.digest == RepositoryBlob.digest)
    .where(
        Repository.registry_id == bindparam("registry"),
        Repository.name == bindparam("repository"),
    )
)


def blob_size(state: ServiceState, registry: RegistryInfo, repository: str, digest: str) -> int:
    """Size of a blob the repository links (only linked content is served); one query."""
    params = {"registry": registry.id, "repository": repository, "digest": digest}
    with state.db.connect() as connection:
        found = connection.execute(_LINKED_SIZE, params).first()
    if found is None:
        raise repositories.unknown(registry.name, repository)
    if found.size is None:
        raise blob_unknown(registry, repository, digest)
    return found.size


# -- deletes ---------------------------------------------------------------------------------
def remove_blob(
    state: ServiceState, registry: RegistryInfo, repository: str, digest: str, check: Check
) -> None:
    """Unlink a blob from one repository; its bytes go at the next garbage collection."""
    with state.db.write() as session:
        repo = repositories.load(session, registry.id, registry.name, repository)
        check(session, BlobRemoved(registry, _full(registry, repository), repo.id, digest))
        if not blobs.unlink(session, repo.id, digest):
            raise blob_unknown(registry, repository, digest)


# -- pushes ----------------------------------------------------------------------------------
# Statements of the push path are built once (building one costs more than running it).
_NEW_UPLOAD = insert(Upload).values(
    id=bindparam("upload"),
    repository_id=bindparam("repository"),
    offset=0,
    started_at=bindparam("now"),
    updated_at=bindparam("now"),
)
_RECORD_OFFSET = (
    update(Upload)
    .where(Upload.id == bindparam("upload"))
    .values(offset=bindparam("offset"), updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
# When an upload session of this repository was last touched (no row: not one of its sessions).
_UPLOAD_TOUCHED = (
    select(Upload.updated_at)
    .join(Repository, Repository.id == Upload.repository_id)
    .where(
        Upload.id == bindparam("upload"),
        Repository.registry_id == bindparam("registry"),
        Repository.name == bindparam("repository"),
    )
)
_FORGET_UPLOAD = (
    delete(Upload)
    .where(Upload.id == bindparam("upload"))
    .execution_options(synchronize_session=False)
)


def upload_allowance(
    state: ServiceState,
    registry: RegistryInfo,
    upload_id: str,
    already: int,
    announced: int | None,
    digest: str | None,
) -> int | None:
    """How many more bytes upload ``upload_id``, holding ``already``, may receive; None: any.

    Content the registry already holds (a known ``digest``) costs nothing. A length announced
    up front is refused at once when it cannot fit; a body of unknown length is limited to the
    room left. The upload's own recorded bytes are not counted twice.
    """
    with state.db.connect() as connection:
        if digest is not None and blobs.registry_holds(connection, registry.id, digest):
            return None
        if announced is not None:
            quota.check_announced(
                connection, state.config, registry, already + announced, but_upload=upload_id
            )
            return None
        return quota.room_left(connection, state.config, registry, already, but_upload=upload_id)


def refuse_streamed(
    state: ServiceState, registry: RegistryInfo, upload_id: str, received: int
) -> None:
    """The quota refusal for a body that streamed past the room left (always raises)."""
    with state.db.connect() as connection:
        quota.check_announced(connection, state.config, registry, received, but_upload=upload_id)
    raise QuotaExceeded(
        f"storage quota exceeded: registry {registry.name} has no room for {received} bytes"
    )


def open_upload(state: ServiceState, registry: RegistryInfo, repository: str, check: Check) -> str:
    """A new resumable upload session of the repository (created on first push)."""
    upload_id = secrets.token_urlsafe(24)
    # Storage first, outside the transaction (on S3 it is two requests): a session row never
    # names missing data; data without a row is dropped here, or by the collector once old.
    state.blob_store.create_upload(upload_id)
    try:
        with state.db.write() as session:
            repo_id = repositories.ensure_id(session, registry.id, repository)
            check(session, UploadOpened(registry, _full(registry, repository), repo_id))
            session.execute(
                _NEW_UPLOAD, {"upload": upload_id, "repository": repo_id, "now": utcnow()}
            )
    except BaseException:
        # The refusal is the answer; data a failing store keeps is collected once old.
        with contextlib.suppress(Exception):
            state.blob_store.delete_upload(upload_id)
        raise
    return upload_id


def upload_unknown(upload_id: str) -> UploadNotFound:
    return UploadNotFound(
        f"upload {upload_id} is unknown in this repository (finished, cancelled or never "
        "started); start a new upload with POST /v2/<name>/blobs/uploads/",
        upload=upload_id,
    )


def upload_offset(
    state: ServiceState, registry: RegistryInfo, repository: str, upload_id: str
) -> int:
    """Bytes received so far by an upload session of this repository."""
    params = {"upload": upload_id, "registry": registry.id, "repository": repository}
    with state.db.connect() as connection:
        touched = connection.scalar(_UPLOAD_TOUCHED, params)
    if touched is None:
        raise upload_unknown(upload_id)
    if as_utc(touched) <= quota.live_uploads_since(state.config):
        raise upload_unknown(upload_id)  # expired: collected soon
    size = state.blob_store.upload_size(upload_id)
    if size is None:
        raise upload_unknown(upload_id)
    return size


def record_offset(state: ServiceState, upload_id: str, offset: int) -> None:
    with state.db.write() as session:
        session.execute(_RECORD_OFFSET, {"upload": upload_id, "offset": offset, "now": utcnow()})


def discard_upload(state: ServiceState, upload_id: str) -> None:
    with state.db.write() as session:
        session.execute(_FORGET_UPLOAD, {"upload": upload_id})
    state.blob_store.delete_upload(upload_id)


def commit_upload(
    state: ServiceState,
    registry: RegistryInfo,
    repository: str,
    upload_id: str,
    digest: str,
    size: int,
    *,
    has_session: bool,
    check: Check,
    held: bytes | None = None,
) -> None:
    """Checks, link and rename into place in one transaction (the digest is verified);
    ``held``: the upload's bytes when the blob store handed them over at sealing."""
    with state.db.write() as session:
        lock_for_transaction(session, LockKey.CONTENT, shared=True)
        repo_id = repositories.ensure_id(session, registry.id, repository)
        check(
            session,
            BlobAdded(
                registry,
                _full(registry, repository),
                repo_id,
                digest,
                size,
                upload_id if has_session else None,
            ),
        )
        blobs.ensure(session, digest, size)
        blobs.link(session, repo_id, digest)
        repositories.touch(session, repo_id)
        if has_session:
            session.execute(_FORGET_UPLOAD, {"upload": upload_id})
        # Under the shared content lock: a collector deciding about this digest waits for us.
        state.blob_store.promote_upload(upload_id, digest, held)


def mount(
    state: ServiceState,
    registry: RegistryInfo,
    repository: str,
    digest: str,
    source: str | None,
) -> bool:
    """Link a blob the registry holds; False means: fall back to an upload.

    ``source`` is a repository path of the same registry; None mounts from any repository of
    the registry (automatic mount). Content of other registries is never mounted.
    """
    with state.db.write() as session:
        lock_for_transaction(session, LockKey.CONTENT, shared=True)
        if source is not None:
            found_in = repositories.find(session, registry.id, source)
            found = (
                found_in is not None and blobs.linked_size(session, found_in.id, digest) is not None
            )
        else:
            found = blobs.registry_holds(session, registry.id, digest)
        if not found or state.blob_store.stat(digest) is None:
            return False
        target_id = repositories.ensure_id(session, registry.id, repository)
        blobs.link(session, target_id, digest)
        repositories.touch(session, target_id)
    return True


def expire_uploads(state: ServiceState, batch: int = 500) -> list[str]:
    """Remove upload sessions untouched for ``--upload-expiry``, rows and data."""
    removed: list[str] = []
    while True:
        with state.db.write() as session:
            expired = list(
                session.scalars(
                    select(Upload.id)
                    .where(Upload.updated_at <= quota.live_uploads_since(state.config))
                    .limit(batch)
                )
            )
            if expired:
                session.execute(delete(Upload).where(Upload.id.in_(expired)))
        for upload_id in expired:
            state.blob_store.delete_upload(upload_id)
        removed += expired
        if len(expired) < batch:
            break
    if removed:
        log.info(f"removed {len(removed)} expired upload sessions")
    return removed
