"""Small OCI images built in the test and pushed with skopeo, the way users push."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

from tests.support.paths import require_tool, search_path
from tests.support.service import RegistryService

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def layer(files: dict[str, bytes]) -> bytes:
    """A gzip-compressed tar layer holding ``files`` (path -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def random_layer(size: int) -> bytes:
    """A layer of incompressible bytes, so its size shows on the pages as pushed."""
    return layer({"data/random.bin": os.urandom(size)})


def oci_layout(directory: Path, tag: str, layers: list[bytes]) -> Path:
    """An OCI image layout with one image (config + ``layers``) tagged ``tag``."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def add(data: bytes, media_type: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    descriptors = [add(data, OCI_LAYER) for data in layers]
    diff_ids = ["sha256:" + hashlib.sha256(gzip.decompress(data)).hexdigest() for data in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": add(json.dumps(config).encode(), OCI_CONFIG),
        "layers": descriptors,
    }
    top = add(json.dumps(manifest).encode(), OCI_MANIFEST)
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]}
    (directory / "index.json").write_text(json.dumps(index))
    return directory


def push(service: RegistryService, registry: dict, layout: Path, tag: str, repository: str) -> None:
    """``skopeo copy`` the layout's ``tag`` to ``<host>/<registry>/<repository>:<tag>``."""
    policy = layout.parent / "skopeo-policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    result = subprocess.run(
        [
            require_tool("skopeo"),
            "--policy",
            str(policy),
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            f"{registry['username']}:{registry['password']}",
            f"oci:{layout}:{tag}",
            f"docker://{service.host}/{registry['name']}/{repository}:{tag}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": search_path(), "HOME": str(layout.parent)},
    )
    assert result.returncode == 0, f"skopeo copy failed:\n{result.stdout}\n{result.stderr}"


def push_random_image(
    service: RegistryService,
    registry: dict,
    work: Path,
    repository: str,
    tag: str,
    sizes: tuple[int, ...] = (300_000, 40_000),
    extra_layers: tuple[bytes, ...] = (),
) -> int:
    """Push an image of random layers (plus ``extra_layers``); returns the layer bytes."""
    layers = [random_layer(size) for size in sizes] + list(extra_layers)
    directory = work / f"oci-{repository.replace('/', '_')}-{tag}"
    push(service, registry, oci_layout(directory, tag, layers), tag, repository)
    return sum(len(data) for data in layers)
