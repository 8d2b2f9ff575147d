"""Blob uploads: monolithic POST, POST+PUT, chunked PATCH with status, cross-repository mount.

The HTTP side of :mod:`cloudraya_registry.domain.content`: sessions, offsets and ranges here;
what enters the repository (quota, digest, link) is decided there.
"""

from __future__ import annotations

import re
import secrets

from starlette.responses import Response

from cloudraya_registry.domain import content
from cloudraya_registry.domain.errors import DomainError
from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.names import RepositoryName, parse_digest, parse_repository_name
from cloudraya_registry.oci.numbers import byte_count
from cloudraya_registry.oci.streaming import BodyTooLarge, receive_into
from cloudraya_registry.storage import UploadWriter

_CONTENT_RANGE = re.compile(r"^(?:bytes[ =])?(\d{1,19})-(\d{1,19})(?:/(?:\d{1,19}|\*))?$")


# -- helpers ---------------------------------------------------------------------------------
def _upload_location(repo: RepositoryName, upload_id: str) -> str:
    return f"/v2/{repo.sent}/blobs/uploads/{upload_id}"


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
            "Location": f"/v2/{repo.sent}/blobs/{digest}",
            "Docker-Content-Digest": digest,
        },
    )


def _content_length(ctx: Context) -> int | None:
    value = ctx.request.headers.get("content-length")
    if value is None:
        return None
    length = byte_count(value)
    if length is None:
        raise OciError("SIZE_INVALID", f"Content-Length {value[:40]!r} is not a byte count")
    return length


def _has_body(ctx: Context) -> bool:
    length = _content_length(ctx)
    if length is not None:
        return length > 0
    return "chunked" in ctx.request.headers.get("transfer-encoding", "").lower()


def _open_for_append(
    ctx: Context, upload_id: str, start: int, digest: str | None
) -> tuple[int | None, UploadWriter]:
    """The quota allowance and the upload's writer, in one trip to a worker thread."""
    limit = content.upload_allowance(
        ctx.state, ctx.registry, upload_id, start, _content_length(ctx), digest
    )
    return limit, ctx.state.blob_store.open_upload(upload_id)


async def _receive(
    ctx: Context,
    upload_id: str,
    start: int,
    digest: str | None = None,
    expected: tuple[int, int] | None = None,
) -> int:
    """Append the body to the upload; on any failure, or a body of another length than the
    ``expected`` Content-Range announced, the upload is left as it was at ``start``."""
    limit, writer = await in_thread(_open_for_append, ctx, upload_id, start, digest)
    try:
        with ctx.state.metrics.uploads_in_flight.track_inprogress():
            received = await receive_into(ctx.request, writer, limit=limit)
    except BodyTooLarge as error:
        await in_thread(writer.abort)
        await in_thread(
            content.refuse_streamed, ctx.state, ctx.registry, upload_id, start + error.received
        )
        raise  # not reached: refuse_streamed always raises
    except BaseException:
        await in_thread(writer.abort)
        raise
    if expected is not None and received != expected[1] - expected[0] + 1:
        await in_thread(writer.abort)
        raise OciError(
            "SIZE_INVALID",
            f"Content-Range announced {expected[1] - expected[0] + 1} bytes but the body "
            f"had {received}; the chunk was discarded",
        )
    await in_thread(writer.close)
    return received


def _parse_content_range(ctx: Context, offset: int, upload_id: str) -> tuple[int, int] | None:
    value = ctx.request.headers.get("content-range")
    if value is None:
        return None
    repo = ctx.repo
    match = _CONTENT_RANGE.match(value.strip())
    start, end = (byte_count(match.group(1)), byte_count(match.group(2))) if match else (None, None)
    if start is None or end is None:
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            f"Content-Range {value[:80]!r} is malformed; send <start>-<end> (inclusive byte "
            "offsets, each below 2^63)",
            detail={"content_range": value[:80]},
        )
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


async def _receive_chunk(ctx: Context, upload_id: str, offset: int, digest: str | None) -> int:
    """A PATCH (or final PUT) body at ``offset``, matching its Content-Range if it has one."""
    expected = _parse_content_range(ctx, offset, upload_id)
    return await _receive(ctx, upload_id, offset, digest, expected)


