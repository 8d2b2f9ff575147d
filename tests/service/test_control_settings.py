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
    assert initial.json() == {
        "tag_immutability": False,
        "scan_on_push": False,
        "tag_immutability_exclusions": [],
    }
    assert first.json() == {
        "tag_immutability": True,
        "scan_on_push": False,
        "tag_immutability_exclusions": [],
    }
    assert second.json() == {
        "tag_immutability": True,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }
    assert third.json() == {
        "tag_immutability": False,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }
    assert registry["settings"] == {
        "tag_immutability": False,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }


def test_empty_patch_changes_nothing(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        api.patch("/registries/dev-registry/settings", json={"scan_on_push": True})
        response = api.patch("/registries/dev-registry/settings", json={})
    assert response.status_code == 200
    assert response.json() == {
        "tag_immutability": False,
        "scan_on_push": True,
        "tag_immutability_exclusions": [],
    }


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
    assert after == {
        "tag_immutability": False,
        "scan_on_push": False,
        "tag_immutability_exclusions": [],
    }


def test_tag_immutability_applies_to_the_next_push_at_once(
    control_service: RegistryService,
) -> None:
    from tests.service.test_control_repositories import OCI_MANIFEST, Pusher

    control_service.create_registry("dev-registry", password="Settings-Pass-12")
    pusher = Pusher(control_service, "dev-registry", "Settings-Pass-12")
    first = pusher.image("my-app", "v1")
    with control_service.api() as api:
        api.patch("/registries/dev-registry/settings", json={"tag_immutability": True})
    second = pusher.image("my-app", "by-digest-only")  # a new image under another tag
    moved = pusher.client.put(
        "/v2/dev-registry/my-app/manifests/v1",
        content=pusher.client.get(
            f"/v2/dev-registry/my-app/manifests/{second['digest']}",
            headers={"Accept": OCI_MANIFEST},
        ).content,
        headers={"Content-Type": OCI_MANIFEST},
    )
    current = pusher.client.head(
        "/v2/dev-registry/my-app/manifests/v1", headers={"Accept": OCI_MANIFEST}
    )
    with control_service.api() as api:
        api.patch("/registries/dev-registry/settings", json={"tag_immutability": False})
    pusher.manifest(
        "my-app",
        "v1",
        pusher.client.get(
            f"/v2/dev-registry/my-app/manifests/{second['digest']}",
            headers={"Accept": OCI_MANIFEST},
        ).json(),
        OCI_MANIFEST,
    )
    after = pusher.client.head(
        "/v2/dev-registry/my-app/manifests/v1", headers={"Accept": OCI_MANIFEST}
    )
    pusher.close()

    assert 400 <= moved.status_code < 500, moved.text
    assert current.headers["docker-content-digest"] == first["digest"]
    assert after.headers["docker-content-digest"] == second["digest"]
