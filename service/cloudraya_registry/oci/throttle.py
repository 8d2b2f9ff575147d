"""Slowing down password guessing: too many failed logins from one address are refused for a while.

Counted per (source address, username) in a sliding window, in memory (per process). While a
key is throttled even the right password gets 429 TOOMANYREQUESTS, so guessing cannot go on.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from cloudraya_registry.oci.errors import OciError

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0
_MAX_KEYS = 50_000


class FailureThrottle:
    def __init__(
        self, max_failures: int = MAX_FAILURES, window_seconds: float = WINDOW_SECONDS
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, source_ip: str | None, username: str | None) -> None:
        """Raise TOOMANYREQUESTS while the key has used up its failures in the window."""
        key = (source_ip or "-", username or "-")
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(key)
            if not failures:
                return
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) < self.max_failures:
                return
            retry_after = max(int(failures[0] + self.window - now) + 1, 1)
        raise OciError(
            "TOOMANYREQUESTS",
            f"too many failed logins for {username or 'this client'} from {source_ip}; "
            f"try again in {retry_after} seconds",
            headers={"Retry-After": str(retry_after)},
        )

    def failed(self, source_ip: str | None, username: str | None) -> None:
        key = (source_ip or "-", username or "-")
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                self._failures = {
                    k: v for k, v in self._failures.items() if v and v[-1] > now - self.window
                }
            self._failures.setdefault(key, deque(maxlen=self.max_failures)).append(now)

    def succeeded(self, source_ip: str | None, username: str | None) -> None:
        with self._lock:
            self._failures.pop((source_ip or "-", username or "-"), None)
