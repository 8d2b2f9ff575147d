"""Garbage collection of blob data nothing references any more.

Roots are manifests and repository links (``repository_blobs``): a blob stays while any
repository links it or any manifest is stored under its digest. A link that no manifest of its
repository uses any more (its image was deleted, or a push was abandoned) is dropped once it is
older than ``LINK_GRACE_SECONDS``, so deleting images frees quota without racing pushes in
progress (their fresh links are kept). Unreferenced blobs and orphaned
files are removed only when older than a grace period, so content that a concurrent push has
just written (file renamed into place, rows not yet committed) is never collected. Upload
sessions untouched for ``--upload-expiry`` are removed with their data; upload files without a
session row (monolithic uploads) only after ``ORPHAN_UPLOAD_SECONDS``.

With several replicas, one collection runs at a time (the others skip theirs: the GC lock), and
each deletion holds the content lock exclusively while pushes, mounts and upload commits hold
it shared: a blob is deleted only when, with no content change in flight, no row references it,
and a push that comes after finds it gone (and uploads it again) instead of referencing bytes
that are about to disappear.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import delete, exists, select

from cloudraya_registry.db.locks import LockKey, lock_for_transaction, try_lock
from cloudraya_registry.db.models import Blob, Manifest, ManifestReference, RepositoryBlob, Upload
from cloudraya_registry.domain.content import expire_uploads
from cloudraya_registry.state import ServiceState

log = logging.getLogger(__name__)

GRACE_PERIOD_SECONDS = 600.0
# CLOUDRAYA_GC_GRACE_SECONDS (ServiceConfig.gc_grace_seconds) shortens both grace periods.
LINK_GRACE_SECONDS = 3600.0
# Upload files without a session row belong to monolithic uploads, which may be streaming right
# now in another process: they are only removed when untouched this long, whatever the grace.
ORPHAN_UPLOAD_SECONDS = 3600.0
# Blob and scratch files without a row may be mid-commit right now (renamed into place a moment
# before their rows commit): never younger than this, whatever the configured grace.
ORPHAN_FILE_MIN_SECONDS = 60.0


def collect_garbage(
    state: ServiceState,
    *,
    grace_seconds: float | None = None,
    link_grace_seconds: float | None = None,
) -> dict:
    """Remove unreferenced blobs and orphaned upload files; return what was removed.

    Report: ``{"links_removed": int, "blobs_removed": [...digests], "bytes_freed": int,
    "uploads_removed": [...ids], "orphan_files_removed": int, "skipped": bool}``; ``skipped``
    is true when another replica was collecting already (nothing was done).
    """
    with try_lock(state.db, LockKey.GC_RUN) as mine:
        if not mine:
            log.info("garbage collection skipped: another replica is collecting")
            return {**_empty_report(0), "skipped": True}
        return _collect(state, grace_seconds, link_grace_seconds)


def _empty_report(links_removed: int) -> dict:
    return {
        "links_removed": links_removed,
        "blobs_removed": [],
        "bytes_freed": 0,
        "uploads_removed": [],
        "orphan_files_removed": 0,
        "skipped": False,
    }


def _collect(
    state: ServiceState, grace_seconds: float | None, link_grace_seconds: float | None
) -> dict:
    configured = state.config.gc_grace_seconds
    if grace_seconds is None:
        grace_seconds = GRACE_PERIOD_SECONDS if configured is None else configured
    if link_grace_seconds is None:
        link_grace_seconds = LINK_GRACE_SECONDS if configured is None else configured
    store = state.blob_store
    now = time.time()
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=grace_seconds)
    report = _empty_report(_prune_links(state, link_grace_seconds))

    referenced = exists().where(RepositoryBlob.digest == Blob.digest)
    as_manifest = exists().where(Manifest.digest == Blob.digest)
    with state.db.read() as session:
        candidates = session.execute(
            select(Blob.digest, Blob.size).where(
                ~referenced, ~as_manifest, Blob.created_at < cutoff
            )
        ).all()
    for digest, size in candidates:
        with state.db.write() as session:
            lock_for_transaction(session, LockKey.CONTENT)
            # Re-checked under the lock: a push may have linked it meanwhile.
            removed = session.execute(
                delete(Blob).where(
                    Blob.digest == digest, ~referenced, ~as_manifest, Blob.created_at < cutoff
                )
            ).rowcount
            if removed:
                store.delete(digest)
        if removed:
            report["blobs_removed"].append(digest)
            report["bytes_freed"] += int(size)

    # Files with no row at all: a crash between rename and commit, or a removed row.
    with state.db.read() as session:
        known = set(session.scalars(select(Blob.digest)))
    for stored in store.iter_blobs():
        if stored.key in known or now - stored.modified < max(
            grace_seconds, ORPHAN_FILE_MIN_SECONDS
        ):
            continue
        with state.db.write() as session:
            lock_for_transaction(session, LockKey.CONTENT)
            # A push that stored these bytes and is committing their row holds the lock.
            if session.get(Blob, stored.key) is not None or not store.delete(stored.key):
                continue
        report["orphan_files_removed"] += 1
        report["bytes_freed"] += stored.size

    report["uploads_removed"] += expire_uploads(state)

    with state.db.read() as session:
        live_uploads = set(session.scalars(select(Upload.id)))
    for stored in store.iter_uploads():
        if stored.key in live_uploads or now - stored.modified < ORPHAN_UPLOAD_SECONDS:
            continue
        with state.db.read() as session:
            if session.get(Upload, stored.key) is not None:
                continue
        store.delete_upload(stored.key)
        report["uploads_removed"].append(stored.key)

    report["orphan_files_removed"] += store.sweep_scratch(
        max(grace_seconds, ORPHAN_FILE_MIN_SECONDS), now
    )

    if report["blobs_removed"] or report["uploads_removed"] or report["orphan_files_removed"]:
        log.info(
            "garbage collection removed %d blobs, %d uploads, %d orphan files (%d bytes)",
            len(report["blobs_removed"]),
            len(report["uploads_removed"]),
            report["orphan_files_removed"],
            report["bytes_freed"],
        )
    return report


def _prune_links(state: ServiceState, link_grace_seconds: float) -> int:
    """Drop old repository links that no manifest of the same repository references."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=link_grace_seconds)
    used_by_manifest = (
        exists()
        .where(
            ManifestReference.digest == RepositoryBlob.digest,
            ManifestReference.manifest_id == Manifest.id,
            Manifest.repository_id == RepositoryBlob.repository_id,
        )
        .correlate(RepositoryBlob)
    )
    is_manifest = (
        exists()
        .where(
            Manifest.digest == RepositoryBlob.digest,
            Manifest.repository_id == RepositoryBlob.repository_id,
        )
        .correlate(RepositoryBlob)
    )
    with state.db.write() as session:
        lock_for_transaction(session, LockKey.CONTENT)
        removed = session.execute(
            delete(RepositoryBlob).where(
                RepositoryBlob.created_at < cutoff, ~used_by_manifest, ~is_manifest
            )
        ).rowcount
    return int(removed or 0)
