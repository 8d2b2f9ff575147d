"""Shared pieces of the end-to-end tests: example programs, service checks, a tiny image."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import httpx

from tests.support.paths import REPO_ROOT, require_tool
from tests.support.service import RegistryService

EXAMPLES = {
    "yaml": REPO_ROOT / "examples" / "environments-yaml",
    "python": REPO_ROOT / "examples" / "environments-python",
}
PROGRAMS = Path(__file__).parent / "programs"
ENVIRONMENTS = {
    "dev": {"storage": 10, "immutable": False},
    "staging": {"storage": 20, "immutable": True},
    "prod": {"storage": 50, "immutable": True},
}


def provider_env(service: RegistryService) -> dict[str, str]:
    return {"CLOUDRAYA_ENDPOINT": service.url, "CLOUDRAYA_API_TOKEN": service.token}


def registry(service: RegistryService, name: str) -> dict[str, Any] | None:
    with service.api() as api:
        response = api.get(f"/registries/{name}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def password_works(service: RegistryService, name: str, password: str) -> bool:
    """Whether the data plane accepts the credential (HTTP Basic on /v2/)."""
    response = httpx.get(f"{service.url}/v2/", auth=(name, password), timeout=30)
    return response.status_code == 200


def podman_login(service: RegistryService, name: str, password: str, authfile: Path) -> int:
    podman = require_tool("podman")
    result = subprocess.run(
        [podman, "login", "--tls-verify=false", "--authfile", str(authfile),
         "--username", name, "--password-stdin", service.host],
        input=password, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return result.returncode


def oci_layout(directory: Path, tag: str = "v1") -> Path:
    """A one-layer OCI image layout on disk (a FROM-scratch image with one small file)."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def blob(data: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    layer_bytes = io.BytesIO()
    with tarfile.open(fileobj=layer_bytes, mode="w") as tar:
        content = b"hello from the cloudraya e2e tests\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    layer = blob(layer_bytes.getvalue())
    diff_id = layer["digest"]
    config = blob(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                "config": {},
            }
        ).encode()
    )
    manifest = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}],
            }
        ).encode()
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **manifest,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (directory / "index.json").write_text(json.dumps(index))
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return directory


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("skopeo"), *args], capture_output=True, text=True, timeout=300, check=False
    )


def push_image(service: RegistryService, image: str, authfile: Path, layout: Path) -> None:
    result = skopeo(
        "copy", "--dest-tls-verify=false", "--dest-authfile", str(authfile),
        f"oci:{layout}:v1", f"docker://{image}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def diagnostics(output: str, needle: str) -> list[str]:
    """Lines of the Diagnostics section of Pulumi's output that carry `needle`.

    Pulumi shows an error once while it happens and once in the final summary; the summary is
    what a user reads, so "one clear error line" is counted there.
    """
    _, _, summary = output.partition("Diagnostics:")
    return [line.strip() for line in summary.splitlines() if needle in line]
