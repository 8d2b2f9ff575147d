"""The background scan pool: a few threads inside the service process, fed from the database.

The queue *is* the ``manifests`` table: a manifest waiting for a scan has ``scan_status =
queued`` (set by a push with scan-on-push, or by ``POST .../scan``). Workers claim one with a
conditional update, so two workers (or two replicas on PostgreSQL) never take the same row.
Scans interrupted by a shutdown go back to ``queued`` and resume after the next start; so do
scans a crash left ``running`` (start-up re-queues them, once per service start however many
worker processes it runs; with several replicas a restart may repeat another replica's scan,
which only costs time since results are replaced whole).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping

from sqlalchemy import select, update

from cloudraya_registry.db.models import Manifest
from cloudraya_registry.db.session import Database
from cloudraya_registry.domain.scan_states import ScanStatus
from cloudraya_registry.scanning import results
from cloudraya_registry.scanning.limits import (
    ScanCancelled,
    ScanFailed,
    ScanLimits,
    ScanUnsupported,
    env_int,
)
from cloudraya_registry.scanning.matcher import match
from cloudraya_registry.scanning.scanner import scan_artifact
from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.scanning")

POLL_SECONDS = 2.0
DEFAULT_WORKERS = 2


def pool_size_from_env(environ: Mapping[str, str]) -> int:
    """``CLOUDRAYA_SCAN_WORKERS``: how many scans run at once (default 2)."""
    return env_int(environ, "CLOUDRAYA_SCAN_WORKERS", DEFAULT_WORKERS)


def requeue_interrupted_scans(db: Database) -> None:
    """A scan still "running" at start-up was cut short by a stop or crash: run it again."""
    with db.write() as session:
        session.execute(
            update(Manifest)
            .where(Manifest.scan_status == ScanStatus.RUNNING)
            .values(scan_status=ScanStatus.QUEUED)
        )


class ScanPool:
    def __init__(self, state: ServiceState, workers: int | None = None) -> None:
        self.state = state
        self.limits = ScanLimits.from_env(state.config.environ)
        self.size = workers or pool_size_from_env(state.config.environ)
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pending = 0
        self._pushed: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, *, requeue_interrupted: bool = True) -> None:
        """``requeue_interrupted=False`` in a worker process: the supervisor re-queued them once
        before starting its workers (a later worker must not re-queue an earlier one's scan)."""
        if requeue_interrupted:
            requeue_interrupted_scans(self.state.db)
        for index in range(self.size):
            thread = threading.Thread(target=self._run, name=f"scan-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(f"scan pool started with {self.size} workers")

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # -- feeding ----------------------------------------------------------------------------
    def wake(self) -> None:
        with self._wake:
            self._pending += 1
            self._wake.notify_all()

    def pushed(self, manifest_id: int) -> None:
        """Called on the push path: only hands the id over (no I/O)."""
        self._pushed.put(manifest_id)
        self.wake()

    def _drain_pushed(self) -> None:
        """Queue pushed manifests whose registry scans on push (if the push did not already)."""
        from cloudraya_registry.db.models import Registry, Repository

        ids: list[int] = []
        while True:
            try:
                ids.append(self._pushed.get_nowait())
            except queue.Empty:
                break
        if not ids:
            return
        with self.state.db.write() as session:
            rows = session.execute(
                select(Manifest.id)
                .join(Repository, Repository.id == Manifest.repository_id)
                .join(Registry, Registry.id == Repository.registry_id)
                .where(
                    Manifest.id.in_(ids),
                    Registry.scan_on_push.is_(True),
                    Manifest.scan_status == ScanStatus.NOT_SCANNED,
                )
            ).scalars()
            wanted = list(rows)
            if wanted:
                session.execute(
                    update(Manifest)
                    .where(Manifest.id.in_(wanted))
                    .values(scan_status=ScanStatus.QUEUED, scan_reason=None)
                )

    def _claim(self) -> Manifest | None:
        with self.state.db.read() as session:  # idle polls take no write lock
            waiting = session.scalar(
                select(Manifest.id).where(Manifest.scan_status == ScanStatus.QUEUED).limit(1)
            )
        if waiting is None:
            return None
        with self.state.db.write() as session:
            for candidate in session.scalars(
                select(Manifest)
                .where(Manifest.scan_status == ScanStatus.QUEUED)
                .order_by(Manifest.id)
                .limit(5)
            ):
                claimed = session.execute(
                    update(Manifest)
                    .where(Manifest.id == candidate.id, Manifest.scan_status == ScanStatus.QUEUED)
                    .values(scan_status=ScanStatus.RUNNING, scan_reason=None)
                )
                if claimed.rowcount == 1:
                    session.expunge(candidate)
                    return candidate
        return None

    # -- work -------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._drain_pushed()
                manifest = self._claim()
            except Exception:
                log.exception("scan queue unavailable")
                manifest = None
            if manifest is None:
                with self._wake:
                    if self._pending == 0:
                        self._wake.wait(POLL_SECONDS)
                    self._pending = 0
                continue
            self.scan(manifest.id, manifest.repository_id, manifest.digest, manifest.media_type)

    def scan(self, manifest_id: int, repository_id: int, digest: str, media_type: str) -> None:
        """Scan one claimed manifest and record the outcome; never raises."""
        log.info(f"scanning {digest}", extra={"manifest_id": manifest_id})
        try:
            outcome = scan_artifact(
                self.state.blob_store, digest, media_type, self.limits, cancel=self._stop
            )
            with self.state.db.read() as session:
                version = results.current_vulndb_version(session)
                matched = [(p, match(session, p.inventory.packages)) for p in outcome.platforms]
            with self.state.db.write() as session:
                if session.get(Manifest, manifest_id) is None:
                    log.info(f"{digest} was deleted during its scan; result dropped")
                    return
                if len(matched) > 1 or matched[0][0].digest != digest:
                    for platform_result, findings in matched:
                        child = session.scalar(
                            select(Manifest.id).where(
                                Manifest.repository_id == repository_id,
                                Manifest.digest == platform_result.digest,
                                Manifest.scan_status != ScanStatus.RUNNING,
                            )
                        )
                        if child is not None:
                            results.store_results(
                                session, child, [(platform_result, findings)], version
                            )
                results.store_results(session, manifest_id, matched, version)
            log.info(f"scan of {digest} done", extra={"manifest_id": manifest_id})
        except ScanCancelled:
            self._set(manifest_id, ScanStatus.QUEUED, None)
        except ScanUnsupported as exc:
            self._set(manifest_id, ScanStatus.UNSUPPORTED, str(exc))
        except ScanFailed as exc:
            log.warning(f"scan of {digest} failed: {exc}", extra={"manifest_id": manifest_id})
            self._set(manifest_id, ScanStatus.FAILED, str(exc))
        except MemoryError:
            self._set(manifest_id, ScanStatus.FAILED, "the scan ran out of memory")
        except Exception as exc:
            log.exception(f"scan of {digest} crashed", extra={"manifest_id": manifest_id})
            self._set(
                manifest_id,
                ScanStatus.FAILED,
                f"internal scanner error ({type(exc).__name__}); see the service log",
            )

    def _set(self, manifest_id: int, status: ScanStatus, reason: str | None) -> None:
        try:
            with self.state.db.write() as session:
                if status == ScanStatus.QUEUED:
                    session.execute(
                        update(Manifest)
                        .where(Manifest.id == manifest_id)
                        .values(scan_status=status, scan_reason=None)
                    )
                else:
                    results.mark(session, manifest_id, status, reason)
        except Exception:
            log.exception("could not record a scan outcome", extra={"manifest_id": manifest_id})
