"""The storage-driver contract, run against every driver (distribution's testsuites in spirit).

Each driver gets an empty root; "another process" is a second driver object on the same root,
which shares nothing in memory with the first (the in-memory driver is its own exception).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cloudraya_registry.storage import PathNotFound, StorageDriver, open_driver
from cloudraya_registry.storage.filesystem import FilesystemDriver
from cloudraya_registry.storage.memory import InMemoryDriver
from cloudraya_registry.storage.s3 import PART_BYTES

from tests.support.objectstore import fresh_s3_url, s3_environ

DRIVERS = ["filesystem", "memory", "s3"]
MiB = 1024 * 1024


@pytest.fixture(params=DRIVERS)
def open_same(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], StorageDriver]:
    """Opens the driver under test on one root; each call is a new driver object."""
    if request.param == "filesystem":
        return lambda: FilesystemDriver(tmp_path / "root")
    if request.param == "memory":
        shared = InMemoryDriver()
        return lambda: shared
    weed = request.getfixturevalue("seaweed")
    url, environ = fresh_s3_url(weed), s3_environ(weed)
    return lambda: open_driver(url, environ)


@pytest.fixture
def driver(open_same: Callable[[], StorageDriver]) -> StorageDriver:
    return open_same()


def _read_all(driver: StorageDriver, path: str, offset: int = 0) -> bytes:
    with driver.reader(path, offset) as reader:
        return reader.read()


def test_small_files_round_trip_and_absent_paths_say_so(driver: StorageDriver) -> None:
    driver.ping()
    assert driver.stat("a/b/file") is None
    with pytest.raises(PathNotFound):
        driver.get_content("a/b/file", 100)
    with pytest.raises(PathNotFound):
        driver.reader("a/b/file")
    driver.put_content("a/b/file", b"first")
    driver.put_content("a/b/file", b"second content")
    assert driver.get_content("a/b/file", 100) == b"second content"
    info = driver.stat("a/b/file")
    assert info is not None and info.size == len(b"second content") and info.modified > 0
    with pytest.raises(ValueError):
        driver.get_content("a/b/file", 5)


def test_paths_that_escape_the_root_are_refused(driver: StorageDriver) -> None:
    for bad in ("../x", "/abs", "a//b", "a/../b", ""):
        with pytest.raises(ValueError):
            driver.put_content(bad, b"x")


def test_reader_starts_at_an_offset_and_seeks(driver: StorageDriver) -> None:
    data = os.urandom(3 * MiB + 17)
    driver.put_content("blob", data)
    assert _read_all(driver, "blob", MiB) == data[MiB:]
    with driver.reader("blob") as reader:
        reader.seek(len(data) - 10)
        assert reader.read() == data[-10:]
        reader.seek(5)
        assert reader.read(7) == data[5:12]


def test_writer_resumes_in_another_process_across_parts(
    open_same: Callable[[], StorageDriver],
) -> None:
    """Odd-sized appends over several multipart parts, each session closed and resumed by a
    fresh driver object, commit to exactly the bytes written."""
    data = os.urandom(2 * PART_BYTES + 3 * MiB + 5)
    cuts = [0, 1000, PART_BYTES - 3, PART_BYTES + 10, 2 * PART_BYTES + MiB, len(data)]
    first = open_same().writer("uploads/u1/data")
    first.close()
    for start, end in itertools.pairwise(cuts):
        assert open_same().resumable_size("uploads/u1/data") == start
        writer = open_same().writer("uploads/u1/data", append=True)
        assert writer.size == start
        for offset in range(start, end, 3 * MiB):
            writer.write(data[offset : min(offset + 3 * MiB, end)])
        assert writer.size == end
        writer.close()
    final = open_same().writer("uploads/u1/data", append=True)
    final.commit()
    reader = open_same()
    assert reader.stat("uploads/u1/data").size == len(data)
    assert hashlib.sha256(_read_all(reader, "uploads/u1/data")).digest() == (
        hashlib.sha256(data).digest()
    )


def test_abort_forgets_only_what_this_writer_appended(
    open_same: Callable[[], StorageDriver],
) -> None:
    kept, refused = os.urandom(PART_BYTES + 100), os.urandom(PART_BYTES + 200)
    writer = open_same().writer("w/data")
    writer.write(kept)
    writer.close()
    writer = open_same().writer("w/data", append=True)
    writer.write(refused)
    writer.abort()
    assert writer.size == len(kept)
    assert open_same().resumable_size("w/data") == len(kept)
    writer = open_same().writer("w/data", append=True)
    assert writer.size == len(kept)
    writer.write(b"tail")
    writer.commit()
    assert _read_all(open_same(), "w/data") == kept + b"tail"


def test_small_and_empty_files_commit(driver: StorageDriver) -> None:
    for path, data in (("s/empty", b""), ("s/small", b"tiny")):
        writer = driver.writer(path)
        writer.write(data)
        writer.commit()
        assert driver.get_content(path, 100) == data
        assert driver.resumable_size(path) == len(data)


def test_cancel_removes_the_file_and_its_session(driver: StorageDriver) -> None:
    writer = driver.writer("c/data")
    writer.write(os.urandom(PART_BYTES + 1))
    writer.close()
    driver.writer("c/data", append=True).cancel()
    assert driver.resumable_size("c/data") is None
    assert list(driver.list("c")) == []
    with pytest.raises(PathNotFound):
        driver.writer("c/data", append=True)


def test_list_children_move_and_recursive_delete(driver: StorageDriver) -> None:
    driver.put_content("d/x/one", b"1")
    driver.put_content("d/x/two", b"22")
    driver.put_content("d/y", b"333")
    assert sorted(info.path for info in driver.list("d")) == ["d/x/one", "d/x/two", "d/y"]
    assert list(driver.children("d")) == ["x", "y"]
    assert list(driver.children("nothing-here")) == []
    driver.put_content("d/target", b"old")
    driver.move("d/y", "d/target")
    assert driver.get_content("d/target", 10) == b"333"
    assert driver.stat("d/y") is None
    with pytest.raises(PathNotFound):
        driver.move("d/y", "d/elsewhere")
    assert driver.delete("d/x") is True
    assert sorted(info.path for info in driver.list("d")) == ["d/target"]
    assert driver.delete("d/x") is False


def test_move_of_a_large_file_keeps_every_byte(driver: StorageDriver) -> None:
    data = os.urandom(2 * PART_BYTES + 123)
    writer = driver.writer("big/data")
    writer.write(data)
    writer.commit()
    driver.move("big/data", "sha256/ab/final")
    assert driver.stat("big/data") is None
    assert hashlib.sha256(_read_all(driver, "sha256/ab/final")).digest() == (
        hashlib.sha256(data).digest()
    )
