"""Slowing down password guessing: failed logins counted in a sliding window, three ways.

- per client address, whatever the username: a flood of made-up usernames is cut off;
- per (client address, username): ten wrong passwords for one name and that pair waits;
- per registry, from all addresses: a distributed guess at one registry stops costing a
  password verification each (a password verified recently still works, see ``check``).

While a limit is reached, logins it covers are answered ``429`` with ``Retry-After`` and no
verification runs (even a right password waits, so guessing cannot go on).

The counts live in the database (:class:`FailureCounts`), so every replica behind a load
balancer refuses the same clients. Only password logins read them, and only failures write.
Its calls are blocking: callers run them off the event loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, func, insert, select

from cloudraya_registry.db.models import LoginFailure, as_utc, utcnow
from cloudraya_registry.db.session import Database
from cloudraya_registry.domain.errors import Throttled
from cloudraya_registry.faults import storage_full

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
PER_SOURCE_AND_USER = 10
KEY_LENGTH = 400  # LoginFailure.key


class FailureCounts:
    """Failed logins per key in a sliding window, shared through the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def recent(
        self, keys: Iterable[str], window: float, connection: Connection | None = None
    ) -> dict[str, tuple[int, dt.datetime]]:
        """For each key with failures in the last ``window`` seconds: how many, and the oldest.

        On the caller's ``connection`` when given (a login reads its other rows there too)."""
        since = utcnow() - dt.timedelta(seconds=window)
        parameters = {"keys": [_bounded(k) for k in keys], "since": since}
        if connection is not None:
            rows = connection.execute(_RECENT, parameters).all()
        else:
            with self.db.connect() as own:
                rows = own.execute(_RECENT, parameters).all()
        return {key: (count, as_utc(oldest)) for key, count, oldest in rows}

    def add(self, keys: Iterable[str], window: float) -> None:
        """One failure under each key; the keys' failures older than the window go."""
        keys = [_bounded(k) for k in keys]
        now = utcnow()
        with _unless_full("count a failed login"), self.db.write() as session:
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.key.in_(keys),
                    LoginFailure.failed_at <= now - dt.timedelta(seconds=window),
                )
            )
            session.execute(insert(LoginFailure), [{"key": k, "failed_at": now} for k in keys])

    def clear(self, key: str) -> None:
        with _unless_full("clear failed logins"), self.db.write() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == _bounded(key)))

    def forget_before(self, window: float) -> int:
        """Drop every failure older than the window (housekeeping); how many went."""
        before = utcnow() - dt.timedelta(seconds=window)
        with self.db.write() as session:
            result = session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= before))
        return result.rowcount or 0


_RECENT = (
    select(LoginFailure.key, func.count(), func.min(LoginFailure.failed_at))
    .where(
        LoginFailure.key.in_(bindparam("keys", expanding=True)),
        LoginFailure.failed_at > bindparam("since"),
    )
    .group_by(LoginFailure.key)
)


@contextmanager
def _unless_full(what: str) -> Iterator[None]:
    """On a full database the throttle's write is skipped (and noted in the log): a login is
    still answered 401 or 200, not 507."""
    try:
        yield
    except Exception as error:
        if not storage_full(error):
            raise
        log.warning(f"could not {what}: the database is full")


def _bounded(key: str) -> str:
    return key[:KEY_LENGTH]


@dataclass(frozen=True)
class Limits:
    per_source: int
    per_registry: int
    per_source_and_user: int = PER_SOURCE_AND_USER
    window: float = WINDOW_SECONDS


class LoginThrottle:
    def __init__(self, limits: Limits, counts: FailureCounts) -> None:
        self.limits = limits
        self.counts = counts

    def check(
        self, source_ip: str | None, username: str | None, connection: Connection | None = None
    ) -> bool:
        """Before any Basic login: refuse while this address, or this address and name, is
        over its limit. True when the address and name have failures (see ``succeeded``)."""
        source = source_ip or "-"
        by_source, by_user = _source_key(source), _user_key(source, username)
        recent = self.counts.recent([by_source, by_user], self.limits.window, connection)
        self._refuse_if_over(
            recent.get(by_source), self.limits.per_source, f"too many failed logins from {source}"
        )
        self._refuse_if_over(
            recent.get(by_user),
            self.limits.per_source_and_user,
            f"too many failed logins for {username or 'this client'} from {source}",
        )
        return by_user in recent

    def check_registry(self, registry_name: str) -> None:
        """Before verifying a password of ``registry_name`` (not for one verified recently)."""
        key = _registry_key(registry_name)
        self._refuse_if_over(
            self.counts.recent([key], self.limits.window).get(key),
            self.limits.per_registry,
            f"too many failed logins to registry {registry_name} from all addresses",
        )

    def failed(self, source_ip: str | None, username: str | None, registry: str | None) -> None:
        source = source_ip or "-"
        keys = [_source_key(source), _user_key(source, username)]
        if registry is not None:
            keys.append(_registry_key(registry))
        self.counts.add(keys, self.limits.window)

    def succeeded(self, source_ip: str | None, username: str | None) -> None:
        """A right password ends the (address, name) count; the address count stays. Call it
        only when ``check`` said there were failures (otherwise there is nothing to write)."""
        self.counts.clear(_user_key(source_ip or "-", username))

    def _refuse_if_over(
        self, recent: tuple[int, dt.datetime] | None, limit: int, what: str
    ) -> None:
        if recent is None or recent[0] < limit:
            return
        ends = recent[1] + dt.timedelta(seconds=self.limits.window)
        retry_after = max(int((ends - utcnow()).total_seconds()) + 1, 1)
        raise Throttled(f"{what}; try again in {retry_after} seconds", retry_after)


def _source_key(source: str) -> str:
    return f"source:{source}"


def _user_key(source: str, username: str | None) -> str:
    return f"user:{source}:{username or '-'}"


def _registry_key(registry: str) -> str:
    return f"registry:{registry}"
