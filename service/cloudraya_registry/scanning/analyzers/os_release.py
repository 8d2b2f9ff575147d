"""The distribution, from os-release (``/etc/os-release``, else ``/usr/lib/os-release``)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from cloudraya_registry.scanning.inventory import OperatingSystem

if TYPE_CHECKING:
    from cloudraya_registry.scanning.rootfs import RootFilesystem

PATHS = ("etc/os-release", "usr/lib/os-release")


def wants(path: str) -> bool:
    return path in PATHS


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines with shell quoting, as os-release(5) defines them."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            continue
        values[key.strip()] = parts[0] if parts else ""
    return values


def detect(rootfs: RootFilesystem) -> OperatingSystem | None:
    for path in PATHS:
        found = rootfs.read(path)
        if found is None:
            continue
        values = parse_os_release(found[1].data.decode("utf-8", "replace"))
        if "ID" in values:
            return OperatingSystem(
                id=values["ID"].lower(),
                version_id=values.get("VERSION_ID") or None,
                pretty_name=values.get("PRETTY_NAME") or None,
            )
    return None
