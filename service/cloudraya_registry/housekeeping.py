"""Work the service does on its own while it runs: garbage collection shortly after deletes.

One daemon thread per service, started and stopped with the app (its lifespan). A request to
collect garbage only sets a flag; the thread waits a moment so a burst of deletes is collected
once, then runs the collector (see :mod:`cloudraya_registry.gc`).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.housekeeping")

GC_DELAY_SECONDS = 2.0


class Housekeeping:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._reasons: list[str] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def collect_garbage_soon(self, reason: str) -> None:
        with self._lock:
            self._reasons.append(reason)
        self._wanted.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wanted.wait()
            if self._stopping.wait(GC_DELAY_SECONDS):
                return
            self._wanted.clear()
            with self._lock:
                reasons, self._reasons = self._reasons, []
            self._collect(reasons)

    def _collect(self, reasons: list[str]) -> None:
        from cloudraya_registry.gc import collect_garbage

        try:
            collect_garbage(self.state)
        except Exception:
            log.exception(
                "garbage collection failed; it runs again after the next delete or `gc`",
                extra={"reasons": reasons[:10]},
            )
