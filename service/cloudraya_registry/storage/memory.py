"""An in-memory driver: the contract's reference for tests (one process, nothing durable)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cloudraya_registry.storage.driver import FileInfo, PathNotFound, check_path


@dataclass
class _File:
    data: bytearray = field(default_factory=bytearray)
    modified: float = field(default_factory=time.time)


class InMemoryWriter:
    def __init__(self, driver: InMemoryDriver, path: str, append: bool) -> None:
        self._driver, self._path = driver, path
        with driver._lock:
            existing = driver._files.get(path)
            if append and existing is None:
                raise PathNotFound(path)
            if not append or existing is None:
                existing = driver._files[path] = _File()
            self._file = existing
            self._start = self.size = len(existing.data)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        with self._driver._lock:
            self._file.data += data
            self._file.modified = time.time()
        self.size += len(data)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        with self._driver._lock:
            del self._file.data[self._start :]
        self.size = self._start

    def cancel(self) -> None:
        self._driver.delete(self._path)

    def commit(self) -> None:
        pass

    def held_content(self) -> None:
        return None


class InMemoryDriver:
    def __init__(self) -> None:
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()

    def describe(self) -> str:
        return "memory://"

    def ping(self) -> None:
        pass

    def _get(self, path: str) -> _File:
        with self._lock:
            found = self._files.get(check_path(path))
        if found is None:
            raise PathNotFound(path)
        return found

    def stat(self, path: str) -> FileInfo | None:
        try:
            found = self._get(path)
        except PathNotFound:
            return None
        return FileInfo(path, len(found.data), found.modified)

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        stream = io.BytesIO(bytes(self._get(path).data))
        stream.seek(offset)
        return stream

    def get_content(self, path: str, max_size: int) -> bytes:
        data = bytes(self._get(path).data)
        if len(data) > max_size:
            raise ValueError(f"{path} is larger than {max_size} bytes")
        return data

    def put_content(self, path: str, data: bytes) -> None:
        with self._lock:
            self._files[check_path(path)] = _File(bytearray(data))

    def writer(self, path: str, append: bool = False) -> InMemoryWriter:
        return InMemoryWriter(self, check_path(path), append)

    def resumable_size(self, path: str) -> int | None:
        info = self.stat(path)
        return None if info is None else info.size

    def _under(self, prefix: str) -> list[str]:
        start = check_path(prefix) + "/"
        with self._lock:
            return sorted(p for p in self._files if p.startswith(start))

    def list(self, prefix: str) -> Iterator[FileInfo]:
        for path in self._under(prefix):
            info = self.stat(path)
            if info is not None:
                yield info

    def children(self, prefix: str) -> Iterator[str]:
        start = len(check_path(prefix)) + 1
        yield from sorted({path[start:].split("/", 1)[0] for path in self._under(prefix)})

    def move(self, source: str, destination: str) -> None:
        with self._lock:
            found = self._files.pop(check_path(source), None)
            if found is None:
                raise PathNotFound(source)
            found.modified = time.time()
            self._files[check_path(destination)] = found

    def delete(self, path: str) -> bool:
        doomed = [*self._under(path)]
        with self._lock:
            removed = self._files.pop(check_path(path), None) is not None
            for child in doomed:
                removed = self._files.pop(child, None) is not None or removed
        return removed

    def local_path(self, path: str) -> Path | None:
        return None

    def redirect_url(self, path: str) -> str | None:
        return None
