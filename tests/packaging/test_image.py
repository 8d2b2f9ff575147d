"""The service image: built by `make dist`, pushed into a running service with skopeo, pulled
back and run with podman; the container serves /v2/ and takes a push and a pull."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.dist import IMAGE_ARCHIVE, VERSION, artifact
from tests.support.images import manifest_digest, push_layout, random_image_layout, skopeo
from tests.support.podman import Podman
from tests.support.ports import free_port
from tests.support.service import RegistryService
from tests.support.tls import make_certificate

PASSWORD = "Image-Test-Pass-1"
STARTUP_TIMEOUT_S = 120


@pytest.fixture
def podman(tmp_path: Path) -> Iterator[Podman]:
    podman = Podman(tmp_path / "podman")
    yield podman
    podman.close()


def wait_for_v2(url: str, podman: Podman, container: str) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"{url}/v2/", timeout=2)
        except httpx.TransportError:
            state = podman.check("inspect", "--format", "{{.State.Status}}", container).strip()
            assert state == "running", f"container {state}:\n{podman.run('logs', container).stdout}"
            time.sleep(0.5)
    raise AssertionError(f"no answer on {url}/v2/:\n{podman.run('logs', container).stderr}")


def test_image_round_trips_through_the_service_and_runs(
    service: RegistryService, podman: Podman, tmp_path: Path
) -> None:
    # Push the archive `make dist` wrote into a registry of a running service.
    service.create_registry("ops-registry", password=PASSWORD)
    reference = f"{service.host}/ops-registry/cloudraya-registry:{VERSION}"
    pushed = skopeo(
        "copy", "--dest-tls-verify=false", "--dest-creds", f"ops-registry:{PASSWORD}",
        f"oci-archive:{artifact(IMAGE_ARCHIVE)}", f"docker://{reference}",
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr

    # Pull it back the way a host would, and look at what it declares.
    podman.check("pull", "--quiet", "--tls-verify=false", "--creds", f"ops-registry:{PASSWORD}",
                 reference)  # fmt: skip
    (image,) = json.loads(podman.check("image", "inspect", reference))
    config = image["Config"]
    assert config["User"] == "cloudraya"
    assert "/data" in config["Volumes"]
    assert config["Labels"]["org.opencontainers.image.version"] == VERSION
    assert "CLOUDRAYA_DATA_DIR=/data" in config["Env"]

    # Run it: port by flag, public URL and bootstrap token by environment, data in the volume.
    port, token = free_port(), f"image-admin-{secrets.token_urlsafe(16)}"
    url = f"http://127.0.0.1:{port}"
    environment = {"CLOUDRAYA_PUBLIC_URL": url, "CLOUDRAYA_BOOTSTRAP_TOKEN": token}
    options = tuple(arg for name, value in environment.items() for arg in ("-e", f"{name}={value}"))
    container = podman.start(reference, "--port", str(port), options=options)
    v2 = wait_for_v2(url, podman, container)
    assert v2.status_code == 401, v2.text
    assert "WWW-Authenticate" in v2.headers

    # Non-root, with its data in the volume at /data.
    assert podman.check("exec", container, "id", "-un").strip() == "cloudraya"
    (inspected,) = json.loads(podman.check("container", "inspect", container))
    assert [m["Destination"] for m in inspected["Mounts"]] == ["/data"]
    listing = podman.check("exec", container, "ls", "/data").split()
    assert {"registry.db", "blobs"} <= set(listing), listing

    # A push and a pull against the container's own registry service.
    admin = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{url}/api/v1", headers=admin) as api:
        created = api.post("/registries", json={"name": "app-registry", "password": PASSWORD})
    assert created.status_code == 201, created.text
    layout = random_image_layout(tmp_path / "image", "v1")
    push_layout(layout, "v1", f"127.0.0.1:{port}/app-registry/web:v1",
                creds=("app-registry", PASSWORD))  # fmt: skip
    pulled = skopeo(
        "copy", "--src-tls-verify=false", "--src-creds", f"app-registry:{PASSWORD}",
        f"docker://127.0.0.1:{port}/app-registry/web:v1", f"oci:{tmp_path / 'pulled'}:v1",
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    assert manifest_digest(tmp_path / "pulled") == manifest_digest(layout)


def test_image_serves_https_with_tls_files_from_the_environment(
    podman: Podman, tmp_path: Path
) -> None:
    """TLS in the container: the files mounted read-only, named by CLOUDRAYA_TLS_CERT/_KEY."""
    certificate = make_certificate(tmp_path / "tls")
    certificate.cert.parent.chmod(0o755)
    certificate.key.chmod(0o644)  # the container's user (uid 10001) reads it
    port = free_port()
    environment = {
        "CLOUDRAYA_TLS_CERT": "/tls/server.crt",
        "CLOUDRAYA_TLS_KEY": "/tls/server.key",
        "CLOUDRAYA_PUBLIC_URL": f"https://127.0.0.1:{port}",
    }
    options = ("-v", f"{certificate.cert.parent}:/tls:ro")
    options += tuple(
        arg for name, value in environment.items() for arg in ("-e", f"{name}={value}")
    )
    container = podman.start(
        f"oci-archive:{artifact(IMAGE_ARCHIVE)}", "--port", str(port), options=options
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            ready = httpx.get(
                f"https://127.0.0.1:{port}/readyz", verify=certificate.client_context(), timeout=2
            )
            break
        except httpx.TransportError:
            state = podman.check("inspect", "--format", "{{.State.Status}}", container).strip()
            assert state == "running", f"container {state}:\n{podman.run('logs', container).stderr}"
            assert time.monotonic() < deadline, podman.run("logs", container).stderr
            time.sleep(0.5)
    assert ready.json()["status"] == "ready"
    plain = httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=10)
    assert plain.status_code == 400
    assert f"Use https://127.0.0.1:{port}/" in plain.text
