"""Blob uploads: monolithic POST, POST+PUT, chunked PATCH with status, cross-repository mount.

Bytes go to the upload's file in the blob store; a blob becomes visible only when the final
PUT (or monolithic POST) has verified the digest, passed the quota check and been renamed into
place inside the transaction that links it, so nothing partial is ever served.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from starlette.responses import Response

from cloudraya_registry.db.models import Upload, utcnow
from cloudraya_registry.oci import quota
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.metadata import (
    ensure_blob,
    ensure_repository,
    find_repository,
    link_blob,
    linked_blob_size,
    registry_holds_blob,
    touch_repository,
)
from cloudraya_registry.oci.names import RepositoryName, parse_digest, parse_repository_name
from cloudraya_registry.oci.streaming import BodyTooLarge, in_thread, receive_into
from cloudraya_registry.storage import UploadWriter

if TYPE_CHECKING:
    from cloudraya_registry.oci.router import Context

_CONTENT_RANGE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


class UploadLocks:
    """One request at a time per upload session (a second PATCH waits for the first)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, upload_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(upload_id, (asyncio.Lock(), 0))
        self._locks[upload_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[upload_id]
            if users <= 1:
                del self._locks[upload_id]
            else:
                self._locks[upload_id] = (lock, users - 1)


# -- helpers ---------------------------------------------------------------------------------
def _upload_location(repo: RepositoryName, upload_id: str) -> str:
    return f"/v2/{repo.full}/blobs/uploads/{upload_id}"


def _range_header(size: int) -> str:
    return f"0-{max(size - 1, 0)}"


def _session_headers(repo: RepositoryName, upload_id: str, size: int) -> dict[str, str]:
    return {
        "Location": _upload_location(repo, upload_id),
        "Range": _range_header(size),
        "Docker-Upload-UUID": upload_id,
    }


def _created(repo: RepositoryName, digest: str) -> Response:
    return Response(
        status_code=201,
        headers={
            "Location": f"/v2/{repo.full}/blobs/{digest}",
            "Docker-Content-Digest": digest,
        },
    )


def _content_length(ctx: Context) -> int | None:
    value = ctx.request.headers.get("content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise OciError("SIZE_INVALID", f"Content-Length {value!r} is not a byte count")
    return int(value)


def _has_body(ctx: Context) -> bool:
    length = _content_length(ctx)
    if length is not None:
        return length > 0
    return "chunked" in ctx.request.headers.get("transfer-encoding", "").lower()


def _unknown_upload(upload_id: str) -> OciError:
    return OciError(
        "BLOB_UPLOAD_UNKNOWN",
        f"upload {upload_id} is unknown in this repository (finished, cancelled or never "
        "started); start a new upload with POST /v2/<name>/blobs/uploads/",
        detail={"upload": upload_id},
    )


def _remaining_quota(ctx: Context, already: int) -> int:
    """Bytes this upload may still receive before it could not possibly fit the quota."""
    with ctx.state.db.read() as session:
        from cloudraya_registry.usage import used_bytes

        used = used_bytes(session, ctx.registry.id)
    return max(quota.capacity_bytes(ctx.registry) - used - already, 0)


def _check_announced_length(ctx: Context, already: int, digest: str | None) -> int | None:
    """Early quota refusal when Content-Length is known; returns a streaming limit otherwise.

    Content the registry already holds (a known ``digest``) costs nothing and is not limited.
    """
    length = _content_length(ctx)
    with ctx.state.db.read() as session:
        if digest is not None and registry_holds_blob(session, ctx.registry.id, digest):
            return None
        if length is not None:
            quota.check_early(session, ctx.registry, already + length)
            return None
    return _remaining_quota(ctx, already)


def _open_for_append(
    ctx: Context, upload_id: str, start: int, digest: str | None
) -> tuple[int | None, UploadWriter]:
    """Quota pre-check and the upload's writer, in one trip to a worker thread."""
    limit = _check_announced_length(ctx, start, digest)
    return limit, ctx.state.blob_store.open_upload(upload_id)


async def _receive(ctx: Context, upload_id: str, start: int, digest: str | None = None) -> int:
    """Append the body to the upload; on any failure cut the file back to ``start``."""
    store = ctx.state.blob_store
    limit, writer = await in_thread(_open_for_append, ctx, upload_id, start, digest)
    try:
        received = await receive_into(ctx.request, writer, limit=limit)
    except BodyTooLarge as error:
        await in_thread(writer.close)
        await in_thread(store.truncate_upload, upload_id, start)
        await in_thread(_refuse_streamed, ctx, start + error.received)
        raise  # not reached: _refuse_streamed always raises
    except BaseException:
        await in_thread(writer.close)
        await in_thread(store.truncate_upload, upload_id, start)
        raise
    await in_thread(writer.close)
    return received


def _refuse_streamed(ctx: Context, received: int) -> None:
    """The quota error for a body that streamed past the space left."""
    with ctx.state.db.read() as session:
        quota.check_early(session, ctx.registry, received)
    raise OciError(
        "DENIED",
        f"storage quota exceeded: registry {ctx.registry.name} has no room for {received} bytes",
        status=quota.QUOTA_ERROR_STATUS,
    )


def _parse_content_range(ctx: Context, offset: int, upload_id: str, repo: RepositoryName):
    value = ctx.request.headers.get("content-range")
    if value is None:
        return None
    match = _CONTENT_RANGE.match(value.strip())
    if match is None:
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            f"Content-Range {value!r} is malformed; send <start>-<end> (inclusive byte offsets)",
            detail={"content_range": value},
        )
    start, end = int(match.group(1)), int(match.group(2))
    if end < start:
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            f"Content-Range {value!r} ends before it starts",
            status=416,
            headers=_session_headers(repo, upload_id, offset),
        )
    if start != offset:
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            f"Content-Range {value!r} does not continue the upload: {offset} bytes received so "
            f"far, so the next chunk must start at {offset}",
            status=416,
            detail={"offset": offset},
            headers=_session_headers(repo, upload_id, offset),
        )
    length = _content_length(ctx)
    if length is not None and length != end - start + 1:
        raise OciError(
            "SIZE_INVALID",
            f"Content-Range {value!r} announces {end - start + 1} bytes but Content-Length "
            f"is {length}",
        )
    return start, end


