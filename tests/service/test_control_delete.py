"""Deleting a registry: typed-name confirmation, then everything of it is gone."""

from __future__ import annotations

import httpx
import pytest

from tests.support.service import RegistryService

PASSWORD = "Delete-Me-Pass-1"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "INVALID_ARGUMENT"),
        ("?confirm=", "INVALID_ARGUMENT"),
        ("?confirm=dev", "FAILED_PRECONDITION"),
        ("?confirm=DEV-REGISTRY", "FAILED_PRECONDITION"),
        ("?confirm=dev-registry%20", "FAILED_PRECONDITION"),
        ("?confirm=prod-registry", "FAILED_PRECONDITION"),
    ],
)
def test_delete_without_the_exact_name_is_refused_and_nothing_is_lost(
    control_service: RegistryService, query: str, code: str
) -> None:
    control_service.create_registry("dev-registry", password=PASSWORD, storage_gb=30)
    control_service.create_registry("prod-registry")
    with control_service.api() as api:
        response = api.delete(f"/registries/dev-registry{query}")
        still = api.get("/registries/dev-registry")
        verdict = api.post("/registries/dev-registry/password/verify", json={"password": PASSWORD})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith("confirm")
    assert "registry" in error["message"]
    assert still.status_code == 200
    assert still.json()["storage"]["total_gb"] == 30
    assert verdict.json() == {"valid": True}


def test_delete_with_confirmation_removes_the_registry_and_its_credential(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=PASSWORD)
    control_service.create_registry("prod-registry")
    assert (
        httpx.get(f"{control_service.url}/v2/", auth=("dev-registry", PASSWORD)).status_code == 200
    )

    with control_service.api() as api:
        response = api.delete("/registries/dev-registry", params={"confirm": "dev-registry"})
        gone = api.get("/registries/dev-registry")
        listed = [r["name"] for r in api.get("/registries").json()["registries"]]
        again = api.delete("/registries/dev-registry", params={"confirm": "dev-registry"})
    assert response.status_code == 204
    assert response.content == b""
    assert gone.status_code == 404
    assert listed == ["prod-registry"]
    assert again.status_code == 404
    assert (
        httpx.get(f"{control_service.url}/v2/", auth=("dev-registry", PASSWORD)).status_code == 401
    )


def test_name_is_free_again_after_deletion(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry", storage_gb=40)
    with control_service.api() as api:
        assert api.delete("/registries/dev-registry?confirm=dev-registry").status_code == 204
    recreated = control_service.create_registry("dev-registry")
    assert recreated["storage"]["total_gb"] == 10
