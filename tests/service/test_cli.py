"""The `cloudraya-registry` command: first start, admin token, shutdown, gc, migrate, tokens."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.paths import require_tool, search_path
from tests.support.ports import free_port
from tests.support.service import RegistryService


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PATH": search_path(), **extra}
    env.pop("CLOUDRAYA_BOOTSTRAP_TOKEN", None)
    return env


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("cloudraya-registry"), *args],
        capture_output=True, text=True, timeout=120, env=env or _env(),
    )  # fmt: skip


class ServeProcess:
    """`serve` without the fixture's bootstrap token, to see what a first start does."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = data_dir.parent / "serve.out"
        cmd = [
            require_tool("cloudraya-registry"), "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--data-dir", str(data_dir), *args,
        ]  # fmt: skip
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            if f"listening on {self.url}" in self.text():
                return
            time.sleep(0.1)
        raise AssertionError(f"serve did not announce itself:\n{self.text()}")

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def test_first_start_writes_a_private_admin_token_and_prints_only_its_path(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    server = ServeProcess(data_dir)
    try:
        token_file = data_dir / "admin-token"
        token = token_file.read_text().strip()
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        # The data-plane signing key lives in the database (shared by replicas), not on disk.
        assert not (data_dir / "token-signing.key").exists()
        response = httpx.get(
            f"{server.url}/api/v1/registries", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    finally:
        assert server.terminate() == 0
    output = server.text()
    assert str(token_file) in output
    assert token not in output
    assert (data_dir / "registry.db").exists()


def test_restart_keeps_the_admin_token_and_the_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = ServeProcess(data_dir)
    token = (data_dir / "admin-token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{first.url}/api/v1/registries", json={"name": "dev-registry"}, headers=headers
    )
    assert created.status_code == 201
    issued = httpx.get(
        f"{first.url}/auth/token",
        params={"scope": "repository:dev-registry/app:pull"},
        auth=("dev-registry", created.json()["password"]),
    )
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert first.terminate() == 0

    second = ServeProcess(data_dir, "--public-url", first.url)  # same audience
    try:
        assert (data_dir / "admin-token").read_text().strip() == token
        # Signed with the key kept in the database: a token from before the restart still works.
        assert httpx.get(f"{second.url}/v2/", headers=bearer).status_code == 200
        read = httpx.get(f"{second.url}/api/v1/registries/dev-registry", headers=headers)
        assert read.status_code == 200
        assert "admin API token written" not in second.text()
    finally:
        second.terminate()


def test_public_url_sets_the_registry_endpoint(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / "data", "--public-url", "https://registry.example.test")
    try:
        token = (tmp_path / "data" / "admin-token").read_text().strip()
        created = httpx.post(
            f"{server.url}/api/v1/registries",
            json={"name": "dev-registry"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        push = httpx.get(
            f"{server.url}/api/v1/registries/dev-registry/push-command",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    finally:
        server.terminate()
    assert created["endpoint"] == "registry.example.test/dev-registry"
    assert push["login"] == "docker login registry.example.test -u dev-registry"
    assert push["plain_http"] is False


def test_sigterm_drains_and_exits_zero(process_service: RegistryService) -> None:
    assert process_service.stop() == 0
    assert "listening on " + process_service.url in process_service.log_text()


def test_token_create_makes_a_working_token_for_a_new_project(service: RegistryService) -> None:
    done = _cli(
        "token", "create", "--project", "team-b", "--name", "ci",
        "--data-dir", str(service.data_dir),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    with service.api(token=token) as api:
        assert api.get("/registries").json() == {"registries": []}


def test_gc_reports_what_it_removed_as_json(service: RegistryService) -> None:
    service.create_registry("dev-registry")
    service.stop()
    done = _cli("gc", "--data-dir", str(service.data_dir))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["blobs_removed"] == []
    assert report["bytes_freed"] == 0


def test_migrate_creates_the_schema_and_is_repeatable(tmp_path: Path) -> None:
    for _ in range(2):
        done = _cli("migrate", "--data-dir", str(tmp_path / "data"))
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout
    assert (tmp_path / "data" / "registry.db").exists()
    assert not (tmp_path / "data" / "admin-token").exists()


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "notadb://x",
        "sqlite:////nonexistent/dir/x.db",
    ],
)
def test_unusable_database_fails_with_a_clear_message_and_no_traceback(
    tmp_path: Path, database_url: str
) -> None:
    done = _cli(
        "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
        "--database-url", database_url,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cloudraya-registry serve:" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_missing_data_dir_argument_is_a_usage_error() -> None:
    done = _cli("serve", "--port", "5000")
    assert done.returncode == 2
    assert "--data-dir" in done.stderr
