"""What a profile says about a missed target, in words: known signals in the service's profiles.

Each rule looks at the summarised py-spy profile (shares of GIL-holding samples) and, when its
signal is strong enough, names the likely cause and what would remove it.
"""

from __future__ import annotations

from collections.abc import Callable

Profile = dict[str, object]


def _share(entries: object, predicate: Callable[[str], bool]) -> float:
    return sum(share for name, share in entries or [] if predicate(name))  # type: ignore[union-attr]


def _package(profile: Profile, name: str) -> float:
    return _share(profile.get("packages"), lambda n: n == name)


def _self(profile: Profile, needle: str) -> float:
    return _share(profile.get("self"), lambda n: needle in n)


def _inclusive(profile: Profile, needle: str) -> float:
    return _share(profile.get("inclusive"), lambda n: needle in n)


RULES: list[tuple[Callable[[Profile], float], float, str]] = [
    (
        lambda p: _package(p, "h11"),
        10.0,
        "HTTP parsing in pure Python: uvicorn runs on h11 because httptools is not installed "
        "(h11's ReceiveBuffer copies every body chunk). Installing uvicorn's C parser "
        "(httptools) and uvloop, i.e. uvicorn[standard], removes this.",
    ),
    (
        lambda p: _self(p, "ThreadPoolExecutor.submit") + _package(p, "concurrent"),
        15.0,
        "Thread-pool hand-offs: blob bytes go through run_in_executor (4 MiB batches on "
        "upload, 1 MiB reads on download) and the event loop and the worker threads then "
        "contend for the GIL (time shows in ThreadPoolExecutor.submit). Bigger download reads, "
        "or os.sendfile for blob GETs, cut the hand-offs.",
    ),
    (
        lambda p: _inclusive(p, "Authenticator.check_password"),
        10.0,
        "The Basic-auth check loads the registry row from the database on every request "
        "before it consults its cache of verified passwords; caching the registry lookup "
        "(invalidated on password reset/delete) avoids a query per request.",
    ),
    (
        lambda p: max(_inclusive(p, "Database.write"), _self(p, "Database.write")),
        3.0,
        "Reads write: the manifest GET path opens a write transaction (pull statistics) on "
        "every request, serialising readers on SQLite's single writer. Counting pulls in "
        "memory and flushing them in batches keeps GET read-only.",
    ),
    (
        lambda p: _package(p, "sqlalchemy"),
        20.0,
        "ORM overhead per request: SQLAlchemy query construction and result processing is a "
        "large share; precompiled/cached statements or Core queries for the hot lookups "
        "(registry, repository, manifest by tag) would shrink it.",
    ),
    (
        lambda p: _self(p, "FilesystemBlobStore.open_read"),
        5.0,
        "Small manifests are read from the blob store (a file open per GET); keeping manifest "
        "bytes in the database row or an in-memory LRU avoids the open.",
    ),
]


def explain(profile: Profile) -> list[str]:
    """Likely causes, strongest signal first, each with the share that triggered it."""
    found = []
    for signal, threshold, text in RULES:
        value = signal(profile)
        if value >= threshold:
            found.append((value, f"[{value:.0f}% of GIL-holding samples] {text}"))
    return [text for _, text in sorted(found, reverse=True)]
