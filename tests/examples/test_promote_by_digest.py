"""examples/promote-by-digest: an image pushed to dev reaches staging and prod by digest."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.support.images import (
    head_manifest_digest,
    manifest_digest,
    push_layout,
    random_image_layout,
)
from tests.support.service import RegistryService

from .helpers import EXAMPLES, credential, provider_env, write_authfile

EXAMPLE = EXAMPLES / "promote-by-digest"
TAG = "v1.4.2"


def registries(service: RegistryService) -> set[str]:
    with service.api() as api:
        response = api.get("/registries")
    response.raise_for_status()
    return {r["name"] for r in response.json()["registries"]}


def test_image_pushed_to_dev_is_promoted_by_digest_and_stack_destroys(pulumi, service, tmp_path):
    ws = pulumi(EXAMPLE, stack="promote", env=provider_env(service))
    ws.up()
    assert registries(service) == {"app-dev", "app-staging", "app-prod"}
    endpoints = ws.outputs()["endpoints"]
    authfiles = ws.outputs(show_secrets=True)["authfiles"]
    assert endpoints["dev"] == f"{service.host}/app-dev"

    layout = random_image_layout(tmp_path / "image", TAG)
    expected = manifest_digest(layout)
    dev_auth = write_authfile(tmp_path / "dev-auth.json", authfiles["dev"])
    push_layout(layout, TAG, f"{endpoints['dev']}/my-service:{TAG}", authfile=dev_auth)

    promoted = subprocess.run(
        [sys.executable, "promote.py", f"my-service:{TAG}", "--tls-verify=false"],
        cwd=ws.program_dir, env=ws.env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert promoted.returncode == 0, promoted.stderr
    for env in ("dev", "staging", "prod"):
        assert f"{env}: {endpoints[env]}/my-service:{TAG} is {expected}" in promoted.stdout

    # Independently of skopeo: every registry serves the same manifest digest under the
    # version tag and under the digest itself, and no `latest` was invented.
    for env in ("dev", "staging", "prod"):
        auth = credential(authfiles[env])
        repository = f"app-{env}/my-service"
        assert head_manifest_digest(service.url, repository, TAG, auth) == expected
        assert head_manifest_digest(service.url, repository, expected, auth) == expected
        assert head_manifest_digest(service.url, repository, "latest", auth) is None

    # Each environment's credential is its own: dev's password does not open prod.
    dev_auth_pair = credential(authfiles["dev"])
    prod_with_dev = head_manifest_digest_status(service, "app-prod/my-service", dev_auth_pair)
    assert prod_with_dev in (401, 403, 404)

    # forceDestroy is on in the example, so destroy succeeds with images inside.
    ws.destroy()
    assert registries(service) == set()


def head_manifest_digest_status(
    service: RegistryService, repository: str, auth: tuple[str, str]
) -> int:
    response = httpx.head(f"{service.url}/v2/{repository}/manifests/{TAG}", auth=auth, timeout=30)
    return response.status_code


def test_promote_refuses_latest_and_a_missing_tag(pulumi, service):
    ws = pulumi(EXAMPLE, stack="promote", env=provider_env(service))
    ws.up()

    def promote(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "promote.py", *args, "--tls-verify=false"],
            cwd=ws.program_dir, env=ws.env, capture_output=True, text=True, timeout=300,
            check=False,
        )  # fmt: skip

    latest = promote("my-service:latest")
    assert latest.returncode != 0
    assert "not `latest`" in latest.stderr

    missing = promote("my-service:v9.9.9")
    assert missing.returncode != 0
    assert "skopeo inspect failed" in missing.stderr
    ws.destroy()
