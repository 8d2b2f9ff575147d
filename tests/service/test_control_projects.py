"""Projects are isolated: a token sees and changes only its own project's registries."""

from __future__ import annotations

import subprocess

from tests.support.paths import require_tool
from tests.support.service import RegistryService


def create_project_token(service: RegistryService, project: str, name: str = "ci") -> str:
    cmd = [
        require_tool("cloudraya-registry"), "token", "create",
        "--project", project, "--name", name, "--data-dir", str(service.data_dir),
    ]  # fmt: skip
    if service.database_url:
        cmd += ["--database-url", service.database_url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token and "\n" not in token
    return token


def test_other_projects_registries_are_invisible_and_untouchable(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("team-a-registry", storage_gb=20)
    other = create_project_token(control_service, "team-b")

    with control_service.api(token=other) as api:
        listed = api.get("/registries")
        read = api.get("/registries/team-a-registry")
        resize = api.put("/registries/team-a-registry/storage", json={"storage_gb": 30})
        reset = api.post("/registries/team-a-registry/password")
        delete = api.delete("/registries/team-a-registry?confirm=team-a-registry")
        audit = api.get("/registries/team-a-registry/audit")
        own = api.post("/registries", json={"name": "team-b-registry"})

    assert listed.json() == {"registries": []}
    for response in (read, resize, reset, delete, audit):
        assert response.status_code == 404, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert own.status_code == 201

    with control_service.api() as api:
        mine = api.get("/registries/team-a-registry").json()
        names = [r["name"] for r in api.get("/registries").json()["registries"]]
    assert mine["storage"]["total_gb"] == 20
    assert names == ["team-a-registry"]


def test_names_are_global_across_projects(control_service: RegistryService) -> None:
    control_service.create_registry("shared-name")
    other = create_project_token(control_service, "team-b")
    with control_service.api(token=other) as api:
        response = api.post("/registries", json={"name": "shared-name"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ALREADY_EXISTS"


def test_missing_or_unknown_token_is_401(control_service: RegistryService) -> None:
    with control_service.api(token="not-a-real-token") as api:
        wrong = api.get("/registries")
    with control_service.api() as api:
        api.headers.pop("Authorization")
        missing = api.get("/registries")
    for response in (wrong, missing):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
        assert response.headers["www-authenticate"] == "Bearer"
