"""The content-addressed blob store on every driver: upload sessions any replica continues,
digests verified whether or not this process saw every byte, nothing partial under a digest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cloudraya_registry.storage import (
    BlobStore,
    DigestMismatchError,
    UploadMissingError,
    open_driver,
)
from cloudraya_registry.storage.filesystem import FilesystemDriver
from cloudraya_registry.storage.memory import InMemoryDriver
from cloudraya_registry.storage.s3 import PART_BYTES

from tests.support.objectstore import fresh_s3_url, s3_environ

UPLOAD = "upload-0123456789abcdef"


def digest(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


@pytest.fixture(params=["filesystem", "memory", "s3"])
def replica(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], BlobStore]:
    """Each call is another replica's blob store over the same storage."""
    if request.param == "filesystem":
        return lambda: BlobStore(FilesystemDriver(tmp_path / "blobs"))
    if request.param == "memory":
        shared = InMemoryDriver()
        return lambda: BlobStore(shared)
    weed = request.getfixturevalue("seaweed")
    url, environ = fresh_s3_url(weed), s3_environ(weed)
    return lambda: BlobStore(open_driver(url, environ))


def _append(store: BlobStore, data: bytes) -> None:
    writer = store.open_upload(UPLOAD)
    writer.write(data)
    writer.close()


def test_an_upload_continued_on_other_replicas_commits_under_its_digest(
    replica: Callable[[], BlobStore],
) -> None:
    a, b = replica(), replica()
    data = os.urandom(PART_BYTES + 4321)
    a.create_upload(UPLOAD)
    _append(a, data[:1000])
    _append(b, data[1000:PART_BYTES])  # b never saw the first bytes
    _append(a, data[PART_BYTES:])  # a's running digest is stale now
    assert replica().upload_size(UPLOAD) == len(data)
    sealed = b.seal_upload(UPLOAD, "sha256")
    assert (sealed.size, sealed.digest, sealed.held) == (len(data), digest(data), None)
    # A retried PUT seals again and finds the same bytes.
    assert replica().seal_upload(UPLOAD, "sha256")[:2] == (len(data), digest(data))
    assert a.stat(digest(data)) is None  # nothing under the digest before promotion
    a.promote_upload(UPLOAD, digest(data))
    reader = replica().open_read(digest(data))
    assert reader is not None
    with reader:
        assert hashlib.sha256(reader.read()).hexdigest() == digest(data).split(":")[1]
    assert list(replica().iter_uploads()) == []
    assert [blob.key for blob in replica().iter_blobs()] == [digest(data)]


def test_sha512_uploads_are_verified_too(replica: Callable[[], BlobStore]) -> None:
    store = replica()
    store.create_upload(UPLOAD)
    _append(store, b"sha512 content")
    sealed = store.seal_upload(UPLOAD, "sha512")
    assert sealed[:2] == (14, digest(b"sha512 content", "sha512"))


def test_an_aborted_chunk_leaves_the_upload_as_it_was(replica: Callable[[], BlobStore]) -> None:
    store = replica()
    store.create_upload(UPLOAD)
    _append(store, b"kept ")
    writer = replica().open_upload(UPLOAD)
    writer.write(os.urandom(PART_BYTES + 1))
    writer.abort()
    _append(store, b"and more")
    assert store.seal_upload(UPLOAD, "sha256")[:2] == (13, digest(b"kept and more"))


def test_cancelled_uploads_are_gone_everywhere(replica: Callable[[], BlobStore]) -> None:
    store = replica()
    store.create_upload(UPLOAD)
    _append(store, b"data")
    assert [u.key for u in replica().iter_uploads()] == [UPLOAD]
    replica().delete_upload(UPLOAD)
    assert store.upload_size(UPLOAD) is None
    with pytest.raises(UploadMissingError):
        store.open_upload(UPLOAD)
    with pytest.raises(UploadMissingError):
        store.seal_upload(UPLOAD, "sha256")
    assert list(store.iter_uploads()) == []


def test_small_content_is_checked_against_its_digest(replica: Callable[[], BlobStore]) -> None:
    store = replica()
    with pytest.raises(DigestMismatchError):
        store.put_bytes(digest(b"claimed"), b"actual")
    assert store.stat(digest(b"claimed")) is None
    store.put_bytes(digest(b"manifest"), b"manifest")
    assert replica().read_bytes(digest(b"manifest"), 100) == b"manifest"
    assert replica().delete(digest(b"manifest")) is True
    assert store.read_bytes(digest(b"manifest"), 100) is None


def test_malformed_digests_and_upload_ids_never_reach_the_driver(
    replica: Callable[[], BlobStore],
) -> None:
    store = replica()
    with pytest.raises(ValueError):
        store.stat("sha256:../../etc/passwd")
    assert store.upload_size("../../x") is None
    with pytest.raises(UploadMissingError):
        store.open_upload("bad/id")
