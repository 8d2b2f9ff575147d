"""The low-level storage-driver contract, after distribution's ``storagedriver.StorageDriver``.

A driver stores opaque files under slash-separated paths (``sha256/ab/abcd...``,
``_uploads/<id>/data``) and knows nothing about digests or upload sessions: the blob store
(:mod:`cloudraya_registry.storage.blobstore`) builds content addressing on top. Every driver
passes one contract suite (``tests/service/storage``).

Writers are resumable across processes: ``close()`` keeps what was written so that
``writer(path, append=True)`` in any replica continues at ``size``; ``abort()`` forgets what
this writer appended (a refused chunk); ``commit()`` makes the file readable at its path.
Blocking I/O throughout: call drivers from worker threads, never on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class PathNotFound(Exception):
    """Nothing is stored at the path (or the writer's session is gone)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no such path in storage: {path}")
        self.path = path


class StorageUnavailable(Exception):
    """The storage cannot be used (missing bucket, refused credentials, unreachable)."""


@dataclass(frozen=True)
class FileInfo:
    """A stored file; ``modified`` is a POSIX timestamp."""

    path: str
    size: int
    modified: float


def check_path(path: str) -> str:
    """Refuse anything but plain relative paths (no ``..``, no leading slash)."""
    if not _PATH.match(path):
        raise ValueError(f"not a storage path: {path!r}")
    return path


@runtime_checkable
class FileWriter(Protocol):
    """Appends to one file; see the module docstring for the resumability contract."""

    size: int

    def write(self, data: bytes | bytearray | memoryview) -> None: ...

    def close(self) -> None:
        """Keep everything written so far; the file can be resumed with ``append=True``."""

    def abort(self) -> None:
        """Forget what this writer appended; the file is as it was when the writer opened."""

    def cancel(self) -> None:
        """Remove the file and everything a resumable session kept for it."""

    def commit(self) -> None:
        """Finish the file: from now on it is read with ``reader`` like any other."""

    def held_content(self) -> bytes | None:
        """The whole file, when this writer holds all of it in memory and none of it is stored
        as a file yet (a small S3 upload); else None. Instead of ``commit()``, the caller may
        then write those bytes where they belong (one request instead of a copy)."""


@runtime_checkable
class StorageDriver(Protocol):
    """Files under paths; the optional fast paths may return None."""

    def describe(self) -> str:
        """Where the data lives, for logs (no secrets)."""

    def ping(self) -> None:
        """Raise :class:`StorageUnavailable` with a one-line reason unless usable (cheap)."""

    def stat(self, path: str) -> FileInfo | None: ...

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        """A binary stream of the file from ``offset``; raises :class:`PathNotFound`."""

    def get_content(self, path: str, max_size: int) -> bytes:
        """A whole small file; raises :class:`PathNotFound` or ValueError when too large."""

    def put_content(self, path: str, data: bytes) -> None:
        """Write a small file atomically (readers see the old or the new content)."""

    def writer(self, path: str, append: bool = False) -> FileWriter:
        """A writer at the end of the file (``append``) or of a new, empty one."""

    def resumable_size(self, path: str) -> int | None:
        """Where ``writer(path, append=True)`` would start (a closed writer's size, or a
        committed file's); None when there is nothing at the path."""

    def list(self, prefix: str) -> Iterator[FileInfo]:
        """Every file under the directory ``prefix``, recursively (a writer's file may show
        before its commit on some drivers)."""

    def children(self, prefix: str) -> Iterator[str]:
        """Names directly under the directory ``prefix`` (files and directories)."""

    def move(self, source: str, destination: str) -> None:
        """Move a committed file, replacing the destination; raises :class:`PathNotFound`."""

    def delete(self, path: str) -> bool:
        """Remove a file, or a directory with everything under it; True when anything went."""

    def local_path(self, path: str) -> Path | None:
        """A file on the local disk holding the content, when there is one (``sendfile``)."""

    def redirect_url(self, path: str) -> str | None:
        """A URL a client may fetch the content from directly, when the driver offers one."""
