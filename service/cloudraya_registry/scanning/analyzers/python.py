"""Installed Python distributions: ``*.dist-info/METADATA`` and ``*.egg-info`` (PKG-INFO)."""

from __future__ import annotations

import re
from email.parser import HeaderParser
from typing import TYPE_CHECKING

from cloudraya_registry.scanning.inventory import Package

if TYPE_CHECKING:
    from cloudraya_registry.scanning.rootfs import RootFilesystem

_METADATA = re.compile(r"(?:\.dist-info/METADATA|\.egg-info/PKG-INFO|\.egg-info)$")


def wants(path: str) -> bool:
    return _METADATA.search(path) is not None


def parse_metadata(text: str, path: str, layer: str) -> Package | None:
    headers = HeaderParser().parsestr(text, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    return Package("PyPI", name.strip(), version.strip(), path=path, layer=layer)


def analyze(rootfs: RootFilesystem) -> list[Package]:
    packages: list[Package] = []
    for path, entry in rootfs.files(wants):
        package = parse_metadata(entry.data.decode("utf-8", "replace"), "/" + path, entry.layer)
        if package is not None:
            packages.append(package)
    return packages
