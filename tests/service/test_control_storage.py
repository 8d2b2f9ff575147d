"""Storage resize: grow-only, in steps of 10 GB, effective immediately."""

from __future__ import annotations

import pytest

from tests.support.service import RegistryService


def test_storage_grows_and_the_new_size_is_read_back(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        resized = api.put("/registries/dev-registry/storage", json={"storage_gb": 50})
        read = api.get("/registries/dev-registry").json()
    assert resized.status_code == 200
    assert resized.json()["storage"]["total_gb"] == 50
    assert read["storage"]["total_gb"] == 50


def test_same_size_is_a_no_op(control_service: RegistryService) -> None:
    created = control_service.create_registry("dev-registry", storage_gb=20)
    with control_service.api() as api:
        response = api.put("/registries/dev-registry/storage", json={"storage_gb": 20})
    assert response.status_code == 200
    assert response.json()["storage"]["total_gb"] == 20
    assert response.json()["updated_at"] == created["updated_at"]


def test_shrinking_is_refused_naming_the_current_size(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry", storage_gb=20)
    with control_service.api() as api:
        response = api.put("/registries/dev-registry/storage", json={"storage_gb": 10})
        read = api.get("/registries/dev-registry").json()
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "FAILED_PRECONDITION"
    assert error["message"] == (
        "storage can only grow in steps of 10 GB: dev-registry has 20 GB; requested 10 GB"
    )
    assert error["details"] == {"current_gb": 20, "requested_gb": 10}
    assert read["storage"]["total_gb"] == 20


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"storage_gb": 25}, "storage_gb: must be a multiple of 10 (got 25)"),
        ({"storage_gb": "30"}, "storage_gb: must be an integer (got '30')"),
        ({"storage_gb": 30.0}, "storage_gb: must be an integer (got 30.0)"),
        ({}, "storage_gb: is required"),
        ({"storage_gb": 30, "tier": "fast"}, "tier: unknown field; remove it"),
    ],
)
def test_malformed_resize_is_refused_and_nothing_changes(
    control_service: RegistryService, body: dict, message: str
) -> None:
    control_service.create_registry("dev-registry", storage_gb=20)
    with control_service.api() as api:
        response = api.put("/registries/dev-registry/storage", json=body)
        read = api.get("/registries/dev-registry").json()
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert message in response.json()["error"]["message"]
    assert read["storage"]["total_gb"] == 20


def test_resizing_an_unknown_registry_is_404(control_service: RegistryService) -> None:
    with control_service.api() as api:
        response = api.put("/registries/ghost-registry/storage", json={"storage_gb": 20})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
