"""podman builds a FROM-scratch image as root in a private store; skopeo reads it back."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.support.paths import require_tool

PAYLOAD = b"pulumi-cloudraya smoke payload\n"


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{cmd} exited {result.returncode}:\n{result.stderr}"
    return result


def blob(layout: Path, digest: str) -> bytes:
    algorithm, hex_digest = digest.split(":", 1)
    return (layout / "blobs" / algorithm / hex_digest).read_bytes()


def test_podman_builds_scratch_image_and_skopeo_inspects_it(tmp_path: Path) -> None:
    # podman refuses a runroot longer than 50 characters; pytest's tmp_path is longer.
    with tempfile.TemporaryDirectory(prefix="podrun-") as runroot:
        build_push_inspect(tmp_path, runroot)


def build_push_inspect(tmp_path: Path, runroot: str) -> None:
    podman = [
        require_tool("podman"),
        "--root", str(tmp_path / "storage"),
        "--runroot", runroot,
        "--storage-driver", "vfs",
        "--events-backend", "file",
    ]  # fmt: skip
    context = tmp_path / "context"
    context.mkdir()
    (context / "payload.txt").write_bytes(PAYLOAD)
    (context / "Containerfile").write_text(
        'FROM scratch\nCOPY payload.txt /payload.txt\nLABEL org.example.smoke="yes"\n'
    )

    run(*podman, "build", "--quiet", "-t", "localhost/smoke:1", str(context))
    layout = tmp_path / "layout"
    run(*podman, "push", "localhost/smoke:1", f"oci:{layout}:smoke")

    inspected = json.loads(run(require_tool("skopeo"), "inspect", f"oci:{layout}:smoke").stdout)
    assert inspected["Labels"]["org.example.smoke"] == "yes"
    assert len(inspected["Layers"]) == 1

    # The layer skopeo names is in the layout, matches its digest, and holds our file.
    layer_digest = inspected["Layers"][0]
    layer = blob(layout, layer_digest)
    assert "sha256:" + hashlib.sha256(layer).hexdigest() == layer_digest
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        member = tar.extractfile("payload.txt")
        assert member is not None
        assert member.read() == PAYLOAD
