"""The image's root filesystem as the analyzers see it, built from layers applied in order.

Only what the analyzers ask for is kept: small metadata files (by path), every symbolic link
(to resolve paths like ``/etc/os-release -> ../usr/lib/os-release``) and the build information
found in Go executables. Later layers win; whiteouts (``.wh.<name>``) and opaque directories
(``.wh..wh..opq``) hide what lower layers had, as the OCI image layer spec describes.
"""

from __future__ import annotations

import bisect
import posixpath
import stat
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cloudraya_registry.scanning.analyzers.gobinary import find_buildinfo
from cloudraya_registry.scanning.layers import TarEntry, iter_layer, read_chunks
from cloudraya_registry.scanning.limits import Deadline, ScanFailed, ScanLimits

OPAQUE_MARKER = ".wh..wh..opq"
WHITEOUT_PREFIX = ".wh."


@dataclass(frozen=True)
class FileEntry:
    data: bytes
    layer: str


@dataclass(frozen=True)
class SymlinkEntry:
    target: str
    layer: str


@dataclass(frozen=True)
class GoBinaryEntry:
    buildinfo: bytes  # the raw version + modinfo strings, parsed by the Go analyzer
    layer: str


Entry = FileEntry | SymlinkEntry | GoBinaryEntry


def _ancestors(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path


class RootFilesystem:
    """Merged view of the wanted files of all layers applied so far."""

    def __init__(
        self,
        wants: Callable[[str], bool],
        limits: ScanLimits,
        deadline: Deadline,
        scan_go_binaries: bool = True,
    ) -> None:
        self._wants = wants
        self._limits = limits
        self._deadline = deadline
        self._scan_go = scan_go_binaries
        self.entries: dict[str, Entry] = {}
        self._collected_bytes = 0

    # -- building ---------------------------------------------------------------------------
    def add_layer(self, raw: BinaryIO, digest: str) -> None:
        """Apply one layer blob on top of the layers added before."""
        lower = self.entries
        lower_dirs: set[str] = {a for path in lower for a in _ancestors(path)}
        layer: dict[str, Entry] = {}
        opaque_dirs: list[str] = []
        whiteouts: list[str] = []
        shadowed: list[str] = []  # lower paths replaced by an entry we do not keep
        for entry, archive in iter_layer(raw, digest, self._limits, self._deadline):
            path, member = entry.path, entry.member
            if not path:
                continue
            name = posixpath.basename(path)
            if name.startswith(WHITEOUT_PREFIX):
                parent = posixpath.dirname(path)
                if name == OPAQUE_MARKER:
                    opaque_dirs.append(parent)
                else:
                    hidden = name[len(WHITEOUT_PREFIX) :]
                    whiteouts.append(f"{parent}/{hidden}" if parent else hidden)
                continue
            kept = self._read_entry(entry, archive, digest, layer, lower)
            if kept is not None:
                layer[path] = kept
            elif path in lower:
                shadowed.append(path)
            if not member.isdir() and path in lower_dirs:
                # a file or link where a lower layer had a directory hides its contents
                shadowed.append(path + "/")
        self._apply(layer, opaque_dirs, whiteouts, shadowed)

    def _read_entry(
        self,
        entry: TarEntry,
        archive,
        digest: str,
        layer: dict[str, Entry],
        lower: dict[str, Entry],
    ) -> Entry | None:
        member, path = entry.member, entry.path
        if member.issym():
            return SymlinkEntry(entry.link_target or "", digest)
        if member.islnk():
            if self._wants(path):
                target = layer.get(entry.link_target or "") or lower.get(entry.link_target or "")
                if isinstance(target, FileEntry):
                    return FileEntry(target.data, digest)
            return None
        if not member.isreg():
            return None
        if self._wants(path):
            return FileEntry(self._read_small(entry, archive, digest), digest)
        if (
            self._scan_go
            and member.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            and 64 <= member.size <= self._limits.max_binary_bytes
        ):
            info = find_buildinfo(read_chunks(archive, member, digest))
            if info is not None:
                self._count(len(info), path, digest)
                return GoBinaryEntry(info, digest)
        return None

    def _read_small(self, entry: TarEntry, archive, digest: str) -> bytes:
        size = entry.member.size
        if size > self._limits.max_file_bytes:
            raise ScanFailed(
                f"layer {digest}: /{entry.path} is {size} bytes; package metadata files may be "
                f"at most {self._limits.max_file_bytes} bytes"
            )
        self._count(size, entry.path, digest)
        data = b"".join(read_chunks(archive, entry.member, digest))
        if len(data) != size:
            raise ScanFailed(f"layer {digest} is truncated inside /{entry.path}")
        return data

    def _count(self, size: int, path: str, digest: str) -> None:
        self._collected_bytes += size
        if self._collected_bytes > self._limits.max_collected_bytes:
            raise ScanFailed(
                f"layer {digest}: reading /{path} takes the package metadata of this image over "
                f"the limit of {self._limits.max_collected_bytes} bytes"
            )

    def _apply(
        self,
        layer: dict[str, Entry],
        opaque_dirs: list[str],
        whiteouts: list[str],
        shadowed: list[str],
    ) -> None:
        if opaque_dirs or whiteouts or shadowed:
            keys = sorted(self.entries)
            doomed: set[str] = set()

            def under(prefix: str) -> None:
                start = bisect.bisect_left(keys, prefix)
                for key in keys[start:]:
                    if not key.startswith(prefix):
                        break
                    doomed.add(key)

            for directory in opaque_dirs:
                under(directory + "/" if directory else "")
            for path in whiteouts:
                doomed.add(path)
                under(path + "/")
            for path in shadowed:
                if path.endswith("/"):
                    under(path)
                else:
                    doomed.add(path)
            for key in doomed:
                self.entries.pop(key, None)
        self.entries.update(layer)

    # -- reading ----------------------------------------------------------------------------
    def resolve(self, path: str) -> str:
        """Follow symbolic links in every component of ``path``, inside the image's root."""
        pending = deque(p for p in path.split("/"))
        resolved: list[str] = []
        hops = 0
        while pending:
            part = pending.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = "/".join([*resolved, part])
            entry = self.entries.get(candidate)
            if isinstance(entry, SymlinkEntry):
                hops += 1
                if hops > self._limits.max_symlink_hops:
                    raise ScanFailed(
                        f"symlink loop: resolving /{path} followed more than "
                        f"{self._limits.max_symlink_hops} symbolic links (last: /{candidate} -> "
                        f"{entry.target})"
                    )
                if entry.target.startswith("/"):
                    resolved = []
                pending.extendleft(reversed(entry.target.split("/")))
                continue
            resolved.append(part)
        return "/".join(resolved)

    def read(self, path: str) -> tuple[str, FileEntry] | None:
        """The file at ``path`` after following links, or None when there is none."""
        real = self.resolve(path)
        entry = self.entries.get(real)
        return (real, entry) if isinstance(entry, FileEntry) else None

    def files(self, predicate: Callable[[str], bool]) -> Iterator[tuple[str, FileEntry]]:
        for path, entry in sorted(self.entries.items()):
            if isinstance(entry, FileEntry) and predicate(path):
                yield path, entry

    def go_binaries(self) -> Iterator[tuple[str, GoBinaryEntry]]:
        for path, entry in sorted(self.entries.items()):
            if isinstance(entry, GoBinaryEntry):
                yield path, entry