def _load_upload(ctx: Context, upload_id: str) -> int:
    """Bytes received so far by an upload of this repository, or BLOB_UPLOAD_UNKNOWN."""
    with ctx.state.db.read() as session:
        repository = find_repository(session, ctx.registry.id, ctx.repo.path)
        row = session.get(Upload, upload_id) if repository is not None else None
        if row is None or row.repository_id != repository.id:
            raise _unknown_upload(upload_id)
    size = ctx.state.blob_store.upload_size(upload_id)
    if size is None:
        raise _unknown_upload(upload_id)
    return size


def _record_offset(ctx: Context, upload_id: str, offset: int) -> None:
    with ctx.state.db.write() as session:
        session.execute(
            update(Upload).where(Upload.id == upload_id).values(offset=offset, updated_at=utcnow())
        )


def _drop_upload(ctx: Context, upload_id: str) -> None:
    with ctx.state.db.write() as session:
        session.execute(delete(Upload).where(Upload.id == upload_id))
    ctx.state.blob_store.delete_upload(upload_id)


def _commit(ctx: Context, upload_id: str, digest: str, size: int, *, has_row: bool) -> None:
    """Quota check, link and rename into place in one transaction."""
    with ctx.state.db.write() as session:
        repository = ensure_repository(session, ctx.registry.id, ctx.repo.path)
        quota.check_commit(session, ctx.registry, digest, size)
        ensure_blob(session, digest, size)
        link_blob(session, repository.id, digest)
        touch_repository(session, repository.id)
        if has_row:
            session.execute(delete(Upload).where(Upload.id == upload_id))
        # Inside the transaction: a garbage collector deciding about this digest waits for us.
        ctx.state.blob_store.promote_upload(upload_id, digest)


async def _verify_and_commit(
    ctx: Context, upload_id: str, expected: str, *, has_row: bool
) -> Response:
    store = ctx.state.blob_store
    algorithm = expected.split(":", 1)[0]
    size, actual = await in_thread(store.seal_upload, upload_id, algorithm)
    if actual != expected:
        await in_thread(_drop_upload, ctx, upload_id)
        raise OciError(
            "DIGEST_INVALID",
            f"uploaded content ({size} bytes) has digest {actual}, not {expected}; the upload "
            "was discarded, nothing was stored",
            detail={"expected": expected, "actual": actual},
        )
    try:
        await in_thread(_commit, ctx, upload_id, expected, size, has_row=has_row)
    except OciError:
        await in_thread(_drop_upload, ctx, upload_id)
        raise
    return _created(ctx.repo, expected)


