"""Lock files beside a SQLite database (``<database file>.locks/``), for ``flock``.

The kernel drops a ``flock`` with the process that held it, so a killed worker never leaves a
lock behind. An in-memory database has no lock files: only one process can see it anyway.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from sqlalchemy.engine import make_url


@functools.cache
def lock_directory(database_url: str) -> Path | None:
    """``<database file>.locks`` for a SQLite file; None when in memory."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(f"{database}.locks")


def open_lock_file(path: Path) -> int:
    """A descriptor of the lock file (created, with its directory, on first use)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # the database's first lock: its lock directory is made now
        path.parent.mkdir(mode=0o700, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
