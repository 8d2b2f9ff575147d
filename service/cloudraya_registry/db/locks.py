"""Coordination between replicas: PostgreSQL advisory locks, one key space for the service.

On PostgreSQL every decision that replicas must not take twice at once holds a lock in the
database, never in a process: start-up (migrations and first-start bootstrap), one garbage
collection at a time, content changes against the collector's deletes, and one request at a
time per upload session. A replica that dies (even ``kill -9``) loses its connection and with it
its locks. SQLite is the embedded mode - one service owns the database, possibly with several
worker processes (``serve --workers``) - so the same calls take ``flock`` locks on files beside
the database there (the kernel drops them with the process that held them); writers are
serialised by the database itself (see :class:`~cloudraya_registry.db.session.Database`).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import IntEnum
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from cloudraya_registry.db.lock_files import lock_directory, open_lock_file
from cloudraya_registry.db.session import Database

UPLOAD_LOCK_POLL_SECONDS = 0.05
UPLOAD_LOCK_MAX_POLL_SECONDS = 0.5
LOCK_FILE_BUCKETS = 1024  # names share lock files by hash: a collision only makes them wait


class LockKey(IntEnum):
    """First half of every advisory lock key the service takes (the second is an object id)."""

    STARTUP = 0x43520001  # migrations, bootstrap, shared secrets
    GC_RUN = 0x43520002  # one garbage collection at a time
    CONTENT = 0x43520003  # content changes (shared) against the collector's deletes (exclusive)
    UPLOAD = 0x43520004  # one request at a time per upload session
    RETENTION = 0x43520005  # one retention run at a time per registry


def object_id(name: str) -> int:
    """A stable signed 32-bit id for a name (a collision only makes two names wait for each
    other, never lets two holders in)."""
    return zlib.crc32(name.encode()) - 2**31


def _is_postgres(session_or_db: Session | Database) -> bool:
    if isinstance(session_or_db, Database):
        return not session_or_db.is_sqlite
    return session_or_db.get_bind().dialect.name == "postgresql"


def lock_for_transaction(
    session: Session, key: LockKey, name: str = "", *, shared: bool = False
) -> None:
    """Hold ``key`` until the session's transaction ends (no-op on SQLite, whose writers are
    serialised already)."""
    if not _is_postgres(session):
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    session.execute(
        text(f"SELECT {function}(:key, :obj)"), {"key": int(key), "obj": object_id(name)}
    )


_local_locks: dict[tuple[int, int, str], threading.Lock] = {}
_local_guard = threading.Lock()


def _local_lock(db: Database, key: LockKey, name: str) -> threading.Lock:
    """For an in-memory SQLite database, which only one process can see anyway."""
    with _local_guard:
        return _local_locks.setdefault((id(db), int(key), name), threading.Lock())


def _lock_file(db: Database, key: LockKey, name: str) -> Path | None:
    """``<database file>.locks/<key>-<bucket>`` for a SQLite file; None when in memory."""
    directory = lock_directory(db.url)
    if directory is None:
        return None
    return directory / f"{int(key):x}-{object_id(name) % LOCK_FILE_BUCKETS}"


@contextmanager
def _flock(path: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` for the block; yields whether it was taken."""
    fd = open_lock_file(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _sqlite_lock(db: Database, key: LockKey, name: str, *, wait: bool) -> Iterator[bool]:
    path = _lock_file(db, key, name)
    if path is not None:
        with _flock(path, wait=wait) as taken:
            yield taken
        return
    lock = _local_lock(db, key, name)
    taken = lock.acquire(blocking=wait)
    try:
        yield taken
    finally:
        if taken:
            lock.release()


@contextmanager
def try_lock(db: Database, key: LockKey, name: str = "") -> Iterator[bool]:
    """Take ``key`` for the block if nobody holds it; yields whether it was taken."""
    if db.is_sqlite:
        with _sqlite_lock(db, key, name, wait=False) as taken:
            yield taken
        return
    with db.engine.connect() as connection:
        params = {"key": int(key), "obj": object_id(name)}
        taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key, :obj)"), params))
        connection.commit()
        try:
            yield taken
        finally:
            if taken:
                _unlock(connection, params)


@contextmanager
def hold_lock(db: Database, key: LockKey, name: str = "") -> Iterator[None]:
    """Wait for ``key`` and hold it for the block (start-up: one replica migrates at a time)."""
    if db.is_sqlite:
        with _sqlite_lock(db, key, name, wait=True):
            yield
        return
    with db.engine.connect() as connection:
        params = {"key": int(key), "obj": object_id(name)}
        connection.execute(text("SELECT pg_advisory_lock(:key, :obj)"), params)
        connection.commit()
        try:
            yield
        finally:
            _unlock(connection, params)


def _unlock(connection, params: dict[str, int]) -> None:
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key, :obj)"), params)
        connection.commit()
    except Exception:
        # A connection that may still hold the lock must never go back to the pool.
        connection.invalidate()
        raise


class UploadLocks:
    """One request at a time per upload session, across every replica of a database.

    Waiting polls with a short sleep on the event loop (never a blocked worker thread), so a
    queue of waiting requests cannot starve the one that holds the lock. Each held lock has a
    connection of its own, outside the service's pool (a slow upload must not use up the
    connections every other request needs).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}
        self._engine = None if db.is_sqlite else create_engine(db.url, poolclass=NullPool)

    @asynccontextmanager
    async def hold(self, upload_id: str) -> AsyncIterator[None]:
        if self.db.is_sqlite:
            async with self._hold_local(upload_id):
                yield
            return
        loop = asyncio.get_running_loop()
        delay = UPLOAD_LOCK_POLL_SECONDS
        while True:
            held = await loop.run_in_executor(None, self._try_acquire, upload_id)
            if held is not None:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, UPLOAD_LOCK_MAX_POLL_SECONDS)
        connection, params = held
        try:
            yield
        finally:
            await loop.run_in_executor(None, self._release, connection, params)

    def _try_acquire(self, upload_id: str):
        assert self._engine is not None
        connection = self._engine.connect()
        params = {"key": int(LockKey.UPLOAD), "obj": object_id(upload_id)}
        try:
            taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key, :obj)"), params)
            connection.commit()
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        if not taken:
            connection.close()
            return None
        return connection, params

    @staticmethod
    def _release(connection, params: dict[str, int]) -> None:
        try:
            _unlock(connection, params)
        finally:
            connection.close()

    @asynccontextmanager
    async def _hold_local(self, upload_id: str) -> AsyncIterator[None]:
        """SQLite: requests of this process queue on a lock; the lock file then keeps out the
        service's other worker processes (polled like the advisory lock)."""
        lock, users = self._local.get(upload_id, (asyncio.Lock(), 0))
        self._local[upload_id] = (lock, users + 1)
        try:
            async with lock:
                delay = UPLOAD_LOCK_POLL_SECONDS
                while True:
                    with _sqlite_lock(self.db, LockKey.UPLOAD, upload_id, wait=False) as taken:
                        if taken:
                            yield
                            break
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, UPLOAD_LOCK_MAX_POLL_SECONDS)
        finally:
            lock, users = self._local[upload_id]
            if users <= 1:
                del self._local[upload_id]
            else:
                self._local[upload_id] = (lock, users - 1)
