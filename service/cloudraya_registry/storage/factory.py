"""The blob store a ``--storage-url`` names.

- ``file://DIR``: local disk, blobs under ``DIR/blobs`` (the default is the data directory,
  which is today's embedded layout);
- ``s3://BUCKET[/PREFIX]``: an S3-compatible bucket, configured by the standard ``AWS_*``
  variables (see :mod:`cloudraya_registry.storage.s3`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cloudraya_registry.storage.blobstore import BlobStore
from cloudraya_registry.storage.driver import StorageDriver

SCHEMES = ("file", "s3")
BLOBS_DIR = "blobs"


class StorageUrlError(ValueError):
    """The storage URL is not one the service understands; the message says what is."""


def default_storage_url(data_dir: Path) -> str:
    return Path(data_dir).resolve().as_uri()


def open_driver(url: str, environ: Mapping[str, str]) -> StorageDriver:
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StorageUrlError(
                f"storage URL {url!r}: a file URL needs an absolute directory, file:///srv/data"
            )
        from cloudraya_registry.storage.filesystem import FilesystemDriver

        return FilesystemDriver(Path(unquote(parts.path)) / BLOBS_DIR)
    if parts.scheme == "s3":
        if not parts.netloc or parts.query or parts.fragment:
            raise StorageUrlError(
                f"storage URL {url!r}: an S3 URL is s3://BUCKET or s3://BUCKET/PREFIX; the "
                "endpoint and credentials come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"
            )
        from cloudraya_registry.storage.s3 import S3Driver

        return S3Driver(parts.netloc, unquote(parts.path), environ)
    raise StorageUrlError(
        f"storage URL {url!r} is not supported; use file:///DIR or s3://BUCKET[/PREFIX]"
    )


def open_blob_store(url: str, environ: Mapping[str, str]) -> BlobStore:
    """The blob store at ``url`` (not yet checked: call ``ping()`` to know it is usable)."""
    return BlobStore(open_driver(url, environ))
