"""Password reset and verification; a reset cuts off the old password on the data plane."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.support.service import RegistryService

OLD_PASSWORD = "Old-Password-111"
NEW_PASSWORD = "New-Password-222"


def _v2_status(service: RegistryService, user: str, password: str) -> int:
    return httpx.get(f"{service.url}/v2/", auth=(user, password), timeout=30).status_code


def test_reset_with_given_password_cuts_off_the_old_one(control_service: RegistryService) -> None:
    created = control_service.create_registry("dev-registry", password=OLD_PASSWORD)
    assert _v2_status(control_service, "dev-registry", OLD_PASSWORD) == 200

    with control_service.api() as api:
        reset = api.post("/registries/dev-registry/password", json={"password": NEW_PASSWORD})
        old_valid = api.post(
            "/registries/dev-registry/password/verify", json={"password": OLD_PASSWORD}
        )
        new_valid = api.post(
            "/registries/dev-registry/password/verify", json={"password": NEW_PASSWORD}
        )
        registry = api.get("/registries/dev-registry").json()

    assert reset.status_code == 200
    body = reset.json()
    assert body["username"] == "dev-registry"
    assert body["password"] == NEW_PASSWORD
    assert registry["password_updated_at"] == body["password_updated_at"]
    assert dt.datetime.fromisoformat(body["password_updated_at"]) > dt.datetime.fromisoformat(
        created["password_updated_at"]
    )
    assert old_valid.json() == {"valid": False}
    assert new_valid.json() == {"valid": True}
    assert _v2_status(control_service, "dev-registry", OLD_PASSWORD) == 401
    assert _v2_status(control_service, "dev-registry", NEW_PASSWORD) == 200


def test_reset_without_body_generates_a_strong_password(control_service: RegistryService) -> None:
    created = control_service.create_registry("dev-registry")
    with control_service.api() as api:
        reset = api.post("/registries/dev-registry/password")
    assert reset.status_code == 200
    password = reset.json()["password"]
    assert password != created["password"]
    assert len(password) >= 12
    assert _v2_status(control_service, "dev-registry", created["password"]) == 401
    assert _v2_status(control_service, "dev-registry", password) == 200


def test_reset_invalidates_bearer_tokens_issued_before(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry", password=OLD_PASSWORD)
    token_response = httpx.get(
        f"{control_service.url}/auth/token",
        params={"service": control_service.host, "scope": "repository:dev-registry/app:pull"},
        auth=("dev-registry", OLD_PASSWORD),
        timeout=30,
    )
    assert token_response.status_code == 200, token_response.text
    body = token_response.json()
    token = body.get("token") or body["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{control_service.url}/v2/", headers=bearer).status_code == 200

    with control_service.api() as api:
        assert api.post("/registries/dev-registry/password").status_code == 200
    assert httpx.get(f"{control_service.url}/v2/", headers=bearer).status_code == 401


def test_weak_new_password_is_refused_and_the_old_one_keeps_working(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=OLD_PASSWORD)
    with control_service.api() as api:
        response = api.post("/registries/dev-registry/password", json={"password": "weakweakweak"})
    assert response.status_code == 400
    assert "at least three of" in response.json()["error"]["message"]
    assert "weakweakweak" not in response.text
    assert _v2_status(control_service, "dev-registry", OLD_PASSWORD) == 200


def test_verify_answers_false_for_a_wrong_password_and_404_for_an_unknown_registry(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=OLD_PASSWORD)
    with control_service.api() as api:
        wrong = api.post("/registries/dev-registry/password/verify", json={"password": "nope"})
        unknown = api.post("/registries/ghost-registry/password/verify", json={"password": "x"})
        missing = api.post("/registries/dev-registry/password/verify", json={})
    assert wrong.status_code == 200
    assert wrong.json() == {"valid": False}
    assert unknown.status_code == 404
    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == "password: is required"
