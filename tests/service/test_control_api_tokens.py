"""API tokens expire, can be listed and revoked (API and command line); the bootstrap token
has a minimum length. Regressions of issue 11: tokens never expired, could not be revoked,
and a 1-character CLOUDRAYA_BOOTSTRAP_TOKEN was accepted."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.support.paths import require_tool
from tests.support.service import RegistryService, ServiceStartError


def _cli(service, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [require_tool("cloudraya-registry"), "token", *args, "--data-dir", str(service.data_dir)]
    if service.database_url:
        cmd += ["--database-url", service.database_url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_tokens_are_created_listed_and_revoked_over_the_api(control_service) -> None:
    with control_service.api() as admin:
        created = admin.post("/tokens", json={"name": "ci", "expires_in_days": 30})
        assert created.status_code == 201, created.text
        assert created.headers["cache-control"] == "no-store"
        body = created.json()
        ci_token = body["token"]
        assert body["name"] == "ci" and body["expired"] is False
        assert body["expires_at"] is not None
        forever = admin.post("/tokens", json={"name": "robot", "expires_in_days": None}).json()
        assert forever["expires_at"] is None
        listed = admin.get("/tokens").json()["tokens"]
    names = [t["name"] for t in listed]
    assert names == ["admin", "ci", "robot"]
    assert ci_token not in json.dumps(listed)

    with control_service.api(token=ci_token) as ci:
        assert ci.get("/registries").status_code == 200
        # A token may revoke itself; it stops working at once.
        assert ci.delete(f"/tokens/{body['id']}").status_code == 204
        gone = ci.get("/registries")
    assert gone.status_code == 401
    with control_service.api() as admin:
        assert admin.delete(f"/tokens/{body['id']}").status_code == 404
        too_long = admin.post("/tokens", json={"name": "x", "expires_in_days": 99999})
        assert too_long.status_code == 400
        assert "expires_in_days" in too_long.json()["error"]["message"]


def test_an_expired_token_is_refused_with_its_expiry(control_service) -> None:
    done = _cli(
        control_service, "create", "--project", "default", "--name", "short", "--expires-in", "2s"
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    with control_service.api(token=token) as api:
        assert api.get("/registries").status_code == 200
        time.sleep(2.5)
        expired = api.get("/registries")
    assert expired.status_code == 401
    assert "expired at" in expired.json()["error"]["message"]


def test_the_command_line_lists_and_revokes_tokens(control_service) -> None:
    done = _cli(control_service, "create", "--project", "default", "--name", "cli-made")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    listing = _cli(control_service, "list", "--project", "default")
    assert listing.returncode == 0, listing.stderr
    tokens = [json.loads(line) for line in listing.stdout.splitlines()]
    made = next(t for t in tokens if t["name"] == "cli-made")
    assert made["expires_at"] is not None  # 90 days unless --expires-in never
    assert token not in listing.stdout

    revoked = _cli(control_service, "revoke", "--project", "default", str(made["id"]))
    assert revoked.returncode == 0, revoked.stderr
    with control_service.api(token=token) as api:
        assert api.get("/registries").status_code == 401
    unknown = _cli(control_service, "revoke", "--project", "default", str(made["id"]))
    assert unknown.returncode == 1
    assert "not found" in unknown.stderr


def test_a_short_bootstrap_token_stops_the_service_with_a_clear_message(
    service_factory, tmp_path
) -> None:
    with pytest.raises(ServiceStartError) as refused:
        service_factory(token="x")
    assert "at least 32" in str(refused.value)
    # The real command says the same and exits 1.
    process = RegistryService(tmp_path / "data", token="short-token")
    with pytest.raises(ServiceStartError) as failed:
        process.start()
    assert "CLOUDRAYA_BOOTSTRAP_TOKEN has 11 characters" in str(failed.value)
    assert "short-token" not in process.log_text()
