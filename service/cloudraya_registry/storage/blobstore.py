"""Content-addressed blobs and resumable upload sessions over any storage driver.

Paths in the driver::

    sha256/<first two hex>/<hex>   committed blobs (``sha512/...`` likewise)
    _uploads/<upload id>/data      an upload's bytes, until it is promoted to its digest path

A blob reaches its digest path only by ``promote_upload`` (after the caller verified the
digest) or ``put_bytes`` (which verifies it), so nothing partial is ever served under a digest.
A small upload the driver holds in memory (S3: less than a part) is not written as a file at
all: ``seal_upload`` hands its bytes over and ``promote_upload`` writes them at the digest path.

The running sha256 of an upload is kept in this process while its requests land here; when
another replica continued the upload (or after a restart), ``seal_upload`` verifies the digest
with a streaming read of the stored bytes instead. Correctness never depends on the cache: it
is used only when it covers exactly the bytes stored.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from cloudraya_registry.storage.driver import FileWriter, PathNotFound, StorageDriver

DIGEST_PATTERN = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
UPLOAD_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SUPPORTED_ALGORITHMS = ("sha256", "sha512")
UPLOADS_DIR = "_uploads"
_RUNNING_ALGORITHM = "sha256"
_READ_CHUNK = 4 * 1024 * 1024
SMALL_CACHE_BYTES = 32 * 1024 * 1024  # manifests kept in memory (a few thousand)


class DigestMismatchError(Exception):
    """The bytes do not hash to the digest the client claimed."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"content digest is {actual}, not {expected}")
        self.expected = expected
        self.actual = actual


class UploadMissingError(Exception):
    """The upload's data is gone (never created, finished, cancelled or collected)."""


@dataclass(frozen=True)
class StoredObject:
    """A blob or upload as garbage collection sees it; ``modified`` is a POSIX timestamp."""

    key: str  # digest for blobs, upload id for uploads
    size: int
    modified: float


