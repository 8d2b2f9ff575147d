"""What a small blob's upload costs on S3, in requests: each is billed by AWS and costs the
service milliseconds of CPU, so most pushes (configs, manifests, small layers) must stay cheap."""

from __future__ import annotations

import hashlib
import os
from collections import Counter

from cloudraya_registry.storage import BlobStore, open_driver
from cloudraya_registry.storage.s3 import INLINE_TAIL_BYTES, S3Driver

from tests.support.objectstore import fresh_s3_url, s3_environ
from tests.support.seaweedfs import SeaweedS3

# POST: the session written. PATCH: the session read and written (the tail inside it). PUT: the
# session read; the target looked up and the blob written; the upload listed, its session read
# (any multipart upload to abort) and deleted. (16, and a transfer manager's threads, before.)
SMALL_UPLOAD_REQUESTS = 9


def _counted(weed: SeaweedS3) -> tuple[BlobStore, Counter[str]]:
    driver = open_driver(fresh_s3_url(weed), s3_environ(weed))
    assert isinstance(driver, S3Driver)
    calls: Counter[str] = Counter()
    driver.client.meta.events.register(
        "before-call.s3", lambda model, **_: calls.update([model.name])
    )
    return BlobStore(driver), calls


def _push(store: BlobStore, upload_id: str, chunks: list[bytes]) -> str:
    store.create_upload(upload_id)
    for chunk in chunks:
        writer = store.open_upload(upload_id)
        writer.write(chunk)
        writer.close()
    size, digest, held = store.seal_upload(upload_id, "sha256")
    assert size == sum(map(len, chunks))
    store.promote_upload(upload_id, digest, held)
    return digest


def test_a_small_blob_takes_a_handful_of_requests_and_no_multipart_upload(
    seaweed: SeaweedS3,
) -> None:
    store, calls = _counted(seaweed)
    data = os.urandom(16 * 1024)
    digest = _push(store, "upload-small-0123456789", [data])
    assert "CreateMultipartUpload" not in calls
    assert calls.total() <= SMALL_UPLOAD_REQUESTS, calls
    assert digest == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert store.read_bytes(digest, len(data)) == data


def test_a_tail_kept_in_the_session_survives_other_replicas(seaweed: SeaweedS3) -> None:
    """Chunks below and above the inline limit, each request on a fresh driver object."""
    url, environ = fresh_s3_url(seaweed), s3_environ(seaweed)
    chunks = [os.urandom(1000), os.urandom(INLINE_TAIL_BYTES), os.urandom(10), b"", b"x"]
    BlobStore(open_driver(url, environ)).create_upload("upload-tails-0123456789")
    for chunk in chunks:
        writer = BlobStore(open_driver(url, environ)).open_upload("upload-tails-0123456789")
        writer.write(chunk)
        writer.close()
    store = BlobStore(open_driver(url, environ))
    size, digest, held = store.seal_upload("upload-tails-0123456789", "sha256")
    whole = b"".join(chunks)
    assert (size, digest, held) == (
        len(whole),
        f"sha256:{hashlib.sha256(whole).hexdigest()}",
        whole,
    )
    store.promote_upload("upload-tails-0123456789", digest, held)
    assert store.read_bytes(digest, len(whole)) == whole
    assert [info.path for info in store.driver.list("_uploads")] == []
