"""Slowing down password guessing: failed logins counted in a sliding window, three ways.

- per client address, whatever the username: a flood of made-up usernames is cut off;
- per (client address, username): ten wrong passwords for one name and that pair waits;
- per registry, from all addresses: a distributed guess at one registry stops costing a
  password verification each (a password verified recently still works, see ``check``).

While a limit is reached, logins it covers are answered ``429`` with ``Retry-After`` and no
verification runs (even a right password waits, so guessing cannot go on).

The counts live behind :class:`WindowCounter`; :class:`MemoryWindowCounter` keeps them in this
process. Several replicas would share a counter in their database or cache (the interface is
all a shared implementation needs to provide).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Protocol

from cloudraya_registry.domain.errors import Throttled

WINDOW_SECONDS = 60.0
PER_SOURCE_AND_USER = 10


class WindowCounter(Protocol):
    """Failures per key within the last ``window`` seconds."""

    def recent(self, key: str, window: float) -> tuple[int, float | None]:
        """How many failures ``key`` had in the window, and when the oldest of them was."""

    def add(self, key: str) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryWindowCounter:
    """In-process counts, bounded: the least recently failed keys are forgotten first."""

    def __init__(self, max_keys: int = 50_000, max_per_key: int = 1000) -> None:
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_keys = max_keys
        self._max_per_key = max_per_key
        self._lock = threading.Lock()

    def recent(self, key: str, window: float) -> tuple[int, float | None]:
        now = time.monotonic()
        with self._lock:
            events = self._events.get(key)
            if not events:
                return 0, None
            while events and events[0] <= now - window:
                events.popleft()
            return len(events), (events[0] if events else None)

    def add(self, key: str) -> None:
        with self._lock:
            events = self._events.pop(key, None) or deque(maxlen=self._max_per_key)
            events.append(time.monotonic())
            self._events[key] = events
            while len(self._events) > self._max_keys:
                self._events.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


@dataclass(frozen=True)
class Limits:
    per_source: int
    per_registry: int
    per_source_and_user: int = PER_SOURCE_AND_USER
    window: float = WINDOW_SECONDS


class LoginThrottle:
    def __init__(self, limits: Limits, counter: WindowCounter | None = None) -> None:
        self.limits = limits
        self.counter = counter or MemoryWindowCounter()

    def check(self, source_ip: str | None, username: str | None) -> None:
        """Before any Basic login: refuse while this address, or this address and name, is
        over its limit."""
        source = source_ip or "-"
        self._refuse_if_over(
            f"source:{source}",
            self.limits.per_source,
            f"too many failed logins from {source}",
        )
        self._refuse_if_over(
            f"user:{source}:{username or '-'}",
            self.limits.per_source_and_user,
            f"too many failed logins for {username or 'this client'} from {source}",
        )

    def check_registry(self, registry_name: str) -> None:
        """Before verifying a password of ``registry_name`` (not for one verified recently)."""
        self._refuse_if_over(
            f"registry:{registry_name}",
            self.limits.per_registry,
            f"too many failed logins to registry {registry_name} from all addresses",
        )

    def failed(self, source_ip: str | None, username: str | None, registry: str | None) -> None:
        source = source_ip or "-"
        self.counter.add(f"source:{source}")
        self.counter.add(f"user:{source}:{username or '-'}")
        if registry is not None:
            self.counter.add(f"registry:{registry}")

    def succeeded(self, source_ip: str | None, username: str | None) -> None:
        """A right password ends the (address, name) count; the address count stays."""
        self.counter.clear(f"user:{source_ip or '-'}:{username or '-'}")

    def _refuse_if_over(self, key: str, limit: int, what: str) -> None:
        count, oldest = self.counter.recent(key, self.limits.window)
        if count < limit or oldest is None:
            return
        retry_after = max(int(oldest + self.limits.window - time.monotonic()) + 1, 1)
        raise Throttled(f"{what}; try again in {retry_after} seconds", retry_after)
