"""One place that owns the engine and hands out sessions, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from cloudraya_registry.db.lock_files import lock_directory, open_lock_file

DEFAULT_CONNECTIONS = 16


class Database:
    """Engine plus session factory.

    SQLite allows one writer at a time; a writer that finds the database locked mid-transaction
    fails at once instead of waiting. Writes therefore take a process-wide lock on SQLite, then
    a ``flock`` on a lock file that the service's other worker processes (``serve --workers``)
    take too, and begin with ``BEGIN IMMEDIATE``, which takes the database's write lock before
    the first read: a write transaction's reads see no other writer's changes until it ends.
    The lock file hands the database to the next writer the moment the last one commits;
    SQLite's own busy handler (still there for other programs on the file) sleeps and retries,
    and under concurrent pushes from two workers it slept 19 ms a write at the median.
    PostgreSQL relies on its own locking.

    ``connections`` should cover every thread that may hold a session at once (the I/O pool,
    the framework's pool for synchronous routes, background workers): a thread that finds the
    connection pool empty waits for one.
    """

    def __init__(self, url: str, connections: int = DEFAULT_CONNECTIONS) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        pool = {"pool_size": connections, "max_overflow": connections}
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, **pool)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if self.is_sqlite else None
        directory = lock_directory(url) if self.is_sqlite else None
        self._writers_file = directory / "writers" if directory is not None else None
        self._writers_fd: tuple[int, int] | None = None  # (process id, descriptor)

    @property
    def reads_in_process(self) -> bool:
        """Whether a read is served in this process (SQLite), not over the network."""
        return self.is_sqlite

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only; it is rolled back at the end.

        Rows loaded in it stay readable afterwards (detached, with the values they had).
        """
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.expunge_all()
                session.rollback()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for the reads of the pull path, with prebuilt Core statements:
        no ORM session around them (a few times cheaper per query). Rolled back at the end."""
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on error."""
        with (
            self._write_lock or nullcontext(),
            self._one_writer_process(),
            self._sessions() as session,
            session.begin(),
        ):
            if self.is_sqlite:
                # The driver sees the open transaction and commits or rolls back this one.
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    @contextmanager
    def _one_writer_process(self) -> Iterator[None]:
        """Among the processes on this SQLite file (called under the process-wide lock)."""
        if self._writers_file is None:
            yield
            return
        if self._writers_fd is None or self._writers_fd[0] != os.getpid():
            # Opened in this process: a descriptor inherited through fork shares the lock.
            self._writers_fd = (os.getpid(), open_lock_file(self._writers_file))
        fd = self._writers_fd[1]
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers_fd is not None and self._writers_fd[0] == os.getpid():
            os.close(self._writers_fd[1])
        self._writers_fd = None


def insert_for(session: Session, table):
    """``INSERT`` of the session's dialect, which offers ``on_conflict_do_*``."""
    return dialect_insert(dialect_of(session))(table)


def dialect_of(session: Session) -> str:
    """``sqlite`` or ``postgresql``: the key of statements prebuilt per dialect."""
    return session.get_bind().dialect.name


def dialect_insert(dialect: str):
    """The ``insert`` construct of a dialect (for statements prebuilt once per dialect)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
