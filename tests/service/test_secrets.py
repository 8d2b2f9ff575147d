"""Secrets stay out of caches and out of other users' reach.

Regressions of issue 11: responses carrying a plaintext password had no Cache-Control:
no-store, and the SQLite database was created with the process umask (world-readable).
"""

from __future__ import annotations

import stat

import httpx

from tests.support.inprocess import InProcessService

SECRET_FIELDS = {"password", "token", "access_token"}
SECRET_ROUTES = {
    ("POST", "/api/v1/registries"),
    ("POST", "/api/v1/registries/{name}/password"),
    ("POST", "/api/v1/tokens"),
    ("POST", "/api/v1/registries/{name}/credentials"),
    ("POST", "/api/v1/registries/{name}/credentials/{credential}/rotate"),
}


def test_every_response_carrying_a_secret_says_no_store(service: InProcessService) -> None:
    created = httpx.post(
        f"{service.url}/api/v1/registries",
        json={"name": "dev-registry"},
        headers={"Authorization": f"Bearer {service.token}"},
    )
    with service.api() as api:
        reset = api.post("/registries/dev-registry/password")
        new_token = api.post("/tokens", json={"name": "ci"})
        scoped = api.post(
            "/registries/dev-registry/credentials", json={"name": "ci", "access": "pull"}
        )
        rotated = api.post("/registries/dev-registry/credentials/ci/rotate")
    token = httpx.get(
        f"{service.url}/auth/token", auth=("dev-registry", reset.json()["password"]), timeout=60
    )
    for response in (created, reset, new_token, scoped, rotated, token):
        assert response.status_code in (200, 201), response.text
        assert SECRET_FIELDS & set(response.json()), response.json()
        assert response.headers["cache-control"] == "no-store", response.request.url


def test_the_routes_checked_above_are_all_that_return_a_secret(service: InProcessService) -> None:
    """From the OpenAPI document: a new route answering with a secret field must be added to
    the check above (and say no-store)."""
    with service.api() as api:
        document = api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    secret_schemas = {
        name
        for name, schema in schemas.items()
        if SECRET_FIELDS & set(schema.get("properties", {}))
    }
    returning_secrets = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for response in operation.get("responses", {}).values()
        for media in response.get("content", {}).values()
        if media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] in secret_schemas
    }
    assert returning_secrets == SECRET_ROUTES


def test_database_and_token_files_are_private(service_factory, tmp_path) -> None:
    service = service_factory(data_dir=tmp_path / "data")
    service.create_registry("dev-registry")  # writes through the WAL
    service.stop()
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("registry.db", "registry.db-wal", "registry.db-shm", "token-signing.key"):
        path = data / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert (data / "registry.db").exists()
