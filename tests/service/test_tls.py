"""HTTPS served by the service itself, verified by real clients against a CA made in the test."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.service.oci_helpers import PASSWORD
from tests.support.clients import Tools
from tests.support.inprocess import InProcessService
from tests.support.paths import require_tool
from tests.support.service import RegistryService
from tests.support.tls import ServerCertificate, make_certificate


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_certificate(tmp_path / "tls")


@pytest.fixture
def tls_service(
    service_factory: Callable[..., InProcessService], certificate: ServerCertificate
) -> InProcessService:
    return service_factory(tls=certificate)


def test_podman_and_skopeo_push_and_pull_over_verified_https(
    tls_service: InProcessService, certificate: ServerCertificate, tools: Tools, tmp_path: Path
):
    service = tls_service
    service.create_registry("tls-registry", password=PASSWORD)
    cert_dir = str(certificate.cert_dir(tmp_path / "certs"))
    image = f"{service.host}/tls-registry/team/app:v1"
    payload = tools.build_payload_image(image, 1024 * 1024)

    # Verification is on: without the CA the service's certificate is refused.
    untrusted = subprocess.run(
        [require_tool("podman"), *tools.podman_flags, "login", "-u", "tls-registry",
         "--password-stdin", service.host],
        input=PASSWORD, capture_output=True, text=True, env=tools.env, timeout=120,
    )  # fmt: skip
    assert untrusted.returncode != 0
    assert "certificate" in untrusted.stderr, untrusted.stderr

    tools.podman(
        "login", "--cert-dir", cert_dir, "-u", "tls-registry", "--password-stdin", service.host,
        stdin=PASSWORD,
    )  # fmt: skip
    digest_file = tmp_path / "digest"
    tools.podman("push", "--cert-dir", cert_dir, "--digestfile", str(digest_file), image)
    pushed = digest_file.read_text().strip()
    tools.podman("rmi", "-f", image)
    tools.podman("pull", "--cert-dir", cert_dir, image)
    tools.podman("create", "--name", "tls-copy", image, "/none")
    tools.podman("cp", "tls-copy:/payload.bin", str(tmp_path / "pulled.bin"))
    assert (tmp_path / "pulled.bin").read_bytes() == payload

    skopeo = require_tool("skopeo")
    creds = f"tls-registry:{PASSWORD}"
    inspected = tools.run(
        skopeo, "inspect", "--cert-dir", cert_dir, "--creds", creds, f"docker://{image}"
    ).stdout
    assert json.loads(inspected)["Digest"] == pushed
    layout = tmp_path / "layout"
    tools.run(
        skopeo, "copy", "--src-cert-dir", cert_dir, "--src-creds", creds,
        f"docker://{image}", f"oci:{layout}:v1",
    )  # fmt: skip
    copy_target = f"docker://{service.host}/tls-registry/team/copy:v1"
    tools.run(
        skopeo, "copy", "--dest-cert-dir", cert_dir, "--dest-creds", creds,
        f"oci:{layout}:v1", copy_target,
    )  # fmt: skip
    copied = tools.run(skopeo, "inspect", "--cert-dir", cert_dir, "--creds", creds, copy_target)
    assert json.loads(copied.stdout)["Digest"] == pushed


def test_plain_http_on_the_https_port_is_refused_with_the_address_to_use(
    tls_service: InProcessService,
):
    answer = httpx.get(f"http://{tls_service.host}/v2/")
    assert answer.status_code == 400
    assert f"Use https://{tls_service.host}/" in answer.text
    assert "HTTPS only" in answer.text
    # the port still serves HTTPS afterwards
    healthy = httpx.get(f"{tls_service.url}/healthz", verify=tls_service.verify)
    assert healthy.json() == {"status": "ok"}


def test_endpoints_push_commands_and_token_realm_say_https(tls_service: InProcessService):
    created = tls_service.create_registry("tls-urls", password=PASSWORD)
    assert created["endpoint"] == f"{tls_service.host}/tls-urls"
    with tls_service.api() as api:
        push = api.get("/registries/tls-urls/push-command").json()
    assert "--tls-verify=false" not in json.dumps(push)
    challenge = httpx.get(f"{tls_service.url}/v2/", verify=tls_service.verify)
    assert challenge.status_code == 401
    realm = f'realm="https://{tls_service.host}/auth/token"'
    assert realm in challenge.headers["www-authenticate"]


def test_tls_files_from_the_environment(
    process_service_factory: Callable[..., RegistryService],
    certificate: ServerCertificate,
):
    """The image configures the service by environment: CLOUDRAYA_TLS_CERT/_KEY work alone."""
    service = process_service_factory(
        tls=certificate,
        env={
            "CLOUDRAYA_TLS_CERT": str(certificate.cert),
            "CLOUDRAYA_TLS_KEY": str(certificate.key),
        },
    )
    assert "--tls-cert" not in service.serve_arguments()
    assert f"listening on https://{service.host}" in service.log_text()
    answer = httpx.get(f"{service.url}/healthz", verify=certificate.client_context())
    assert answer.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (("cert", None), "--tls-cert (CLOUDRAYA_TLS_CERT) needs --tls-key (CLOUDRAYA_TLS_KEY)"),
        (("cert", "missing"), "no such file"),
        (("cert", "other-key"), "are not a PEM certificate (chain) and its unencrypted private"),
        (("ca-key-as-cert", "key"), "are not a PEM certificate"),
    ],
)
def test_unusable_tls_files_stop_serve_with_a_clear_message(
    certificate: ServerCertificate, tmp_path: Path, files, message: str
):
    other = make_certificate(tmp_path / "other")
    paths = {
        "cert": certificate.cert,
        "key": certificate.key,
        "missing": tmp_path / "absent.key",
        "other-key": other.key,
        "ca-key-as-cert": certificate.key,
    }
    args = ["serve", "--data-dir", str(tmp_path / "data"), "--port", "1"]
    cert, key = files
    args += ["--tls-cert", str(paths[cert])]
    if key:
        args += ["--tls-key", str(paths[key])]
    done = subprocess.run(
        [require_tool("cloudraya-registry"), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert message in done.stderr, done.stderr
    assert "BEGIN" not in done.stderr and "Traceback" not in done.stderr
