"""Building layer tarballs and OCI image layouts in tests, and reading them as a blob store."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from tests.support.paths import require_tool

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
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


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- OCI image layout (also a blob store for the scanner) ------------------------------------
class OciLayout:
    """An OCI image layout directory (``oci:DIR:tag`` for skopeo) that the scanner can read."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self._index: list[dict] = []
        self._write_index()

    def _path(self, digest: str) -> Path:
        algorithm, hexdigest = digest.split(":", 1)
        return self.root / "blobs" / algorithm / hexdigest

    def add_bytes(self, data: bytes, media_type: str) -> dict:
        digest = digest_of(data)
        self._path(digest).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def add_file(self, path: Path, media_type: str) -> dict:
        """Copy a (large) file in as a blob, hashing it as a stream."""
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        digest = "sha256:" + hasher.hexdigest()
        shutil.copyfile(path, self._path(digest))
        return {"mediaType": media_type, "digest": digest, "size": path.stat().st_size}

    def add_image(
        self,
        layers: list[tuple[bytes, str] | dict],
        tag: str | None = None,
        architecture: str = "amd64",
        config_media_type: str = OCI_CONFIG,
    ) -> dict:
        """Write config + manifest for ``layers`` (blob bytes or ready descriptors)."""
        descriptors = [
            item if isinstance(item, dict) else self.add_bytes(item[0], item[1]) for item in layers
        ]
        config = {
            "architecture": architecture,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descriptors]},
            "config": {},
        }
        config_desc = self.add_bytes(json.dumps(config).encode(), config_media_type)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config_desc,
            "layers": descriptors,
        }
        descriptor = self.add_bytes(json.dumps(manifest).encode(), OCI_MANIFEST)
        self._tag(descriptor, tag)
        return descriptor

    def add_index(self, children: list[tuple[dict, str]], tag: str | None = None) -> dict:
        """An index over image descriptors, each with an ``os/arch`` platform."""
        manifests = []
        for descriptor, platform in children:
            os_name, arch = platform.split("/")
            manifests.append({**descriptor, "platform": {"os": os_name, "architecture": arch}})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        descriptor = self.add_bytes(json.dumps(index).encode(), OCI_INDEX)
        self._tag(descriptor, tag)
        return descriptor

    def _tag(self, descriptor: dict, tag: str | None) -> None:
        if tag is None:
            return
        entry = {**descriptor, "annotations": {"org.opencontainers.image.ref.name": tag}}
        self._index = [
            e
            for e in self._index
            if e.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag
        ]
        self._index.append(entry)
        self._write_index()

    def _write_index(self) -> None:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self._index}
        (self.root / "index.json").write_text(json.dumps(index))

    # -- the BlobStore methods the scanner uses ----------------------------------------------
    def open_read(self, digest: str) -> BinaryIO | None:
        path = self._path(digest)
        return open(path, "rb") if path.exists() else None

    def read_bytes(self, digest: str, max_size: int) -> bytes | None:
        path = self._path(digest)
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
