"""Moving blob bytes between sockets and storage without holding a blob in memory.

Bodies are gathered into large batches and handed to a worker thread (which writes and hashes
them; hashlib releases the GIL), while the event loop keeps receiving the next batch.

Downloads of a local file read what the page cache holds right on the event loop
(``preadv`` with ``RWF_NOWAIT``, which never waits for the disk) and go to a worker thread only
for the parts that must come from the disk; other readers (object storage) read large chunks on
a worker thread with one chunk of read-ahead.
"""

from __future__ import annotations

import asyncio
import errno
import os
from typing import BinaryIO

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cloudraya_registry.storage import UploadWriter

# Large enough that a thread trip per batch costs little, small enough that a batch is still in
# the CPU's cache when the worker thread hashes and writes it (4 MiB cost 20% more CPU per GB).
BATCH_BYTES = 1024 * 1024
READ_CHUNK_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """The body went past the limit the caller allowed (e.g. the remaining quota)."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


async def receive_into(request: Request, writer: UploadWriter, *, limit: int | None = None) -> int:
    """Append the request body to ``writer``; returns the number of bytes received."""
    batch = bytearray()
    pending: asyncio.Future | None = None
    received = 0
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            received += len(chunk)
            if limit is not None and received > limit:
                raise BodyTooLarge(received)
            batch += chunk
            if len(batch) >= BATCH_BYTES:
                if pending is not None:
                    await pending
                pending = asyncio.get_running_loop().run_in_executor(None, writer.write, batch)
                batch = bytearray()
        if pending is not None:
            await pending
            pending = None
        if batch:
            await asyncio.get_running_loop().run_in_executor(None, writer.write, batch)
    finally:
        if pending is not None:
            # Let an in-flight write finish before the caller closes or truncates the file.
            await asyncio.wait([pending])
    return received


async def read_body(request: Request, limit: int) -> bytes | None:
    """The whole (small) body, or None when it is longer than ``limit`` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


class BlobResponse(Response):
    """Streams ``length`` bytes of an open blob from ``start``; closes the reader when done."""

    def __init__(
        self,
        reader: BinaryIO,
        start: int,
        length: int,
        *,
        status_code: int,
        headers: dict[str, str],
        media_type: str,
    ) -> None:
        super().__init__(status_code=status_code, headers=headers, media_type=media_type)
        self.headers["content-length"] = str(length)
        self._reader = reader
        self._start = start
        self._length = length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        reader = self._reader
        next_read: asyncio.Future | None = None
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            if scope.get("method") == "HEAD" or self._length == 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            fd = _local_fd(reader)
            if fd is not None:
                await _send_local_file(fd, self._start, self._length, send)
                return
            await loop.run_in_executor(None, reader.seek, self._start)
            remaining = self._length
            next_read = loop.run_in_executor(None, reader.read, min(READ_CHUNK_BYTES, remaining))
            while remaining > 0:
                chunk = await next_read
                next_read = None
                if not chunk:
                    raise OSError("blob file is shorter than its recorded size")
                remaining -= len(chunk)
                if remaining > 0:
                    next_read = loop.run_in_executor(
                        None, reader.read, min(READ_CHUNK_BYTES, remaining)
                    )
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
        finally:
            if next_read is not None:
                await asyncio.wait([next_read])
            await loop.run_in_executor(None, reader.close)


def _local_fd(reader: BinaryIO) -> int | None:
    """The descriptor of a reader that is a local file (the filesystem driver's)."""
    if _NOWAIT is None:
        return None
    try:
        return reader.fileno()
    except (AttributeError, OSError, ValueError):
        return None


_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)
# Not cached (EAGAIN), or a filesystem without non-waiting reads: read on a worker thread.
_MUST_WAIT = {errno.EAGAIN, errno.EOPNOTSUPP, errno.EINVAL}


async def _send_local_file(fd: int, start: int, length: int, send: Send) -> None:
    """Send ``length`` bytes of the file from ``start``: cached bytes are read without leaving
    the event loop, the rest on a worker thread. Each chunk is a fresh buffer (the transport
    may still hold the last one)."""
    loop = asyncio.get_running_loop()
    offset, end = start, start + length
    while offset < end:
        chunk = bytearray(min(READ_CHUNK_BYTES, end - offset))
        try:
            count = os.preadv(fd, [chunk], offset, _NOWAIT or 0)
        except OSError as exc:
            if exc.errno not in _MUST_WAIT:
                raise
            count = await loop.run_in_executor(None, os.preadv, fd, [chunk], offset)
        if count == 0:
            raise OSError("blob file is shorter than its recorded size")
        offset += count
        del chunk[count:]  # a read of the cached part only
        await send({"type": "http.response.body", "body": chunk, "more_body": offset < end})
