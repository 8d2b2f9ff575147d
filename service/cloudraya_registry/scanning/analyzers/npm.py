"""npm packages: every ``node_modules/<name>/package.json`` (scoped names included)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from cloudraya_registry.scanning.inventory import Package

if TYPE_CHECKING:
    from cloudraya_registry.scanning.rootfs import RootFilesystem

_PACKAGE_JSON = re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/@][^/]*/package\.json$")


def wants(path: str) -> bool:
    return _PACKAGE_JSON.search(path) is not None


def parse_package_json(data: bytes, path: str, layer: str) -> Package | None:
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(manifest, dict):
        return None
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return None
    return Package("npm", name, version, path=path, layer=layer)


def analyze(rootfs: RootFilesystem) -> list[Package]:
    packages: list[Package] = []
    for path, entry in rootfs.files(wants):
        package = parse_package_json(entry.data, "/" + path, entry.layer)
        if package is not None:
            packages.append(package)
    return packages
