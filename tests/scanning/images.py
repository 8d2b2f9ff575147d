"""Building layer tarballs and OCI image layouts in tests, and reading them as a blob store."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from tests.support import images as support_images
from tests.support.paths import require_tool

LAYER_TYPES = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "plain": "application/vnd.oci.image.layer.v1.tar",
}


# -- layer tarballs ------------------------------------------------------------------------------
@dataclass
class F:
    """A regular file."""

    path: str
    data: bytes = b""
    mode: int = 0o644


@dataclass
class D:
    path: str


@dataclass
class Link:
    """A symbolic link."""

    path: str
    target: str


@dataclass
class Hard:
    path: str
    target: str


def whiteout(path: str) -> F:
    parent, _, name = path.rpartition("/")
    return F(f"{parent}/.wh.{name}" if parent else f".wh.{name}")


def opaque(directory: str) -> F:
    return F(f"{directory}/.wh..wh..opq")


def tar_bytes(entries: Iterable[F | D | Link | Hard]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for entry in entries:
            info = tarfile.TarInfo(entry.path)
            info.mtime = 0
            if isinstance(entry, F):
                info.size = len(entry.data)
                info.mode = entry.mode
                archive.addfile(info, io.BytesIO(entry.data))
                continue
            if isinstance(entry, D):
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif isinstance(entry, Link):
                info.type, info.linkname = tarfile.SYMTYPE, entry.target
            else:
                info.type, info.linkname = tarfile.LNKTYPE, entry.target
            archive.addfile(info)
    return buffer.getvalue()


def compress(data: bytes, kind: str) -> bytes:
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def layer(entries: Iterable[F | D | Link | Hard], kind: str = "gzip") -> tuple[bytes, str]:
    """(blob bytes, media type) of a layer holding ``entries``."""
    return compress(tar_bytes(entries), kind), LAYER_TYPES[kind]


# -- OCI image layout (also a blob store for the scanner) ------------------------------------
class OciLayout(support_images.OciLayout):
    """An OCI image layout (``oci:DIR:tag`` for skopeo) that the scanner can read blobs from."""

    def open_read(self, digest: str) -> BinaryIO | None:
        path = self.blob_path(digest)
        return open(path, "rb") if path.exists() else None

    def read_bytes(self, digest: str, max_size: int) -> bytes | None:
        path = self.blob_path(digest)
        if not path.exists() or path.stat().st_size > max_size:
            return None
        return path.read_bytes()


# -- a real Go executable ----------------------------------------------------------------------
def build_go_binary(work: Path) -> tuple[bytes, str]:
    """A static hello-world built offline; returns (bytes, the stdlib version OSV would use)."""
    go = require_tool("go")
    source = work / "hello-src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "go.mod").write_text("module example.test/hello\n\ngo 1.22\n")
    (source / "main.go").write_text('package main\n\nfunc main() { println("hi") }\n')
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "GOCACHE": str(work / "gocache"),
        "GOPATH": str(work / "gopath"),
    }
    subprocess.run([go, "build", "-o", "hello", "."], cwd=source, env=env, check=True)
    version = subprocess.run(
        [go, "env", "GOVERSION"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    stdlib = version.removeprefix("go")
    if stdlib.count(".") == 1:
        stdlib += ".0"
    return (source / "hello").read_bytes(), stdlib
