"""The provider over HTTPS to a service with a private CA: `cloudraya:caBundle` (or
CLOUDRAYA_CA_BUNDLE) is what it trusts, with the real Pulumi CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tls import ServerCertificate, make_certificate

from .helpers import PROGRAMS, provider_env, registry


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_certificate(tmp_path / "tls")


@pytest.fixture
def tls_service(service_factory, certificate: ServerCertificate):
    return service_factory(tls=certificate)


def test_up_over_https_trusts_the_ca_bundle_from_config(pulumi, tls_service, certificate):
    ws = pulumi(PROGRAMS / "push-command-yaml", stack="dev", env=provider_env(tls_service))
    assert provider_env(tls_service)["CLOUDRAYA_ENDPOINT"].startswith("https://")
    ws.config_set("cloudraya:caBundle", str(certificate.ca))
    ws.up()
    push = ws.outputs()["push"]
    assert push["image"] == f"{tls_service.host}/push-registry/team/app:v2.1.0"
    assert push["plainHttp"] is False
    assert registry(tls_service, "push-registry") is not None


def test_up_over_https_trusts_the_ca_bundle_from_the_environment(pulumi, tls_service, certificate):
    env = {**provider_env(tls_service), "CLOUDRAYA_CA_BUNDLE": str(certificate.ca)}
    ws = pulumi(PROGRAMS / "push-command-yaml", stack="dev", env=env)
    ws.up()
    assert registry(tls_service, "push-registry") is not None


def test_without_the_ca_the_certificate_is_refused_and_nothing_is_created(pulumi, tls_service):
    ws = pulumi(PROGRAMS / "push-command-yaml", stack="dev", env=provider_env(tls_service))
    failed = ws.up(check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in output or "certificate verify failed" in output, output
    assert registry(tls_service, "push-registry") is None


def test_a_ca_bundle_that_is_no_pem_file_fails_at_preview(pulumi, tls_service, tmp_path: Path):
    ws = pulumi(PROGRAMS / "push-command-yaml", stack="dev", env=provider_env(tls_service))
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("hello\n")
    ws.config_set("cloudraya:caBundle", str(not_pem))
    failed = ws.preview(check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "caBundle" in output and "is not the path of a file of PEM CA certificates" in output
    ws.config_set("cloudraya:caBundle", str(tmp_path / "absent.pem"))
    failed = ws.preview(check=False)
    assert "is not a file; it must be the path of a file of PEM CA certificates" in (
        failed.stdout + failed.stderr
    )
