"""Host-style endpoints: each registry its own host (``dev.localhost:PORT``), so clients that key
logins by host hold one login per registry and copy between registries of one service.

``*.localhost`` resolves to loopback through libnss-myhostname (``make deps``), offline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.service.oci_helpers import PASSWORD, make_image, sha256
from tests.support.clients import Tools
from tests.support.inprocess import InProcessService
from tests.support.paths import require_tool
from tests.support.ports import free_port, resolves

PROD_PASSWORD = "Prod-Plane-Pass-2"


@pytest.fixture(autouse=True)
def registry_hosts_resolve() -> None:
    assert resolves("dev.localhost"), "*.localhost does not resolve: run `make deps`"


@pytest.fixture
def host_service(service_factory: Callable[..., InProcessService]) -> InProcessService:
    port = free_port()
    service = service_factory(
        port=port,
        extra_args=["--endpoint-style", "host", "--public-url", f"http://localhost:{port}"],
    )
    service.create_registry("dev", password=PASSWORD)
    service.create_registry("prod", password=PROD_PASSWORD)
    return service


def host_of(service: InProcessService, registry: str) -> str:
    return f"{registry}.localhost:{service.port}"


def test_control_plane_shows_each_registry_its_own_host(host_service: InProcessService):
    dev = host_of(host_service, "dev")
    with host_service.api() as api:
        assert api.get("/registries/dev").json()["endpoint"] == dev
        push = api.get(
            "/registries/dev/push-command", params={"repository": "team/app", "tag": "v1"}
        ).json()
    assert push["image"] == f"{dev}/team/app:v1"
    assert f"docker login {dev} -u dev" in json.dumps(push)
    assert f"docker push {dev}/team/app:v1" in json.dumps(push)


def test_dashboard_push_helper_follows_the_endpoint_style(host_service: InProcessService):
    with httpx.Client(base_url=host_service.url, follow_redirects=True) as browser:
        form = browser.get("/ui/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        signed_in = browser.post(
            "/ui/login", data={"token": host_service.token, "csrf_token": csrf.group(1)}
        )
        assert signed_in.status_code == 200, signed_in.text
        page = browser.get(
            "/ui/registries/dev/push-command", params={"repository": "team/app", "tag": "v1"}
        )
    assert page.status_code == 200
    dev = host_of(host_service, "dev")
    assert f"docker login {dev} -u dev" in page.text
    assert f"{dev}/team/app:v1" in page.text


def _layer(tmp_path: Path, payload: bytes) -> Path:
    (tmp_path / "payload.bin").write_bytes(payload)
    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w") as archive:
        archive.add(tmp_path / "payload.bin", arcname="payload.bin")
    return layer


def test_crane_copies_from_dev_to_prod_with_a_login_for_each(
    host_service: InProcessService, tools: Tools, tmp_path: Path
):
    crane = require_tool("crane")
    dev, prod = host_of(host_service, "dev"), host_of(host_service, "prod")
    tools.run(crane, "auth", "login", dev, "-u", "dev", "-p", PASSWORD)
    tools.run(crane, "auth", "login", prod, "-u", "prod", "-p", PROD_PASSWORD)
    payload = os.urandom(2 * 1024 * 1024)
    source, target = f"{dev}/team/app:v1", f"{prod}/team/app:v1"
    tools.run(crane, "append", "--insecure", "-f", str(_layer(tmp_path, payload)), "-t", source)

    tools.run(crane, "copy", "--insecure", source, target)

    digest = tools.run(crane, "digest", "--insecure", source).stdout.strip()
    assert tools.run(crane, "digest", "--insecure", target).stdout.strip() == digest
    exported = tmp_path / "exported.tar"
    tools.run(crane, "export", "--insecure", target, str(exported))
    with tarfile.open(exported) as archive:
        member = archive.extractfile("payload.bin")
        assert member is not None and member.read() == payload
    # each registry lists its own repositories, without a registry prefix
    assert tools.run(crane, "catalog", "--insecure", prod).stdout.split() == ["team/app"]
    assert tools.run(crane, "ls", "--insecure", f"{prod}/team/app").stdout.split() == ["v1"]
    # the same image, seen through the shared host in path style
    with httpx.Client(base_url=host_service.url, auth=("prod", PROD_PASSWORD)) as client:
        manifest = client.get(
            "/v2/prod/team/app/manifests/v1",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                     "application/vnd.docker.distribution.manifest.v2+json"},
        )  # fmt: skip
    assert sha256(manifest.content) == digest


def test_regctl_and_oras_use_per_registry_logins(
    host_service: InProcessService, tools: Tools, tmp_path: Path
):
    regctl, oras = require_tool("regctl"), require_tool("oras")
    dev, prod = host_of(host_service, "dev"), host_of(host_service, "prod")
    for host, user, password in ((dev, "dev", PASSWORD), (prod, "prod", PROD_PASSWORD)):
        tools.run(regctl, "registry", "set", "--skip-check", "--tls", "disabled", host)
        tools.run(regctl, "registry", "login", host, "-u", user, "--pass-stdin", stdin=password)
        tools.run(oras, "login", "--plain-http", "-u", user, "--password-stdin", host,
                  stdin=password)  # fmt: skip

    notes = tmp_path / "notes.txt"
    notes.write_text("release notes\n")
    tools.run(oras, "push", "--plain-http", f"{dev}/docs/notes:v1", "notes.txt:text/plain",
              cwd=tmp_path)  # fmt: skip
    tools.run(regctl, "image", "copy", f"{dev}/docs/notes:v1", f"{prod}/docs/notes:v1")
    pulled = tmp_path / "pulled"
    tools.run(oras, "pull", "--plain-http", "-o", str(pulled), f"{prod}/docs/notes:v1")
    assert (pulled / "notes.txt").read_text() == "release notes\n"
    assert tools.run(regctl, "tag", "ls", f"{prod}/docs/notes").stdout.split() == ["v1"]


def test_podman_and_skopeo_push_and_pull_at_a_registry_host(
    host_service: InProcessService, tools: Tools, tmp_path: Path
):
    dev = host_of(host_service, "dev")
    image = f"{dev}/team/app:v1"
    payload = tools.build_payload_image(image, 512 * 1024)
    tools.podman("login", "--tls-verify=false", "-u", "dev", "--password-stdin", dev,
                 stdin=PASSWORD)  # fmt: skip
    tools.podman("push", "--tls-verify=false", image)
    tools.podman("rmi", "-f", image)
    tools.podman("pull", "--tls-verify=false", image)
    tools.podman("create", "--name", "host-copy", image, "/none")
    tools.podman("cp", "host-copy:/payload.bin", str(tmp_path / "pulled.bin"))
    assert (tmp_path / "pulled.bin").read_bytes() == payload
    skopeo = require_tool("skopeo")
    tags = tools.run(skopeo, "list-tags", "--tls-verify=false", "--creds", f"dev:{PASSWORD}",
                     f"docker://{dev}/team/app").stdout  # fmt: skip
    assert json.loads(tags)["Tags"] == ["v1"]


def test_one_registrys_credentials_do_not_reach_another_registrys_host(
    host_service: InProcessService,
):
    image = make_image(1024)
    prod_url = f"http://{host_of(host_service, 'prod')}"
    with httpx.Client(base_url=prod_url, auth=("dev", PASSWORD)) as client:
        refused = client.post(
            "/v2/team/app/blobs/uploads/",
            params={"digest": sha256(image.config)},
            content=image.config,
        )
        assert refused.status_code == 403
        assert "grant access only to repositories under dev/" in refused.text
        catalog = client.get("/v2/_catalog")
        assert catalog.status_code == 403
    # the challenge at a registry's host sends token requests there, with names as sent
    challenge = httpx.get(f"{prod_url}/v2/team/app/tags/list").headers["www-authenticate"]
    assert f'realm="{prod_url}/auth/token"' in challenge
    assert 'scope="repository:team/app:pull"' in challenge


def test_host_style_needs_a_dns_name_for_the_registry_hosts(tmp_path: Path):
    done = subprocess.run(
        [require_tool("cloudraya-registry"), "serve", "--data-dir", str(tmp_path / "data"),
         "--port", "1", "--endpoint-style", "host", "--public-url", "http://127.0.0.1:5000"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "set --registry-domain (CLOUDRAYA_REGISTRY_DOMAIN)" in done.stderr, done.stderr
    wrong = subprocess.run(
        [require_tool("cloudraya-registry"), "serve", "--data-dir", str(tmp_path / "data"),
         "--port", "1", "--endpoint-style", "hosts"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert wrong.returncode == 1
    assert "--endpoint-style (CLOUDRAYA_ENDPOINT_STYLE) must be one of path, host" in wrong.stderr
