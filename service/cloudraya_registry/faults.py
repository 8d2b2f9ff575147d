"""Recognising a full disk (blob store or database), so it is answered ``507 Insufficient
Storage`` with a clear message instead of a generic 500. Reads keep working on a full disk;
writes say why they failed and that nothing was stored."""

from __future__ import annotations

import errno
import sqlite3

STORAGE_FULL_STATUS = 507
STORAGE_FULL_MESSAGE = (
    "the registry's storage is full: nothing was stored (pulls still work); retry once the "
    "operator has freed space"
)
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL = 13
_POSTGRES_DISK_FULL = "53100"


def storage_full(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a full disk or a full database."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.OperationalError) and (
            getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL
            or "database or disk is full" in str(current)
        ):
            return True
        if getattr(current, "sqlstate", None) == _POSTGRES_DISK_FULL:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False
