"""Pull statistics (pull count and last pull time of each manifest), kept off the pull path.

A manifest GET only adds to an in-memory tally; the housekeeping writes the tally in one
transaction per second (:meth:`PullCounts.flush`), so pulls never open a write transaction and
never wait for another tenant's push. The last flush runs when the service stops (SIGTERM);
a crash (kill -9) loses at most the last second of counts. Increments add up, so replicas
can each keep their own tally.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, case, update

from cloudraya_registry.db.models import Manifest, utcnow

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.pulls")

MAX_PENDING_MANIFESTS = 100_000  # beyond this (a database down for long) counts are dropped


class PullCounts:
    def __init__(self) -> None:
        self._pending: dict[int, tuple[int, dt.datetime]] = {}
        self._lock = threading.Lock()

    def add(self, manifest_id: int) -> None:
        now = utcnow()
        with self._lock:
            count, _ = self._pending.get(manifest_id, (0, now))
            if count or len(self._pending) < MAX_PENDING_MANIFESTS:
                self._pending[manifest_id] = (count + 1, now)

    def flush(self, state: ServiceState) -> int:
        """Write the tally; on failure it is kept (merged with newer pulls) for the next try."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        table = Manifest.__table__
        at = bindparam("at", type_=table.c.last_pulled_at.type)
        try:
            with state.db.write() as session:
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("manifest"))
                    .values(
                        pull_count=table.c.pull_count + bindparam("n"),
                        last_pulled_at=case(
                            (table.c.last_pulled_at.is_(None), at),
                            (table.c.last_pulled_at < at, at),
                            else_=table.c.last_pulled_at,
                        ),
                    ),
                    [
                        {"manifest": manifest_id, "n": n, "at": at}
                        for manifest_id, (n, at) in sorted(pending.items())
                    ],
                )
        except Exception:
            log.warning("could not write pull statistics; keeping them for later", exc_info=True)
            with self._lock:
                for manifest_id, (n, at) in pending.items():
                    count, last = self._pending.get(manifest_id, (0, at))
                    self._pending[manifest_id] = (count + n, max(last, at))
            return 0
        return len(pending)
