"""Slowing down password guessing: too many failed logins from one address are refused for a while.

Counted per (source address, username) in a sliding window, in the database, so every replica
behind a load balancer sees the same count. While a key is throttled even the right password
gets 429 TOOMANYREQUESTS, so guessing cannot go on. Only password logins count: a request
without a username (a bearer token, no credentials, unreadable Basic credentials) guesses no
password and costs the database nothing here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from cloudraya_registry.db.models import LoginFailure, as_utc, utcnow
from cloudraya_registry.db.session import Database
from cloudraya_registry.oci.errors import OciError

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0


def _key(source_ip: str | None, username: str | None) -> tuple[str, str]:
    return (source_ip or "-")[:64], (username or "-")[:255]


class FailureThrottle:
    def __init__(
        self,
        db: Database,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
    ) -> None:
        self.db = db
        self.max_failures = max_failures
        self.window = dt.timedelta(seconds=window_seconds)

    def check(self, source_ip: str | None, username: str | None) -> int:
        """Raise TOOMANYREQUESTS while the key has used up its failures in the window;
        otherwise return how many failures it has in the window (for :meth:`succeeded`)."""
        if username is None:
            return 0
        ip, user = _key(source_ip, username)
        now = utcnow()
        with self.db.read() as session:
            recent = session.scalars(
                select(LoginFailure.failed_at)
                .where(
                    LoginFailure.source_ip == ip,
                    LoginFailure.username == user,
                    LoginFailure.failed_at > now - self.window,
                )
                .order_by(LoginFailure.failed_at.desc())
                .limit(self.max_failures)
            ).all()
        if len(recent) < self.max_failures:
            return len(recent)
        oldest = as_utc(recent[-1])
        retry_after = max(int((oldest + self.window - now).total_seconds()) + 1, 1)
        raise OciError(
            "TOOMANYREQUESTS",
            f"too many failed logins for {username or 'this client'} from {source_ip}; "
            f"try again in {retry_after} seconds",
            headers={"Retry-After": str(retry_after)},
        )

    def failed(self, source_ip: str | None, username: str | None) -> None:
        if username is None:
            return
        ip, user = _key(source_ip, username)
        now = utcnow()
        with self.db.write() as session:
            # Failures older than the window never count again: drop them for this key.
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.source_ip == ip,
                    LoginFailure.username == user,
                    LoginFailure.failed_at <= now - self.window,
                )
            )
            session.add(LoginFailure(source_ip=ip, username=user, failed_at=now))

    def succeeded(self, source_ip: str | None, username: str | None, recent: int) -> None:
        """Forget the key's failures after a good password; ``recent`` is what ``check`` saw
        (zero, the usual case, costs nothing)."""
        if username is None or recent == 0:
            return
        ip, user = _key(source_ip, username)
        mine = (LoginFailure.source_ip == ip, LoginFailure.username == user)
        with self.db.write() as session:
            session.execute(delete(LoginFailure).where(*mine))
