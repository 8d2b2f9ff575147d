"""Real container clients (podman, skopeo, crane) against the service with a registry's login."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.service.oci_helpers import PASSWORD, OciClient
from tests.support.clients import Tools
from tests.support.paths import require_tool
from tests.support.service import RegistryService, ServiceClient


@pytest.fixture
def service(deployment: ServiceClient) -> ServiceClient:
    """Every test here runs embedded and on replicas behind a load balancer (``deployment``)."""
    return deployment


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _member(blob: Path, name: str) -> bytes | None:
    """A file from a (possibly gzipped) layer tarball, or None when the blob is no such layer."""
    try:
        with tarfile.open(blob) as archive:
            member = archive.extractfile(name)
            return member.read() if member else None
    except (tarfile.TarError, KeyError):
        return None


def test_podman_build_login_push_pull_round_trip(
    service: RegistryService, tools: Tools, tmp_path: Path
) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    context = tmp_path / "context"
    context.mkdir()
    (context / "payload.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    (context / "Containerfile").write_text("FROM scratch\nCOPY payload.bin /payload.bin\n")
    image = f"{service.host}/dev-registry/team/app:v1"

    tools.podman("build", "-q", "-t", image, str(context))
    tools.podman(
        "login",
        "--tls-verify=false",
        "-u",
        "dev-registry",
        "--password-stdin",
        service.host,
        stdin=PASSWORD,
    )
    digest_file = tmp_path / "digest"
    tools.podman("push", "--tls-verify=false", "--digestfile", str(digest_file), image)
    pushed_digest = digest_file.read_text().strip()

    tools.podman("rmi", "-f", image)
    tools.podman("pull", "--tls-verify=false", image)
    inspected = json.loads(tools.podman("image", "inspect", image).stdout)[0]
    assert any(d.endswith("@" + pushed_digest) for d in inspected["RepoDigests"]), inspected
    tools.podman("create", "--name", "copy-out", image, "/none")
    tools.podman("cp", "copy-out:/payload.bin", str(tmp_path / "pulled.bin"))
    assert (tmp_path / "pulled.bin").read_bytes() == (context / "payload.bin").read_bytes()

    # Logging in with a wrong password fails like it would against any registry.
    failed = subprocess.run(
        [
            require_tool("podman"),
            *tools.podman_flags,
            "login",
            "--tls-verify=false",
            "-u",
            "dev-registry",
            "--password-stdin",
            service.host,
        ],
        input="Wrong-Password-1",
        capture_output=True,
        text=True,
        env=tools.env,
        timeout=120,
    )
    assert failed.returncode != 0
    assert "invalid username/password" in failed.stderr


def test_skopeo_copy_inspect_delete(service: RegistryService, tools: Tools, tmp_path: Path) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    layout = tmp_path / "layout"
    layer_dir = tmp_path / "rootfs"
    layer_dir.mkdir()
    (layer_dir / "data.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w") as archive:
        archive.add(layer_dir / "data.bin", arcname="data.bin")

    crane = require_tool("crane")
    source = f"{service.host}/dev-registry/source:v1"
    tools.run(crane, "auth", "login", service.host, "-u", "dev-registry", "-p", PASSWORD)
    tools.run(crane, "append", "--insecure", "-f", str(layer), "-t", source)

    skopeo = require_tool("skopeo")
    creds = f"dev-registry:{PASSWORD}"
    target = f"docker://{service.host}/dev-registry/copied:v1"
    tools.run(
        skopeo,
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--src-creds",
        creds,
        "--dest-creds",
        creds,
        f"docker://{source}",
        target,
    )
    inspected = json.loads(
        tools.run(skopeo, "inspect", "--tls-verify=false", "--creds", creds, target).stdout
    )
    source_digest = tools.run(crane, "digest", "--insecure", source).stdout.strip()
    assert inspected["Digest"] == source_digest
    assert inspected["RepoTags"] == ["v1"]

    # Copy out to an OCI layout: every blob's file content hashes to its name.
    tools.run(
        skopeo, "copy", "--src-tls-verify=false", "--src-creds", creds, target, f"oci:{layout}:v1"
    )
    blobs = list((layout / "blobs" / "sha256").iterdir())
    assert blobs
    for blob in blobs:
        assert _sha256_file(blob) == blob.name
    assert (layer_dir / "data.bin").read_bytes() in [_member(blob, "data.bin") for blob in blobs]

    tools.run(skopeo, "delete", "--tls-verify=false", "--creds", creds, target)
    gone = subprocess.run(
        [skopeo, "inspect", "--tls-verify=false", "--creds", creds, target],
        capture_output=True,
        text=True,
        env=tools.env,
        timeout=120,
    )
    assert gone.returncode != 0
    with OciClient(service, "dev-registry") as client:
        assert client.get_manifest("dev-registry/copied", "v1").status_code == 404
        assert client.get_manifest("dev-registry/source", "v1").status_code == 200


def test_crane_push_pull_bytes_round_trip(
    service: RegistryService, tools: Tools, tmp_path: Path
) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    crane = require_tool("crane")
    payload = os.urandom(6 * 1024 * 1024)
    (tmp_path / "payload.bin").write_bytes(payload)
    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w") as archive:
        archive.add(tmp_path / "payload.bin", arcname="payload.bin")
    reference = f"{service.host}/dev-registry/crane/app:v1"

    tools.run(crane, "auth", "login", service.host, "-u", "dev-registry", "-p", PASSWORD)
    tools.run(crane, "append", "--insecure", "-f", str(layer), "-t", reference)
    assert tools.run(crane, "ls", "--insecure", reference.rsplit(":", 1)[0]).stdout.split() == [
        "v1"
    ]
    assert (
        "dev-registry/crane/app"
        in tools.run(crane, "catalog", "--insecure", service.host).stdout.split()
    )

    exported = tmp_path / "exported.tar"
    tools.run(crane, "export", "--insecure", reference, str(exported))
    with tarfile.open(exported) as archive:
        member = archive.extractfile("payload.bin")
        assert member is not None
        assert member.read() == payload

    saved = tmp_path / "saved.tar"
    tools.run(crane, "pull", "--insecure", "--format", "oci", reference, str(saved))
    digest = tools.run(crane, "digest", "--insecure", reference).stdout.strip()
    with OciClient(service, "dev-registry") as client:
        manifest = client.get_manifest("dev-registry/crane/app", "v1")
    assert "sha256:" + hashlib.sha256(manifest.content).hexdigest() == digest