class _SmallContentCache:
    """Least recently used small contents (manifests) by digest, at most ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> bytes | None:
        with self._lock:
            data = self._items.get(digest)
            if data is not None:
                self._items.move_to_end(digest)
            return data

    def put(self, digest: str, data: bytes) -> None:
        if len(data) > self._limit // 16:
            return
        with self._lock:
            if digest in self._items:
                return
            self._items[digest] = data
            self._size += len(data)
            while self._size > self._limit:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)

    def drop(self, digest: str) -> None:
        with self._lock:
            data = self._items.pop(digest, None)
            if data is not None:
                self._size -= len(data)


class SealedUpload(NamedTuple):
    """An upload's finished bytes: their size and digest, and the bytes themselves when they
    were never stored as a file (to be given to ``promote_upload``)."""

    size: int
    digest: str
    held: bytes | None = None


@dataclass
class _RunningHash:
    hasher: hashlib._Hash
    offset: int


class UploadWriter:
    """Appends to an upload and feeds the running digest in one pass (a worker thread)."""

    def __init__(self, store: BlobStore, upload_id: str, writer: FileWriter) -> None:
        self._store, self._upload_id, self._writer = store, upload_id, writer
        self._hash = store._running_hash(upload_id, writer.size)

    @property
    def offset(self) -> int:
        return self._writer.size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._writer.write(data)
        if self._hash is not None:
            self._hash.update(data)

    def close(self) -> None:
        """Keep what was written (any replica continues from here)."""
        self._writer.close()
        if self._hash is not None:
            self._store._remember_hash(self._upload_id, self._hash, self._writer.size)

    def abort(self) -> None:
        """Forget what this writer appended: the upload is as it was before."""
        self._writer.abort()


class BlobStore:
    """The one blob store of a service, over the driver its ``--storage-url`` names."""

    def __init__(self, driver: StorageDriver) -> None:
        self.driver = driver
        self._small = _SmallContentCache(SMALL_CACHE_BYTES)
        self._hashes: dict[str, _RunningHash] = {}
        self._hashes_lock = threading.Lock()

    def describe(self) -> str:
        return self.driver.describe()

    def ping(self) -> None:
        """Raise ``StorageUnavailable`` unless the storage answers (cheap: for health checks)."""
        self.driver.ping()

    # -- paths -----------------------------------------------------------------------------
    @staticmethod
    def blob_path(digest: str) -> str:
        if not DIGEST_PATTERN.match(digest):
            raise ValueError(f"not a supported digest: {digest!r}")
        algorithm, hex_digest = digest.split(":", 1)
        return f"{algorithm}/{hex_digest[:2]}/{hex_digest}"

    @staticmethod
    def _upload_dir(upload_id: str) -> str:
        if not UPLOAD_ID_PATTERN.match(upload_id):
            raise UploadMissingError(upload_id)
        return f"{UPLOADS_DIR}/{upload_id}"

    def _upload_data(self, upload_id: str) -> str:
        return f"{self._upload_dir(upload_id)}/data"

    # -- blobs -----------------------------------------------------------------------------
    def stat(self, digest: str) -> int | None:
        """Size of a stored blob, or None when absent."""
        info = self.driver.stat(self.blob_path(digest))
        return None if info is None else info.size

    def local_path(self, digest: str) -> Path | None:
        """Where the blob lives on the local disk, when it does (lets the OS send it)."""
        return self.driver.local_path(self.blob_path(digest))

    def redirect_url(self, digest: str) -> str | None:
        """A URL clients may fetch the blob from directly, when the driver offers one."""
        return self.driver.redirect_url(self.blob_path(digest))

    def open_read(self, digest: str) -> BinaryIO | None:
        """A seekable binary reader over the blob, or None when absent."""
        try:
            return self.driver.reader(self.blob_path(digest))
        except PathNotFound:
            return None

    def cached_bytes(self, digest: str, max_size: int) -> bytes | None:
        """What ``read_bytes`` would answer, when it is in memory (never touches the storage)."""
        cached = self._small.get(digest)
        return cached if cached is not None and len(cached) <= max_size else None

    def read_bytes(self, digest: str, max_size: int) -> bytes | None:
        """The whole blob when it is at most ``max_size`` bytes (manifests); None when absent.

        Content is immutable under its digest, so small results are kept in memory: a manifest
        pulled again is not fetched from the storage again (an object store round trip).
        """
        cached = self.cached_bytes(digest, max_size)
        if cached is not None:
            return cached
        try:
            data = self.driver.get_content(self.blob_path(digest), max_size)
        except PathNotFound:
            return None
        self._small.put(digest, data)
        return data

    def put_bytes(self, digest: str, data: bytes) -> None:
        """Store small content (a manifest) after checking it hashes to ``digest``."""
        algorithm, expected = digest.split(":", 1)
        actual = hashlib.new(algorithm, data).hexdigest()
        if actual != expected:
            raise DigestMismatchError(digest, f"{algorithm}:{actual}")
        self.driver.put_content(self.blob_path(digest), data)

    def delete(self, digest: str) -> bool:
        """Remove a blob's bytes; True when something was removed."""
        self._small.drop(digest)
        return self.driver.delete(self.blob_path(digest))

    def iter_blobs(self) -> Iterator[StoredObject]:
        """Every stored blob (for garbage collection)."""
        for algorithm in SUPPORTED_ALGORITHMS:
            for info in self.driver.list(algorithm):
                digest = f"{algorithm}:{info.path.rsplit('/', 1)[-1]}"
                if DIGEST_PATTERN.match(digest) and info.path == self.blob_path(digest):
                    yield StoredObject(digest, info.size, info.modified)

    # -- uploads ---------------------------------------------------------------------------
    def create_upload(self, upload_id: str) -> None:
        """Start an empty upload."""
        self.driver.writer(self._upload_data(upload_id)).close()
        self._remember_hash(upload_id, hashlib.new(_RUNNING_ALGORITHM), 0)

    def upload_size(self, upload_id: str) -> int | None:
        """Bytes received so far, or None when the upload's data is absent."""
        try:
            return self.driver.resumable_size(self._upload_data(upload_id))
        except UploadMissingError:
            return None

    def open_upload(self, upload_id: str) -> UploadWriter:
        """A writer at the end of the upload; ``close()`` keeps, ``abort()`` undoes."""
        try:
            writer = self.driver.writer(self._upload_data(upload_id), append=True)
        except PathNotFound:
            raise UploadMissingError(upload_id) from None
        return UploadWriter(self, upload_id, writer)

    def seal_upload(self, upload_id: str, algorithm: str) -> SealedUpload:
        """Finish the upload's bytes: their size and ``"<algorithm>:<hex>"``.

        Sealing twice (a retried PUT) finds the finished bytes and hashes them again.
        """
        path = self._upload_data(upload_id)
        try:
            writer = self.driver.writer(path, append=True)
        except PathNotFound:
            info = self.driver.stat(path)
            if info is None:
                raise UploadMissingError(upload_id) from None
            return SealedUpload(info.size, self._hash_stored(path, algorithm))
        size = writer.size
        held = writer.held_content()
        if held is None:
            writer.commit()
        known = self._running_hash(upload_id, size) if algorithm == _RUNNING_ALGORITHM else None
        if known is not None:
            return SealedUpload(size, f"{algorithm}:{known.hexdigest()}", held)
        if held is not None:
            return SealedUpload(
                size, f"{algorithm}:{hashlib.new(algorithm, held).hexdigest()}", held
            )
        return SealedUpload(size, self._hash_stored(path, algorithm))

    def _hash_stored(self, path: str, algorithm: str) -> str:
        """The digest of stored bytes, read as a stream (another replica wrote them)."""
        hasher = hashlib.new(algorithm)
        with self.driver.reader(path) as reader:
            while chunk := reader.read(_READ_CHUNK):
                hasher.update(chunk)
        return f"{algorithm}:{hasher.hexdigest()}"

    def promote_upload(self, upload_id: str, digest: str, held: bytes | None = None) -> None:
        """Move a sealed upload into place as blob ``digest`` (or write the ``held`` bytes
        ``seal_upload`` handed over there).

        Content is addressed by digest, so when the blob is stored already (same size) the
        upload is only dropped: no second copy (on S3 a move is a server-side copy). Callers
        hold the content lock, so the collector cannot remove that blob meanwhile.
        """
        source, target = self._upload_data(upload_id), self.blob_path(digest)
        if held is not None:
            stored = self.driver.stat(target)
            if stored is None or stored.size != len(held):
                self.driver.put_content(target, held)
            self.delete_upload(upload_id)
            return
        uploaded = self.driver.stat(source)
        if uploaded is None:
            raise UploadMissingError(upload_id)
        stored = self.driver.stat(target)
        if stored is None or stored.size != uploaded.size:
            try:
                self.driver.move(source, target)
            except PathNotFound:
                raise UploadMissingError(upload_id) from None
        self.delete_upload(upload_id)

    def delete_upload(self, upload_id: str) -> None:
        """Discard an upload's data (no error when already gone)."""
        try:
            self.driver.delete(self._upload_dir(upload_id))
        except UploadMissingError:
            return
        finally:
            with self._hashes_lock:
                self._hashes.pop(upload_id, None)

    def iter_uploads(self) -> Iterator[StoredObject]:
        """Every upload present in the store, last touched when (for garbage collection)."""
        for name in self.driver.children(UPLOADS_DIR):
            if not UPLOAD_ID_PATTERN.match(name):
                continue
            files = list(self.driver.list(f"{UPLOADS_DIR}/{name}"))
            if files:
                yield StoredObject(name, sum(f.size for f in files), max(f.modified for f in files))

    def sweep_scratch(self, older_than: float, now: float) -> int:
        """Remove scratch files a crash left behind (drivers that have them); how many."""
        scratch = getattr(self.driver, "scratch_files", None)
        removed = 0
        for info in scratch() if scratch is not None else ():
            if now - info.modified >= older_than:
                self.driver.delete_scratch_file(info.path)  # type: ignore[attr-defined]
                removed += 1
        return removed

    # -- running digests ---------------------------------------------------------------------
    def _running_hash(self, upload_id: str, offset: int) -> hashlib._Hash | None:
        """A copy of this process's running sha256 when it covers exactly ``offset`` bytes."""
        with self._hashes_lock:
            known = self._hashes.get(upload_id)
            if known is not None and known.offset == offset:
                return known.hasher.copy()
        return None

    def _remember_hash(self, upload_id: str, hasher: hashlib._Hash, offset: int) -> None:
        with self._hashes_lock:
            self._hashes[upload_id] = _RunningHash(hasher.copy(), offset)
