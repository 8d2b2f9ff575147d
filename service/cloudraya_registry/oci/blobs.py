"""Blob reads (HEAD/GET with Range) and deletes.

A blob is served only when the repository links it; the bytes stream from the store in large
chunks and are never held in memory.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from cloudraya_registry.domain import content
from cloudraya_registry.executors import in_thread, quick_read
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.names import parse_digest
from cloudraya_registry.oci.numbers import byte_count
from cloudraya_registry.oci.streaming import BlobResponse

_RANGE = re.compile(r"^bytes=(\d{0,19})-(\d{0,19})$")


def _parse_range(value: str, size: int) -> tuple[int, int]:
    """Inclusive (start, end) of one byte range: ``a-b``, ``a-`` or ``-suffix``."""
    match = _RANGE.match(value.strip())
    first_text, last_text = match.groups() if match else ("", "")
    first = byte_count(first_text) if first_text else None
    last = byte_count(last_text) if last_text else None
    if (
        match is None
        or (first is None and last is None)
        or (first_text and first is None)
        or (last_text and last is None)
    ):
        raise OciError(
            "SIZE_INVALID",
            f"Range {value[:80]!r} is not supported; send one range as bytes=<start>-<end>, "
            "bytes=<start>- or bytes=-<suffix length> (offsets below 2^63)",
            status=416,
            headers={"Content-Range": f"bytes */{size}"},
        )
    if first is None:
        assert last is not None
        if last == 0:
            raise _unsatisfiable(value, size)
        start, end = max(size - last, 0), size - 1
    else:
        start = first
        end = min(last, size - 1) if last is not None else size - 1
        if last is not None and last < start:
            raise _unsatisfiable(value, size)
    if start >= size:
        raise _unsatisfiable(value, size)
    return start, end


def _unsatisfiable(value: str, size: int) -> OciError:
    return OciError(
        "SIZE_INVALID",
        f"Range {value[:80]!r} is outside the blob of {size} bytes",
        status=416,
        headers={"Content-Range": f"bytes */{size}"},
    )


async def get_blob(ctx: Context) -> Response:
    digest = parse_digest(ctx.params["digest"])
    size = await quick_read(
        ctx.state.db, content.blob_size, ctx.state, ctx.registry, ctx.path, digest
    )
    headers = {
        "Docker-Content-Digest": digest,
        "Accept-Ranges": "bytes",
        "ETag": f'"{digest}"',
        "Cache-Control": "max-age=31536000",
    }
    status, start, end = 200, 0, size - 1
    range_header = ctx.request.headers.get("range")
    if range_header:
        start, end = _parse_range(range_header, size)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if ctx.head:
        response = Response(
            status_code=status, headers=headers, media_type="application/octet-stream"
        )
        response.headers["content-length"] = str(end - start + 1)
        return response
    reader = await in_thread(ctx.state.blob_store.open_read, digest)
    if reader is None:  # unlinked and collected since the lookup
        raise content.blob_unknown(ctx.registry, ctx.path, digest)
    return BlobResponse(
        reader,
        start,
        max(end - start + 1, 0),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )


async def delete_blob(ctx: Context) -> Response:
    """Unlink the blob from the repository; its bytes go at the next garbage collection.

    As in distribution, this is allowed while a manifest still references the blob: the caller
    asked for exactly this blob to go (unless a route check refuses it).
    """
    digest = parse_digest(ctx.params["digest"])
    await in_thread(content.remove_blob, ctx.state, ctx.registry, ctx.path, digest, ctx.check)
    return Response(status_code=202)