# -- handlers ----------------------------------------------------------------------------------
async def start_upload(ctx: Context) -> Response:
    """POST /v2/<name>/blobs/uploads/ (session start, monolithic with ?digest=, or ?mount=)."""
    query = ctx.request.query_params
    mount = query.get("mount")
    if mount is not None:
        digest = parse_digest(mount, what="mount digest")
        mounted = await in_thread(_try_mount, ctx, digest, query.get("from"))
        if mounted:
            return _created(ctx.repo, digest)
    digest_param = query.get("digest")
    if digest_param is not None:
        digest = parse_digest(digest_param)
        upload_id = secrets.token_urlsafe(24)
        await in_thread(ctx.state.blob_store.create_upload, upload_id)
        try:
            await _receive(ctx, upload_id, 0, digest)
        except BaseException:
            await in_thread(ctx.state.blob_store.delete_upload, upload_id)
            raise
        return await _verify_and_commit(ctx, upload_id, digest, has_row=False)
    if mount is None and _has_body(ctx):
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            "a POST with a body needs ?digest=<digest> (monolithic upload); to upload in "
            "steps, POST without a body and send the data to the returned Location",
        )
    upload_id = await in_thread(_create_session, ctx)
    return Response(status_code=202, headers=_session_headers(ctx.repo, upload_id, 0))


def _create_session(ctx: Context) -> str:
    upload_id = secrets.token_urlsafe(24)
    ctx.state.blob_store.create_upload(upload_id)
    with ctx.state.db.write() as session:
        repository = ensure_repository(session, ctx.registry.id, ctx.repo.path)
        session.add(Upload(id=upload_id, repository_id=repository.id, offset=0))
    return upload_id


def _try_mount(ctx: Context, digest: str, source: str | None) -> bool:
    """Link an existing blob of the same registry; False means: fall back to an upload."""
    with ctx.state.db.write() as session:
        found = False
        if source:
            try:
                source_repo = parse_repository_name(source)
            except OciError:
                return False
            if source_repo.registry != ctx.registry.name:
                return False  # across registries: never, whatever the other side holds
            repository = find_repository(session, ctx.registry.id, source_repo.path)
            found = (
                repository is not None
                and linked_blob_size(session, repository.id, digest) is not None
            )
        else:
            # Automatic mount: any repository of the caller's own registry.
            found = registry_holds_blob(session, ctx.registry.id, digest)
        if not found or ctx.state.blob_store.stat(digest) is None:
            return False
        target = ensure_repository(session, ctx.registry.id, ctx.repo.path)
        link_blob(session, target.id, digest)
        touch_repository(session, target.id)
    return True


async def upload_status(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    size = await in_thread(_load_upload, ctx, upload_id)
    return Response(status_code=204, headers=_session_headers(ctx.repo, upload_id, size))


async def patch_upload(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    async with ctx.plane.upload_locks.hold(upload_id):
        offset = await in_thread(_load_upload, ctx, upload_id)
        expected = _parse_content_range(ctx, offset, upload_id, ctx.repo)
        received = await _receive(ctx, upload_id, offset)
        if expected is not None and received != expected[1] - expected[0] + 1:
            await in_thread(ctx.state.blob_store.truncate_upload, upload_id, offset)
            raise OciError(
                "SIZE_INVALID",
                f"Content-Range announced {expected[1] - expected[0] + 1} bytes but the body "
                f"had {received}; the chunk was discarded",
            )
        new_offset = offset + received
        await in_thread(_record_offset, ctx, upload_id, new_offset)
    return Response(status_code=202, headers=_session_headers(ctx.repo, upload_id, new_offset))


async def finish_upload(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    digest = parse_digest(ctx.request.query_params.get("digest"), what="digest query parameter")
    async with ctx.plane.upload_locks.hold(upload_id):
        offset = await in_thread(_load_upload, ctx, upload_id)
        if _has_body(ctx):
            expected = _parse_content_range(ctx, offset, upload_id, ctx.repo)
            received = await _receive(ctx, upload_id, offset, digest)
            if expected is not None and received != expected[1] - expected[0] + 1:
                await in_thread(ctx.state.blob_store.truncate_upload, upload_id, offset)
                raise OciError(
                    "SIZE_INVALID",
                    f"Content-Range announced {expected[1] - expected[0] + 1} bytes but the "
                    f"body had {received}; the chunk was discarded",
                )
        return await _verify_and_commit(ctx, upload_id, digest, has_row=True)


async def cancel_upload(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    async with ctx.plane.upload_locks.hold(upload_id):
        await in_thread(_load_upload, ctx, upload_id)
        await in_thread(_drop_upload, ctx, upload_id)
    return Response(status_code=204)
