"""Analyzers: each knows which files it needs (``wants``) and what they say (``analyze``)."""

from __future__ import annotations

from cloudraya_registry.scanning.analyzers import apk, dpkg, npm, os_release, python

_FILE_ANALYZERS = (os_release, dpkg, apk, python, npm)


def wants(path: str) -> bool:
    """Whether any analyzer needs the file at this root-relative path."""
    return any(analyzer.wants(path) for analyzer in _FILE_ANALYZERS)
