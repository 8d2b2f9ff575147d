"""Registry settings: tag immutability and scan on push, partial updates, strict booleans."""

from __future__ import annotations

import pytest

from tests.support.service import RegistryService


def test_settings_default_to_off_and_change_independently(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        initial = api.get("/registries/dev-registry/settings")
        first = api.patch("/registries/dev-registry/settings", json={"tag_immutability": True})
        second = api.patch("/registries/dev-registry/settings", json={"scan_on_push": True})
        third = api.patch("/registries/dev-registry/settings", json={"tag_immutability": False})
        registry = api.get("/registries/dev-registry").json()
    assert initial.json() == {"tag_immutability": False, "scan_on_push": False}
    assert first.json() == {"tag_immutability": True, "scan_on_push": False}
    assert second.json() == {"tag_immutability": True, "scan_on_push": True}
    assert third.json() == {"tag_immutability": False, "scan_on_push": True}
    assert registry["settings"] == {"tag_immutability": False, "scan_on_push": True}


def test_empty_patch_changes_nothing(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        api.patch("/registries/dev-registry/settings", json={"scan_on_push": True})
        response = api.patch("/registries/dev-registry/settings", json={})
    assert response.status_code == 200
    assert response.json() == {"tag_immutability": False, "scan_on_push": True}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tag_immutability": "yes"}, "tag_immutability: must be true or false (got 'yes')"),
        ({"scan_on_push": 1}, "scan_on_push: must be true or false (got 1)"),
        ({"retention_days": 7}, "retention_days: unknown field; remove it"),
    ],
)
def test_malformed_settings_are_refused(
    control_service: RegistryService, body: dict, message: str
) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        response = api.patch("/registries/dev-registry/settings", json=body)
        after = api.get("/registries/dev-registry/settings").json()
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert after == {"tag_immutability": False, "scan_on_push": False}
