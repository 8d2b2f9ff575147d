"""The local-disk driver: files under a root directory, crash-safe.

Small files are written to ``_tmp/`` and renamed into place after an ``fsync``; a writer
appends to its file in place and ``commit()`` makes it durable. A crash therefore never leaves
a half-written file under a final name, only scratch files (swept by garbage collection) and
partial upload files (which belong to upload sessions).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cloudraya_registry.storage.driver import (
    FileInfo,
    PathNotFound,
    StorageUnavailable,
    check_path,
)

SCRATCH_DIR = "_tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemWriter:
    def __init__(self, path: Path, append: bool) -> None:
        if append and not path.is_file():
            raise PathNotFound(str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._file = open(path, "ab" if append else "wb", buffering=0)  # noqa: SIM115
        self._start = self.size = self._file.seek(0, os.SEEK_END)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            view = view[written:]
        self.size += len(data)

    def close(self) -> None:
        self._file.close()

    def abort(self) -> None:
        self._file.truncate(self._start)
        self.size = self._start
        self._file.close()

    def cancel(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)

    def commit(self) -> None:
        os.fsync(self._file.fileno())
        self._file.close()

    def held_content(self) -> None:
        return None


class FilesystemDriver:
    """The :class:`~cloudraya_registry.storage.driver.StorageDriver` on a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._scratch = self.root / SCRATCH_DIR
        self._scratch.mkdir(parents=True, exist_ok=True)

    def _full(self, path: str) -> Path:
        return self.root / check_path(path)

    def describe(self) -> str:
        return f"file://{self.root}"

    def ping(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"storage directory {self.root} is not writable")

    def stat(self, path: str) -> FileInfo | None:
        try:
            info = self._full(path).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return FileInfo(path, info.st_size, info.st_mtime)

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        try:
            handle = open(self._full(path), "rb")  # noqa: SIM115 - the caller closes it
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise PathNotFound(path) from None
        if offset:
            handle.seek(offset)
        return handle

    def get_content(self, path: str, max_size: int) -> bytes:
        with self.reader(path) as handle:
            data = handle.read(max_size + 1)
        if len(data) > max_size:
            raise ValueError(f"{path} is larger than {max_size} bytes")
        return data

    def put_content(self, path: str, data: bytes) -> None:
        final = self._full(path)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self._scratch, prefix="put-")
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

    def writer(self, path: str, append: bool = False) -> FilesystemWriter:
        return FilesystemWriter(self._full(path), append)

    def resumable_size(self, path: str) -> int | None:
        info = self.stat(path)
        return None if info is None else info.size

    def list(self, prefix: str) -> Iterator[FileInfo]:
        base = self._full(prefix)
        if not base.is_dir():
            return
        for directory, _dirs, files in os.walk(base):
            for name in files:
                full = Path(directory) / name
                try:
                    info = full.stat()
                except FileNotFoundError:
                    continue
                yield FileInfo(str(full.relative_to(self.root)), info.st_size, info.st_mtime)

    def children(self, prefix: str) -> Iterator[str]:
        try:
            yield from sorted(entry.name for entry in self._full(prefix).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return

    def move(self, source: str, destination: str) -> None:
        target = self._full(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        origin = self._full(source)
        try:
            # A fresh mtime gives the garbage collector's grace period a correct start.
            os.utime(origin)
            os.replace(origin, target)
        except FileNotFoundError:
            raise PathNotFound(source) from None
        _fsync_dir(target.parent)

    def delete(self, path: str) -> bool:
        full = self._full(path)
        if full.is_dir():
            shutil.rmtree(full, ignore_errors=True)
            return True
        try:
            full.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        return True

    def local_path(self, path: str) -> Path | None:
        full = self._full(path)
        return full if full.is_file() else None

    def redirect_url(self, path: str) -> str | None:
        return None

    # -- crash leftovers ---------------------------------------------------------------------
    def scratch_files(self) -> Iterator[FileInfo]:
        """Scratch files a crash during ``put_content`` left behind."""
        for entry in self._scratch.iterdir():
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue
            yield FileInfo(entry.name, info.st_size, info.st_mtime)

    def delete_scratch_file(self, name: str) -> None:
        (self._scratch / Path(name).name).unlink(missing_ok=True)
