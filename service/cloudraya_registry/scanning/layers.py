"""Reading image layers as streams: decompression, tar walking, path checks, and limits.

A layer is read once, front to back. Nothing is extracted to disk: the caller is handed each
tar entry and decides whether to read its content (see :mod:`.rootfs`).
"""

from __future__ import annotations

import gzip
import posixpath
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

from cloudraya_registry.scanning.limits import Deadline, ScanFailed, ScanLimits

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CHUNK = 1024 * 1024
# tar metadata records (pax headers, GNU long names) are read whole by tarfile: keep them small
_MAX_TAR_METADATA_BYTES = 1024 * 1024


class _SafeTarInfo(tarfile.TarInfo):
    """Refuses oversized pax/long-name records, which tarfile would read into memory whole."""

    def _proc_member(self, tarfile_obj):  # type: ignore[override]
        if (
            self.type
            in (
                tarfile.GNUTYPE_LONGNAME,
                tarfile.GNUTYPE_LONGLINK,
                tarfile.XHDTYPE,
                tarfile.XGLTYPE,
                tarfile.SOLARIS_XHDTYPE,
            )
            and self.size > _MAX_TAR_METADATA_BYTES
        ):
            raise ScanFailed(
                f"a tar metadata record is {self.size} bytes; at most "
                f"{_MAX_TAR_METADATA_BYTES} are allowed"
            )
        return super()._proc_member(tarfile_obj)


class _Prefixed:
    """A reader that first returns already-read ``head`` bytes, then the rest of ``raw``."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head = head
        self._raw = raw
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                data, self._head = self._head, b""
                if size >= 0:
                    data += self._raw.read(size - len(data))
                else:
                    data += self._raw.read()
            else:
                data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._raw.read(size)
        self.consumed += len(data)
        return data

    def readable(self) -> bool:
        return True


class _Meter:
    """Counts unpacked bytes and stops a layer that unpacks too much or too fast to be real."""

    def __init__(
        self,
        stream,
        packed: _Prefixed,
        digest: str,
        limits: ScanLimits,
        deadline: Deadline,
    ) -> None:
        self._stream = stream
        self._packed = packed
        self._digest = digest
        self._limits = limits
        self._deadline = deadline
        self.unpacked = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = _CHUNK
        data = self._stream.read(size)
        self.unpacked += len(data)
        limits = self._limits
        if self.unpacked > limits.max_layer_bytes:
            raise ScanFailed(
                f"layer {self._digest} unpacks to more than {limits.max_layer_bytes} bytes, "
                "the limit for one layer"
            )
        if self.unpacked > limits.ratio_floor_bytes:
            packed = max(self._packed.consumed, 1)
            if self.unpacked > packed * limits.max_ratio:
                raise ScanFailed(
                    f"layer {self._digest} looks like a decompression bomb: {packed} compressed "
                    f"bytes unpacked to more than {self.unpacked} bytes (over "
                    f"{limits.max_ratio}:1)"
                )
        self._deadline.check()
        return data


@dataclass
class TarEntry:
    """One tar member, its path normalised relative to the image's root (no leading '/')."""

    path: str
    member: tarfile.TarInfo
    link_target: str | None  # normalised for hard links, raw for symlinks

    @property
    def is_whiteout(self) -> bool:
        return posixpath.basename(self.path).startswith(".wh.")


def normalise_path(name: str, digest: str, limits: ScanLimits, what: str = "entry") -> str:
    """Root-relative path of a tar name; a name that climbs out of the root fails the scan."""
    if len(name) > limits.max_path_length:
        raise ScanFailed(
            f"layer {digest}: a tar {what} name is {len(name)} characters long; at most "
            f"{limits.max_path_length} are allowed"
        )
    if "\x00" in name:
        raise ScanFailed(f"layer {digest}: tar {what} {name!r} contains a NUL byte")
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise ScanFailed(
                    f"layer {digest}: tar {what} {name!r} points outside the image's root "
                    "filesystem (path traversal); entries must stay inside the root"
                )
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _open_decompressed(raw: BinaryIO) -> tuple[str, _Prefixed, object]:
    head = raw.read(4)
    packed = _Prefixed(head, raw)
    if head.startswith(GZIP_MAGIC):
        return "gzip", packed, gzip.GzipFile(fileobj=packed, mode="rb")  # type: ignore[arg-type]
    if head.startswith(ZSTD_MAGIC):
        reader = zstandard.ZstdDecompressor(max_window_size=1 << 27).stream_reader(
            packed, read_across_frames=True, closefd=False
        )
        return "zstd", packed, reader
    return "plain", packed, packed


def iter_layer(
    raw: BinaryIO, digest: str, limits: ScanLimits, deadline: Deadline
) -> Iterator[tuple[TarEntry, tarfile.TarFile]]:
    """Yield each entry of a layer blob (gzip, zstd or plain tar) in archive order.

    The caller may read an entry's content through the yielded TarFile's ``extractfile``
    before asking for the next entry. Corrupt data fails the scan with a reason.
    """
    kind, packed, stream = _open_decompressed(raw)
    meter = _Meter(stream, packed, digest, limits, deadline)
    try:
        archive = tarfile.open(  # noqa: SIM115 - stream mode, closed below
            fileobj=meter,  # type: ignore[arg-type]
            mode="r|",
            tarinfo=_SafeTarInfo,
            bufsize=256 * 1024,
        )
    except (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
        raise ScanFailed(_corrupt(digest, kind, exc)) from None
    count = 0
    try:
        while True:
            try:
                member = archive.next()
            except (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
                raise ScanFailed(_corrupt(digest, kind, exc)) from None
            if member is None:
                break
            archive.members.clear()  # stream mode keeps every header otherwise
            count += 1
            if count > limits.max_entries_per_layer:
                raise ScanFailed(
                    f"layer {digest} has more than {limits.max_entries_per_layer} entries, the "
                    "limit for one layer"
                )
            path = normalise_path(member.name, digest, limits)
            link: str | None = None
            if member.islnk():
                link = normalise_path(member.linkname, digest, limits, "hard link target")
            elif member.issym():
                if len(member.linkname) > limits.max_path_length:
                    raise ScanFailed(f"layer {digest}: symlink {path!r} has an oversized target")
                link = member.linkname
            yield TarEntry(path, member, link), archive
    finally:
        archive.close()


def read_chunks(archive: tarfile.TarFile, member: tarfile.TarInfo, digest: str) -> Iterator[bytes]:
    """The content of a regular-file member, in chunks; corrupt data fails the scan."""
    handle = archive.extractfile(member)
    if handle is None:
        return
    while True:
        try:
            chunk = handle.read(_CHUNK)
        except (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
            raise ScanFailed(_corrupt(digest, "tar", exc)) from None
        if not chunk:
            return
        yield chunk


def _corrupt(digest: str, kind: str, exc: BaseException) -> str:
    label = {"gzip": "gzip-compressed tar", "zstd": "zstd-compressed tar"}.get(kind, "tar")
    detail = str(exc) or type(exc).__name__
    return f"layer {digest} is not a valid {label} archive: {detail}"
