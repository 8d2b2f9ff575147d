"""Blob storage: a small driver contract (filesystem, S3-compatible, in-memory for tests)
under one content-addressed blob store that owns digests, upload sessions and verification.

The data plane and the garbage collector only talk to :class:`BlobStore`; drivers only store
files under paths (see :mod:`~cloudraya_registry.storage.driver`).
"""

from __future__ import annotations

from cloudraya_registry.storage.blobstore import (
    BlobStore,
    DigestMismatchError,
    StoredObject,
    UploadMissingError,
    UploadWriter,
)
from cloudraya_registry.storage.driver import (
    FileInfo,
    FileWriter,
    PathNotFound,
    StorageDriver,
    StorageUnavailable,
)
from cloudraya_registry.storage.factory import (
    StorageUrlError,
    default_storage_url,
    open_blob_store,
    open_driver,
)

__all__ = [
    "BlobStore",
    "DigestMismatchError",
    "FileInfo",
    "FileWriter",
    "PathNotFound",
    "StorageDriver",
    "StorageUnavailable",
    "StorageUrlError",
    "StoredObject",
    "UploadMissingError",
    "UploadWriter",
    "default_storage_url",
    "open_blob_store",
    "open_driver",
]
