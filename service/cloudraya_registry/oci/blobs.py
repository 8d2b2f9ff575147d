"""Blob reads (HEAD/GET with Range) and deletes.

A blob is served only when the repository links it; the bytes stream from the store in large
chunks and are never held in memory.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import delete
from starlette.responses import Response

from cloudraya_registry.db.models import RepositoryBlob
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.metadata import find_repository, linked_blob_size
from cloudraya_registry.oci.names import parse_digest
from cloudraya_registry.oci.streaming import BlobResponse, in_thread

if TYPE_CHECKING:
    from cloudraya_registry.oci.router import Context

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _unknown(ctx: Context, digest: str) -> OciError:
    return OciError(
        "BLOB_UNKNOWN",
        f"blob {digest} is not in repository {ctx.repo.full}",
        detail={"digest": digest},
    )


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """Inclusive (start, end) of a single byte range; None means the whole blob."""
    match = _RANGE.match(value.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        raise OciError(
            "SIZE_INVALID",
            f"Range {value!r} is not supported; send one range as bytes=<start>-<end>, "
            "bytes=<start>- or bytes=-<suffix length>",
            status=416,
            headers={"Content-Range": f"bytes */{size}"},
        )
    first, last = match.group(1), match.group(2)
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise _unsatisfiable(value, size)
        start, end = max(size - suffix, 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            raise _unsatisfiable(value, size)
    if start >= size:
        raise _unsatisfiable(value, size)
    return start, end


def _unsatisfiable(value: str, size: int) -> OciError:
    return OciError(
        "SIZE_INVALID",
        f"Range {value!r} is outside the blob of {size} bytes",
        status=416,
        headers={"Content-Range": f"bytes */{size}"},
    )


def _lookup(ctx: Context, digest: str) -> int:
    with ctx.state.db.read() as session:
        repository = find_repository(session, ctx.registry.id, ctx.repo.path)
        if repository is None:
            raise OciError(
                "NAME_UNKNOWN",
                f"repository {ctx.repo.full} is not known",
                detail={"name": ctx.repo.full},
            )
        size = linked_blob_size(session, repository.id, digest)
    if size is None:
        raise _unknown(ctx, digest)
    return size


async def get_blob(ctx: Context) -> Response:
    digest = parse_digest(ctx.params["digest"])
    size = await in_thread(_lookup, ctx, digest)
    headers = {
        "Docker-Content-Digest": digest,
        "Accept-Ranges": "bytes",
        "ETag": f'"{digest}"',
        "Cache-Control": "max-age=31536000",
    }
    status, start, end = 200, 0, size - 1
    range_header = ctx.request.headers.get("range")
    if range_header:
        parsed = _parse_range(range_header, size)
        if parsed is not None:
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if ctx.request.method == "HEAD":
        response = Response(
            status_code=status, headers=headers, media_type="application/octet-stream"
        )
        response.headers["content-length"] = str(end - start + 1)
        return response
    reader = await in_thread(ctx.state.blob_store.open_read, digest)
    if reader is None:  # unlinked and collected since the lookup
        raise _unknown(ctx, digest)
    return BlobResponse(
        reader,
        start,
        max(end - start + 1, 0),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )


def _delete_link(ctx: Context, digest: str) -> None:
    with ctx.state.db.write() as session:
        repository = find_repository(session, ctx.registry.id, ctx.repo.path)
        if repository is None:
            raise OciError("NAME_UNKNOWN", f"repository {ctx.repo.full} is not known")
        removed = session.execute(
            delete(RepositoryBlob).where(
                RepositoryBlob.repository_id == repository.id, RepositoryBlob.digest == digest
            )
        ).rowcount
        if not removed:
            raise _unknown(ctx, digest)


async def delete_blob(ctx: Context) -> Response:
    """Unlink the blob from the repository; its bytes go at the next garbage collection.

    As in distribution, this is allowed even while a manifest still references the blob: the
    caller asked for exactly this blob to go.
    """
    digest = parse_digest(ctx.params["digest"])
    await in_thread(_delete_link, ctx, digest)
    return Response(status_code=202)
