"""Work the service does on its own while it runs, on two daemon threads started and stopped
with the app (its lifespan):

- every second, buffered counters are written (pull statistics, failed-login counts) and, at
  a slower pace, upload sessions past ``--upload-expiry`` are removed with their data;
- shortly after deletes, the garbage collector runs (a burst of deletes is collected once);
- every minute, retention policies whose schedule is due run (``domain.retention.run_due``).

Stopping flushes the counters one last time, so a SIGTERM loses no pull.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.housekeeping")

FLUSH_SECONDS = 1.0
GC_DELAY_SECONDS = 2.0
RETENTION_TICK_SECONDS = 60.0
MAX_SWEEP_SECONDS = 600.0


def sweep_interval(upload_expiry_seconds: float) -> float:
    """How often expired uploads are looked for: a quarter of the expiry, at most 10 min."""
    return min(max(upload_expiry_seconds / 4, FLUSH_SECONDS), MAX_SWEEP_SECONDS)


class Housekeeping:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._stopping = threading.Event()
        self._gc_wanted = threading.Event()
        self._reasons: list[str] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for name, target in (
            ("counters", self._run_periodic),
            ("gc", self._run_gc),
            ("retention", self._run_retention),
        ):
            thread = threading.Thread(target=target, name=f"housekeeping-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._gc_wanted.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self._guarded("final flush of counters", self.state.flush_counters)

    def collect_garbage_soon(self, reason: str) -> None:
        with self._lock:
            self._reasons.append(reason)
        self._gc_wanted.set()

    # -- threads ---------------------------------------------------------------------------
    def _run_periodic(self) -> None:
        from cloudraya_registry.domain.content import expire_uploads
        from cloudraya_registry.security.login_throttle import WINDOW_SECONDS, FailureCounts

        failures = FailureCounts(self.state.db)
        interval = sweep_interval(self.state.config.upload_expiry_seconds)
        next_sweep = time.monotonic() + interval
        while not self._stopping.wait(FLUSH_SECONDS):
            self._guarded("writing counters", self.state.flush_counters)
            if time.monotonic() >= next_sweep:
                self._guarded("removing expired uploads", expire_uploads, self.state)
                self._guarded(
                    "forgetting old failed logins", failures.forget_before, WINDOW_SECONDS
                )
                next_sweep = time.monotonic() + interval

    def _run_gc(self) -> None:
        while not self._stopping.is_set():
            self._gc_wanted.wait()
            if self._stopping.wait(GC_DELAY_SECONDS):
                return
            self._gc_wanted.clear()
            with self._lock:
                reasons, self._reasons = self._reasons, []
            self._guarded(f"garbage collection ({'; '.join(reasons[:3])})", self._collect)

    def _collect(self) -> None:
        from cloudraya_registry.gc import collect_garbage

        try:
            report = collect_garbage(self.state)
        except Exception:
            self.state.metrics.observe_gc(None)
            raise
        self.state.metrics.observe_gc(report)

    def _run_retention(self) -> None:
        from cloudraya_registry.domain.retention import run_due

        while not self._stopping.wait(RETENTION_TICK_SECONDS):
            self._guarded("scheduled retention", run_due, self.state)

    def _guarded(self, what: str, function, *args) -> None:
        try:
            function(*args)
        except Exception:
            log.exception(f"{what} failed; it is tried again later")
