"""Alpine packages from apk's installed database (``/lib/apk/db/installed``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudraya_registry.scanning.inventory import Package

if TYPE_CHECKING:
    from cloudraya_registry.scanning.rootfs import RootFilesystem

INSTALLED = "lib/apk/db/installed"


def wants(path: str) -> bool:
    return path == INSTALLED


def parse_installed(text: str, path: str, layer: str) -> list[Package]:
    """Blank-line separated records of ``X:value`` lines (P name, V version, o origin)."""
    packages: list[Package] = []
    record: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if record.get("P") and record.get("V"):
                packages.append(
                    Package(
                        "apk",
                        record["P"],
                        record["V"],
                        path=path,
                        layer=layer,
                        source_name=record.get("o") or record["P"],
                        source_version=record["V"],
                        extra={"architecture": record.get("A", "")},
                    )
                )
            record = {}
            continue
        if len(line) >= 2 and line[1] == ":" and line[0] not in record:
            record[line[0]] = line[2:].strip()
    return packages


def analyze(rootfs: RootFilesystem) -> list[Package]:
    found = rootfs.read(INSTALLED)
    if found is None:
        return []
    real, entry = found
    return parse_installed(entry.data.decode("utf-8", "replace"), "/" + real, entry.layer)
