"""Debian/Ubuntu packages from dpkg's database (``status``, and distroless ``status.d/``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from debian.deb822 import Deb822

from cloudraya_registry.scanning.inventory import Package
from cloudraya_registry.scanning.limits import ScanFailed

if TYPE_CHECKING:
    from cloudraya_registry.scanning.rootfs import RootFilesystem

STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d/"
# dpkg's package states in which files are on disk (not "not-installed"/"config-files")
_PRESENT_STATES = {
    "installed",
    "half-installed",
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
}
_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<version>[^)]+)\))?$")


def wants(path: str) -> bool:
    return path == STATUS or (path.startswith(STATUS_D) and not path.endswith(".md5sums"))


def parse_status(text: str, path: str, layer: str) -> list[Package]:
    packages: list[Package] = []
    lines = [line + "\n" for line in text.split("\n")]  # "\n" only, as dpkg writes it
    try:
        paragraphs = list(Deb822.iter_paragraphs(lines))
    except ValueError as exc:
        raise ScanFailed(f"{path} is not a valid dpkg status file: {exc}") from None
    for paragraph in paragraphs:
        name = paragraph.get("Package")
        version = paragraph.get("Version")
        if not name or not version:
            continue
        status = paragraph.get("Status", "install ok installed").split()
        if len(status) == 3 and status[2] not in _PRESENT_STATES:
            continue
        source_name, source_version = name, version
        match = _SOURCE.match(paragraph.get("Source", "").strip())
        if match:
            source_name = match["name"]
            source_version = match["version"] or version
        packages.append(
            Package(
                "dpkg",
                name,
                version,
                path=path,
                layer=layer,
                source_name=source_name,
                source_version=source_version,
                extra={"architecture": paragraph.get("Architecture", "")},
            )
        )
    return packages


def analyze(rootfs: RootFilesystem) -> list[Package]:
    packages: list[Package] = []
    found = rootfs.read(STATUS)
    if found is not None:
        real, entry = found
        packages += parse_status(entry.data.decode("utf-8", "replace"), "/" + real, entry.layer)
    for path, entry in rootfs.files(lambda p: p.startswith(STATUS_D) and wants(p)):
        packages += parse_status(entry.data.decode("utf-8", "replace"), "/" + path, entry.layer)
    return packages