async def _verify_and_commit(
    ctx: Context, upload_id: str, expected: str, *, has_session: bool
) -> Response:
    store = ctx.state.blob_store
    algorithm = expected.split(":", 1)[0]
    size, actual, held = await in_thread(store.seal_upload, upload_id, algorithm)
    if actual != expected:
        await in_thread(content.discard_upload, ctx.state, upload_id)
        raise OciError(
            "DIGEST_INVALID",
            f"uploaded content ({size} bytes) has digest {actual}, not {expected}; the upload "
            "was discarded, nothing was stored",
            detail={"expected": expected, "actual": actual},
        )
    try:
        await in_thread(
            content.commit_upload,
            ctx.state,
            ctx.registry,
            ctx.path,
            upload_id,
            expected,
            size,
            has_session=has_session,
            check=ctx.check,
            held=held,
        )
    except DomainError:  # refused (quota): nothing of it is kept
        await in_thread(content.discard_upload, ctx.state, upload_id)
        raise
    return _created(ctx.repo, expected)


def _mount_source(ctx: Context, source: str | None) -> tuple[bool, str | None]:
    """(may mount, path of the source repository); None mounts from anywhere in the registry."""
    if not source:
        return True, None
    try:
        source_repo = parse_repository_name(source, ctx.host_registry)
    except OciError:
        return False, None
    # Across registries: never, whatever the other side holds.
    return source_repo.registry == ctx.registry.name, source_repo.path


# -- handlers ----------------------------------------------------------------------------------
async def start_upload(ctx: Context) -> Response:
    """POST /v2/<name>/blobs/uploads/ (session start, monolithic with ?digest=, or ?mount=)."""
    query = ctx.request.query_params
    mount = query.get("mount")
    if mount is not None:
        digest = parse_digest(mount, what="mount digest")
        allowed, source = _mount_source(ctx, query.get("from"))
        if allowed and await in_thread(
            content.mount, ctx.state, ctx.registry, ctx.path, digest, source
        ):
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
        return await _verify_and_commit(ctx, upload_id, digest, has_session=False)
    if mount is None and _has_body(ctx):
        raise OciError(
            "BLOB_UPLOAD_INVALID",
            "a POST with a body needs ?digest=<digest> (monolithic upload); to upload in "
            "steps, POST without a body and send the data to the returned Location",
        )
    upload_id = await in_thread(content.open_upload, ctx.state, ctx.registry, ctx.path, ctx.check)
    return Response(status_code=202, headers=_session_headers(ctx.repo, upload_id, 0))


async def upload_status(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    size = await in_thread(content.upload_offset, ctx.state, ctx.registry, ctx.path, upload_id)
    return Response(status_code=204, headers=_session_headers(ctx.repo, upload_id, size))


async def patch_upload(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    async with ctx.services.upload_locks.hold(upload_id):
        offset = await in_thread(
            content.upload_offset, ctx.state, ctx.registry, ctx.path, upload_id
        )
        received = await _receive_chunk(ctx, upload_id, offset, None)
        new_offset = offset + received
        await in_thread(content.record_offset, ctx.state, upload_id, new_offset)
    return Response(status_code=202, headers=_session_headers(ctx.repo, upload_id, new_offset))


async def finish_upload(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    digest = parse_digest(ctx.request.query_params.get("digest"), what="digest query parameter")
    async with ctx.services.upload_locks.hold(upload_id):
        offset = await in_thread(
            content.upload_offset, ctx.state, ctx.registry, ctx.path, upload_id
        )
        if _has_body(ctx):
            await _receive_chunk(ctx, upload_id, offset, digest)
        return await _verify_and_commit(ctx, upload_id, digest, has_session=True)


async def cancel_upload(ctx: Context) -> Response:
    upload_id = ctx.params["upload_id"]
    async with ctx.services.upload_locks.hold(upload_id):
        await in_thread(content.upload_offset, ctx.state, ctx.registry, ctx.path, upload_id)
        await in_thread(content.discard_upload, ctx.state, upload_id)
    return Response(status_code=204)
