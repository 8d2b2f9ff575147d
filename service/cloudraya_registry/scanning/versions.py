"""Each ecosystem's own version ordering, from the libraries that implement it.

dpkg (Debian, Ubuntu): python-debian; PEP 440 (PyPI): packaging; semantic versioning (npm, Go,
OSV ``SEMVER`` ranges): semver; apk (Alpine): :mod:`.apk_version` (see there why). Unparseable
versions raise :class:`InvalidVersion` so a range that cannot be evaluated is skipped, never
guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import packaging.version
import semver
from debian.debian_support import Version as DpkgVersion

from cloudraya_registry.scanning.apk_version import ApkVersion, InvalidApkVersion


class InvalidVersion(ValueError):
    pass


def _dpkg(text: str) -> Any:
    try:
        return DpkgVersion(text)
    except ValueError as exc:
        raise InvalidVersion(str(exc)) from None


def _apk(text: str) -> Any:
    try:
        return ApkVersion(text)
    except InvalidApkVersion as exc:
        raise InvalidVersion(str(exc)) from None


def _pep440(text: str) -> Any:
    try:
        return packaging.version.Version(text)
    except packaging.version.InvalidVersion as exc:
        raise InvalidVersion(str(exc)) from None


def _semver(text: str) -> Any:
    try:
        return semver.Version.parse(text.strip().removeprefix("v"))
    except (ValueError, TypeError) as exc:
        raise InvalidVersion(str(exc)) from None


_BY_ECOSYSTEM: dict[str, Callable[[str], Any]] = {
    "Debian": _dpkg,
    "Ubuntu": _dpkg,
    "Alpine": _apk,
    "PyPI": _pep440,
    "npm": _semver,
    "Go": _semver,
}

SUPPORTED_ECOSYSTEMS = tuple(_BY_ECOSYSTEM)


def ecosystem_base(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``; ``PyPI`` -> ``PyPI``."""
    return ecosystem.split(":", 1)[0]


def parser_for(ecosystem: str, range_type: str = "ECOSYSTEM") -> Callable[[str], Any] | None:
    """Version parser for an OSV range type in an ecosystem; None when we cannot compare."""
    if range_type == "SEMVER":
        return _semver
    if range_type != "ECOSYSTEM":
        return None  # GIT ranges name commits, not versions
    return _BY_ECOSYSTEM.get(ecosystem_base(ecosystem))
