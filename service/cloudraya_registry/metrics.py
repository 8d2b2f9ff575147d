"""The service's Prometheus metrics: one home for every figure ``GET /metrics`` shows.

Figures counted as they happen (requests, bytes, uploads in flight, garbage collection, failed
logins) live in a :class:`ServiceMetrics` per service, so two services in one process (tests)
never mix their counts. Figures the database already holds (the scan queue, open upload
sessions) are read at scrape time, so every process and replica reports the same truth.

Several worker processes (``serve --workers N``): ``PROMETHEUS_MULTIPROC_DIR`` names a
directory of the service's own (``serve`` sets it to ``DATA_DIR/metrics`` unless it is set, and
empties it at start). prometheus_client then keeps each
process's values in files there and a scrape answered by any process adds them all up
(its multiprocess mode); a process that stops is marked dead so its in-flight gauge drops out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds; registry requests range from sub-millisecond HEADs to minutes-long layer uploads.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_DIR_ENV)
    return Path(value) if value else None


def ensure_multiprocess_dir(data_dir: Path) -> None:
    """Worker processes share their figures through files: under the data directory unless
    the operator chose a directory (set before any worker starts; workers inherit it)."""
    os.environ.setdefault(MULTIPROC_DIR_ENV, str(data_dir / "metrics"))


def prepare_multiprocess_dir() -> None:
    """Empty the multiprocess directory before the first process writes to it (a restart
    must not count the previous run's processes again)."""
    directory = multiprocess_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def process_stopped() -> None:
    """Drop this process's live gauges from the multiprocess figures."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


class ServiceMetrics:
    """The counters, gauges and histograms of one service."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        route = ["method", "route"]
        self.requests = Counter(
            "cloudraya_http_requests",
            "HTTP requests answered, by method, route template and status",
            [*route, "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "cloudraya_http_request_duration_seconds",
            "Time from receiving a request to sending the last byte of its answer",
            route,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.bytes_in = Counter(
            "cloudraya_http_request_bytes",
            "Request body bytes received",
            route,
            registry=self.registry,
        )
        self.bytes_out = Counter(
            "cloudraya_http_response_bytes",
            "Response body bytes sent",
            route,
            registry=self.registry,
        )
        self.uploads_in_flight = Gauge(
            "cloudraya_uploads_in_flight",
            "Blob upload requests receiving data right now",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.login_failures = Counter(
            "cloudraya_login_failures",
            "Failed data-plane logins (wrong or unknown credentials, bad tokens), by method",
            ["method"],
            registry=self.registry,
        )
        self.gc_runs = Counter(
            "cloudraya_gc_runs",
            "Garbage collections the service ran, by outcome (collected, skipped, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.gc_blobs_removed = Counter(
            "cloudraya_gc_blobs_removed",
            "Blobs removed by garbage collection",
            registry=self.registry,
        )
        self.gc_bytes_freed = Counter(
            "cloudraya_gc_freed_bytes",
            "Bytes of blob storage freed by garbage collection",
            registry=self.registry,
        )
        self.gc_last_run = Gauge(
            "cloudraya_gc_last_run_timestamp_seconds",
            "When the last garbage collection finished (Unix time)",
            registry=self.registry,
            multiprocess_mode="max",
        )

    def observe_request(
        self,
        method: str,
        route: str,
        status: int,
        seconds: float,
        bytes_in: int,
        bytes_out: int,
    ) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if bytes_in:
            self.bytes_in.labels(method, route).inc(bytes_in)
        if bytes_out:
            self.bytes_out.labels(method, route).inc(bytes_out)

    def observe_gc(self, report: dict | None) -> None:
        """Count one collection from its report (None: it failed)."""
        if report is None:
            self.gc_runs.labels("failed").inc()
            return
        self.gc_runs.labels("skipped" if report.get("skipped") else "collected").inc()
        self.gc_blobs_removed.inc(len(report.get("blobs_removed") or ()))
        self.gc_bytes_freed.inc(int(report.get("bytes_freed") or 0))
        self.gc_last_run.set(time.time())

    def exposition(self, state: ServiceState) -> bytes:
        """The text a scrape gets: this process's (or all processes') figures and the
        database's."""
        directory = multiprocess_dir()
        if directory is None:
            counted = self.registry
        else:
            counted = CollectorRegistry()
            multiprocess.MultiProcessCollector(counted, path=str(directory))
        stored = CollectorRegistry()
        stored.register(_DatabaseFigures(state))
        return generate_latest(counted) + generate_latest(stored)


class _DatabaseFigures(Collector):
    """Queue lengths read from the database at scrape time."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from cloudraya_registry.db.models import Manifest, Upload
        from cloudraya_registry.domain.scan_states import ScanStatus

        waiting = (ScanStatus.QUEUED, ScanStatus.RUNNING)
        with self.state.db.read() as session:
            scans = dict(
                session.execute(
                    select(Manifest.scan_status, func.count())
                    .where(Manifest.scan_status.in_(waiting))
                    .group_by(Manifest.scan_status)
                ).all()
            )
            uploads = session.scalar(select(func.count()).select_from(Upload)) or 0
        queue = GaugeMetricFamily(
            "cloudraya_scan_queue",
            "Vulnerability scans waiting (queued) or in progress (running)",
            labels=["status"],
        )
        for status in waiting:
            queue.add_metric([status.value], scans.get(status, 0))
        yield queue
        yield GaugeMetricFamily(
            "cloudraya_upload_sessions_open",
            "Blob upload sessions started and not yet finished, cancelled or expired",
            value=uploads,
        )
