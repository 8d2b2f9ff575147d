"""Slowing down password guessing: too many failed logins from one address are refused for a while.

Counted per (source address, username) in a sliding window, in the database, so every replica
behind a load balancer sees the same count. While a key is throttled even the right password
gets 429 TOOMANYREQUESTS, so guessing cannot go on.
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

    def check(self, source_ip: str | None, username: str | None) -> None:
        """Raise TOOMANYREQUESTS while the key has used up its failures in the window."""
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
            return
        oldest = as_utc(recent[-1])
        retry_after = max(int((oldest + self.window - now).total_seconds()) + 1, 1)
        raise OciError(
            "TOOMANYREQUESTS",
            f"too many failed logins for {username or 'this client'} from {source_ip}; "
            f"try again in {retry_after} seconds",
            headers={"Retry-After": str(retry_after)},
        )

    def failed(self, source_ip: str | None, username: str | None) -> None:
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

    def succeeded(self, source_ip: str | None, username: str | None) -> None:
        ip, user = _key(source_ip, username)
        mine = (LoginFailure.source_ip == ip, LoginFailure.username == user)
        with self.db.read() as session:  # the usual case: nothing to forget, no write
            if session.scalar(select(LoginFailure.id).where(*mine).limit(1)) is None:
                return
        with self.db.write() as session:
            session.execute(delete(LoginFailure).where(*mine))
