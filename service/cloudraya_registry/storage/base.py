"""The storage-driver contract every blob store backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable


class DigestMismatchError(Exception):
    """The uploaded bytes do not hash to the digest the client claimed."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"content digest is {actual}, not {expected}")
        self.expected = expected
        self.actual = actual


class UploadMissingError(Exception):
    """The upload's data is gone (never created, finished, cancelled or collected)."""


@dataclass(frozen=True)
class StoredObject:
    """A blob or upload file as the driver sees it; ``modified`` is a POSIX timestamp."""

    key: str  # digest for blobs, upload id for uploads
    size: int
    modified: float


@runtime_checkable
class UploadWriter(Protocol):
    """Appends to an upload and keeps its running digest; used from a worker thread."""

    offset: int

    def write(self, data: bytes | bytearray | memoryview) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed blobs (``sha256:<hex>`` keys) plus resumable upload sessions.

    Blocking I/O: call these from a worker thread, never on the event loop.
    """

    # -- blobs ---------------------------------------------------------------------------
    def stat(self, digest: str) -> int | None:
        """Size of a stored blob, or None when absent."""

    def open_read(self, digest: str) -> BinaryIO | None:
        """A seekable binary reader over the blob, or None when absent."""

    def read_bytes(self, digest: str, max_size: int) -> bytes | None:
        """The whole blob when it is at most ``max_size`` bytes (manifests); None when absent."""

    def put_bytes(self, digest: str, data: bytes) -> None:
        """Store small content (a manifest) after checking it hashes to ``digest``."""

    def delete(self, digest: str) -> bool:
        """Remove a blob's bytes; True when something was removed."""

    def iter_blobs(self) -> Iterator[StoredObject]:
        """Every stored blob (for garbage collection)."""

    # -- uploads -------------------------------------------------------------------------
    def create_upload(self, upload_id: str) -> None:
        """Start an empty upload."""

    def upload_size(self, upload_id: str) -> int | None:
        """Bytes received so far, or None when the upload's data is absent."""

    def open_upload(self, upload_id: str) -> UploadWriter:
        """A writer positioned at the end of the upload (restores the running digest)."""

    def seal_upload(self, upload_id: str, algorithm: str) -> tuple[int, str]:
        """Make the upload durable and return ``(size, "<algorithm>:<hex>")`` of its bytes."""

    def promote_upload(self, upload_id: str, digest: str) -> None:
        """Move a sealed upload into place as blob ``digest`` (atomic; replaces equal content)."""

    def truncate_upload(self, upload_id: str, size: int) -> None:
        """Cut an upload back to ``size`` bytes (undoes a refused or malformed chunk)."""

    def delete_upload(self, upload_id: str) -> None:
        """Discard an upload's data (no error when already gone)."""

    def iter_uploads(self) -> Iterator[StoredObject]:
        """Every upload present in the store (for garbage collection)."""
