"""Go executables: the module list the Go toolchain embeds (``go version -m`` shows the same).

Since Go 1.18 the ``.go.buildinfo`` section starts with a 16-byte magic and a flags byte; with
flag 0x2 the Go version and module info follow inline as varint-length-prefixed strings, so they
can be found in a stream without parsing ELF headers. Older binaries (pointer-based layout) are
not inventoried.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cloudraya_registry.scanning.inventory import Package

ELF_MAGIC = b"\x7fELF"
BUILDINFO_MAGIC = b"\xff Go buildinf:"
_HEADER = 32
_FLAG_INLINE = 0x2
_MAX_INFO = 1024 * 1024
_SENTINEL = 16


def find_buildinfo(chunks: Iterable[bytes]) -> bytes | None:
    """The bytes after the build-info header of an ELF Go binary, or None."""
    tail = b""
    first = True
    found: bytearray | None = None
    for chunk in chunks:
        if first:
            if not chunk.startswith(ELF_MAGIC):
                return None
            first = False
        if found is not None:
            found += chunk
        else:
            window = tail + chunk
            at = window.find(BUILDINFO_MAGIC)
            if at < 0:
                tail = window[-(len(BUILDINFO_MAGIC) - 1) :]
                continue
            found = bytearray(window[at:])
        if len(found) >= _MAX_INFO:
            break
    if found is None or len(found) < _HEADER:
        return None
    if not found[len(BUILDINFO_MAGIC) + 1] & _FLAG_INLINE:
        return None
    return bytes(found[_HEADER : _HEADER + _MAX_INFO])


def _varint_string(data: bytes, pos: int) -> tuple[str, int] | None:
    length = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    if pos + length > len(data):
        return None
    return data[pos : pos + length].decode("utf-8", "replace"), pos + length


def _semver_of_go(version: str) -> str | None:
    """``go1.22.3`` -> ``1.22.3``; ``go1.21`` -> ``1.21.0`` (the stdlib's version in OSV)."""
    match = re.match(r"^go(\d+)\.(\d+)(?:\.(\d+))?((?:rc|beta)\d+)?", version)
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    text = f"{major}.{minor}.{patch or 0}"
    return f"{text}-{pre}" if pre else text


def parse_buildinfo(info: bytes, path: str, layer: str) -> list[Package]:
    """Packages of the Go ecosystem: ``stdlib`` at the toolchain version plus every module."""
    first = _varint_string(info, 0)
    if first is None:
        return []
    go_version, pos = first
    second = _varint_string(info, pos)
    modinfo = second[0] if second else ""
    if len(modinfo) >= 2 * _SENTINEL + 1 and modinfo[-_SENTINEL - 1] == "\n":
        modinfo = modinfo[_SENTINEL:-_SENTINEL]
    packages: list[Package] = []
    stdlib = _semver_of_go(go_version)
    if stdlib:
        packages.append(Package("Go", "stdlib", stdlib, path=path, layer=layer))
    modules: list[list[str]] = []
    for line in modinfo.splitlines():
        fields = line.split("\t")
        if fields[0] in ("mod", "dep") and len(fields) >= 3:
            modules.append([fields[1], fields[2]])
        elif fields[0] == "=>" and len(fields) >= 3 and modules:
            modules[-1] = [fields[1], fields[2]]  # replaced module
    for name, version in modules:
        if not version or version == "(devel)":
            continue
        packages.append(Package("Go", name, version.removeprefix("v"), path=path, layer=layer))
    return packages
