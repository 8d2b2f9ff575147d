"""SeaweedFS `weed mini` starts on free loopback ports and serves S3 to boto3."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.seaweedfs import SeaweedS3


@pytest.fixture
def weed(tmp_path: Path) -> Iterator[SeaweedS3]:
    store = SeaweedS3(tmp_path / "weed").start()
    yield store
    store.stop()


def test_boto3_puts_and_gets_an_object_in_the_bucket_weed_created(weed: SeaweedS3) -> None:
    s3 = weed.client()
    assert weed.bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]

    payload = os.urandom(3 * 1024 * 1024)
    s3.put_object(Bucket=weed.bucket, Key="blobs/sha256/one", Body=payload)
    body = s3.get_object(Bucket=weed.bucket, Key="blobs/sha256/one")["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(payload).digest()

    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=weed.bucket, Key="blobs/sha256/missing")
