"""Local-disk blob store.

Layout under the root directory::

    <algorithm>/<first two hex>/<hex>   committed blobs (written once, renamed into place)
    _uploads/<upload id>                 partial upload data
    _tmp/                                scratch files for small puts

Bytes reach a final path only by ``rename`` after an ``fsync`` and a digest check, so a crash
never leaves a partial blob under a digest name. The running digest of an upload lives in
memory; after a restart (or on another replica) it is recomputed from the partial file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cloudraya_registry.storage.base import DigestMismatchError, StoredObject, UploadMissingError

DIGEST_PATTERN = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
UPLOAD_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SUPPORTED_ALGORITHMS = ("sha256", "sha512")
_READ_CHUNK = 4 * 1024 * 1024
_RUNNING_ALGORITHM = "sha256"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _RunningHash:
    """The sha256 state of an upload together with the byte count it covers."""

    __slots__ = ("hasher", "offset")

    def __init__(self, hasher: hashlib._Hash, offset: int) -> None:
        self.hasher = hasher
        self.offset = offset


class FilesystemUploadWriter:
    """Appends to an upload file and feeds the running digest in one pass."""

    def __init__(self, store: FilesystemBlobStore, upload_id: str, path: Path) -> None:
        self._store = store
        self._upload_id = upload_id
        self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        self.offset = self._file.seek(0, os.SEEK_END)
        self._hash = store._running_hash(upload_id, path, self.offset)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            view = view[written:]
        self._hash.update(data)
        self.offset += len(data)

    def close(self) -> None:
        self._file.close()
        self._store._remember_hash(self._upload_id, self._hash, self.offset)


class FilesystemBlobStore:
    """The :class:`~cloudraya_registry.storage.base.BlobStore` on a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._uploads = self.root / "_uploads"
        self._tmp = self.root / "_tmp"
        for directory in (self.root, self._uploads, self._tmp):
            directory.mkdir(parents=True, exist_ok=True)
        self._hashes: dict[str, _RunningHash] = {}
        self._hashes_lock = threading.Lock()

    # -- paths -----------------------------------------------------------------------------
    def _blob_path(self, digest: str) -> Path:
        if not DIGEST_PATTERN.match(digest):
            raise ValueError(f"not a supported digest: {digest!r}")
        algorithm, hex_digest = digest.split(":", 1)
        return self.root / algorithm / hex_digest[:2] / hex_digest

    def _upload_path(self, upload_id: str) -> Path:
        if not UPLOAD_ID_PATTERN.match(upload_id):
            raise UploadMissingError(upload_id)
        return self._uploads / upload_id

    # -- blobs -----------------------------------------------------------------------------
    def stat(self, digest: str) -> int | None:
        try:
            return self._blob_path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def local_path(self, digest: str) -> Path | None:
        """Where the blob lives on disk (lets the server hand the file to the OS directly)."""
        path = self._blob_path(digest)
        return path if path.exists() else None

    def open_read(self, digest: str) -> BinaryIO | None:
        try:
            return open(self._blob_path(digest), "rb")
        except FileNotFoundError:
            return None

    def read_bytes(self, digest: str, max_size: int) -> bytes | None:
        with_reader = self.open_read(digest)
        if with_reader is None:
            return None
        with with_reader as reader:
            data = reader.read(max_size + 1)
        if len(data) > max_size:
            raise ValueError(f"blob {digest} is larger than {max_size} bytes")
        return data

    def put_bytes(self, digest: str, data: bytes) -> None:
        algorithm, expected = digest.split(":", 1)
        actual = hashlib.new(algorithm, data).hexdigest()
        if actual != expected:
            raise DigestMismatchError(digest, f"{algorithm}:{actual}")
        final = self._blob_path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)

    def delete(self, digest: str) -> bool:
        try:
            self._blob_path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_blobs(self) -> Iterator[StoredObject]:
        for algorithm in SUPPORTED_ALGORITHMS:
            base = self.root / algorithm
            if not base.is_dir():
                continue
            for prefix in base.iterdir():
                if not prefix.is_dir():
                    continue
                for entry in prefix.iterdir():
                    digest = f"{algorithm}:{entry.name}"
                    if not DIGEST_PATTERN.match(digest):
                        continue
                    try:
                        info = entry.stat()
                    except FileNotFoundError:
                        continue
                    yield StoredObject(digest, info.st_size, info.st_mtime)

    def iter_tmp_files(self) -> Iterator[StoredObject]:
        """Scratch files left behind by a crash during a small put."""
        for entry in self._tmp.iterdir():
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue
            yield StoredObject(entry.name, info.st_size, info.st_mtime)

    def delete_tmp_file(self, name: str) -> None:
        (self._tmp / Path(name).name).unlink(missing_ok=True)

    # -- uploads ---------------------------------------------------------------------------
    def create_upload(self, upload_id: str) -> None:
        self._upload_path(upload_id).touch(exist_ok=False)
        self._remember_hash(upload_id, hashlib.new(_RUNNING_ALGORITHM), 0)

    def upload_size(self, upload_id: str) -> int | None:
        try:
            return self._upload_path(upload_id).stat().st_size
        except (FileNotFoundError, UploadMissingError):
            return None

    def open_upload(self, upload_id: str) -> FilesystemUploadWriter:
        path = self._upload_path(upload_id)
        if not path.exists():
            raise UploadMissingError(upload_id)
        return FilesystemUploadWriter(self, upload_id, path)

    def seal_upload(self, upload_id: str, algorithm: str) -> tuple[int, str]:
        path = self._upload_path(upload_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise UploadMissingError(upload_id) from None
        try:
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if algorithm == _RUNNING_ALGORITHM:
            hasher = self._running_hash(upload_id, path, size)
        else:
            hasher = _hash_file(path, algorithm, size)
        return size, f"{algorithm}:{hasher.hexdigest()}"

    def promote_upload(self, upload_id: str, digest: str) -> None:
        source = self._upload_path(upload_id)
        final = self._blob_path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            # A fresh mtime gives the garbage collector's grace period a correct start.
            os.utime(source)
            os.replace(source, final)
        except FileNotFoundError:
            raise UploadMissingError(upload_id) from None
        _fsync_dir(final.parent)
        self._forget_hash(upload_id)

    def truncate_upload(self, upload_id: str, size: int) -> None:
        path = self._upload_path(upload_id)
        try:
            os.truncate(path, size)
        except FileNotFoundError:
            raise UploadMissingError(upload_id) from None
        self._forget_hash(upload_id)

    def delete_upload(self, upload_id: str) -> None:
        try:
            self._upload_path(upload_id).unlink(missing_ok=True)
        except UploadMissingError:
            return
        self._forget_hash(upload_id)

    def iter_uploads(self) -> Iterator[StoredObject]:
        for entry in self._uploads.iterdir():
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue
            yield StoredObject(entry.name, info.st_size, info.st_mtime)

    # -- running digests ---------------------------------------------------------------------
    def _running_hash(self, upload_id: str, path: Path, size: int) -> hashlib._Hash:
        """A copy of the running sha256 at ``size`` bytes, recomputed from disk when unknown."""
        with self._hashes_lock:
            known = self._hashes.get(upload_id)
            if known is not None and known.offset == size:
                return known.hasher.copy()
        return _hash_file(path, _RUNNING_ALGORITHM, size)

    def _remember_hash(self, upload_id: str, hasher: hashlib._Hash, offset: int) -> None:
        with self._hashes_lock:
            self._hashes[upload_id] = _RunningHash(hasher.copy(), offset)

    def _forget_hash(self, upload_id: str) -> None:
        with self._hashes_lock:
            self._hashes.pop(upload_id, None)


def _hash_file(path: Path, algorithm: str, size: int) -> hashlib._Hash:
    hasher = hashlib.new(algorithm)
    remaining = size
    with open(path, "rb") as reader:
        while remaining > 0:
            chunk = reader.read(min(_READ_CHUNK, remaining))
            if not chunk:
                break
            hasher.update(chunk)
            remaining -= len(chunk)
    return hasher
