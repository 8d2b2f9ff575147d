"""Blob storage behind a driver boundary: content-addressed blobs plus resumable upload files.

The data plane and garbage collector only talk to the :class:`BlobStore` protocol, so an
S3-compatible driver can be added beside the filesystem one without touching the handlers.
"""

from __future__ import annotations

from pathlib import Path

from cloudraya_registry.storage.base import (
    BlobStore,
    DigestMismatchError,
    StoredObject,
    UploadMissingError,
    UploadWriter,
)
from cloudraya_registry.storage.filesystem import FilesystemBlobStore

__all__ = [
    "BlobStore",
    "DigestMismatchError",
    "FilesystemBlobStore",
    "StoredObject",
    "UploadMissingError",
    "UploadWriter",
    "open_blob_store",
]


def open_blob_store(data_dir: Path) -> BlobStore:
    """The blob store of a service data directory (local disk under ``data_dir/blobs``)."""
    return FilesystemBlobStore(Path(data_dir) / "blobs")
