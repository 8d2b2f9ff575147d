"""Small OCI images built by the example tests: a config and one random layer, nothing else."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import httpx

from tests.support.paths import require_tool

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def random_image_layout(directory: Path, tag: str) -> Path:
    """An OCI image layout whose only layer holds random bytes, so every image is unique."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def blob(data: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    content = os.urandom(64 * 1024)
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as tar:
        info = tarfile.TarInfo("app/payload.bin")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    # Compressed already, so skopeo pushes the bytes as they are and the digest is kept.
    diff_id = f"sha256:{hashlib.sha256(layer_tar.getvalue()).hexdigest()}"
    layer = blob(gzip.compress(layer_tar.getvalue(), mtime=0))
    config = blob(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                "config": {"Entrypoint": ["/app/payload.bin"]},
            }
        ).encode()
    )
    manifest = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
            }
        ).encode()
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                **manifest,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (directory / "index.json").write_text(json.dumps(index))
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return directory


def manifest_digest(layout: Path) -> str:
    """The digest the registry must report for the layout's (only) image."""
    return json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("skopeo"), *args], capture_output=True, text=True, timeout=300, check=False
    )


def push_layout(layout: Path, tag: str, destination: str, authfile: Path) -> None:
    """`skopeo copy` the layout to `docker://<destination>` over plain HTTP."""
    result = skopeo(
        "copy", "--dest-tls-verify=false", "--dest-authfile", str(authfile),
        f"oci:{layout}:{tag}", f"docker://{destination}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def head_manifest_digest(
    base_url: str, repository: str, reference: str, auth: tuple[str, str]
) -> str | None:
    """Docker-Content-Digest of `HEAD /v2/<repository>/manifests/<reference>`; None when 404."""
    response = httpx.head(
        f"{base_url}/v2/{repository}/manifests/{reference}",
        auth=auth,
        headers={"Accept": OCI_MANIFEST},
        timeout=30,
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (response.status_code, response.headers)
    return response.headers["Docker-Content-Digest"]
