"""Immutability exclusions: tag globs that stay mutable while tag immutability is on."""

from __future__ import annotations

from tests.service.oci_helpers import make_image, oci_error_codes, registry_with_client
from tests.support.service import ServiceClient

REPO = "prod-registry/api"


def test_excluded_latest_moves_while_versions_stay_immutable(service: ServiceClient) -> None:
    client = registry_with_client(service, "prod-registry")
    first, second = make_image(100), make_image(200)
    assert client.push_image(REPO, first, "v1.0.0").status_code == 201
    assert client.push_image(REPO, first, "latest").status_code == 201
    with service.api() as api:
        response = api.patch(
            "/registries/prod-registry/settings",
            json={"tag_immutability": True, "tag_immutability_exclusions": ["latest", "dev-*"]},
        )
    assert response.status_code == 200
    assert response.json()["tag_immutability_exclusions"] == ["latest", "dev-*"]

    assert client.push_image(REPO, second, "latest").status_code == 201
    assert client.get_manifest(REPO, "latest").content == second.manifest
    moved = client.put_manifest(REPO, "v1.0.0", second.manifest)
    assert moved.status_code == 403
    assert oci_error_codes(moved) == ["DENIED"]
    assert client.get_manifest(REPO, "v1.0.0").content == first.manifest
    # An excluded tag may be deleted; an immutable one may not.
    assert client.http.delete(f"/v2/{REPO}/manifests/latest").status_code == 202
    assert client.http.delete(f"/v2/{REPO}/manifests/v1.0.0").status_code == 403


def test_exclusions_are_validated_and_cleared(service: ServiceClient) -> None:
    service.create_registry("prod-registry", password="Data-Plane-Pass-1")
    with service.api() as api:
        bad = api.patch(
            "/registries/prod-registry/settings",
            json={"tag_immutability_exclusions": ["latest", "no spaces"]},
        )
        api.patch(
            "/registries/prod-registry/settings", json={"tag_immutability_exclusions": ["dev-*"]}
        )
        cleared = api.patch(
            "/registries/prod-registry/settings", json={"tag_immutability_exclusions": []}
        )
    assert bad.status_code == 400
    assert "not a tag pattern" in bad.json()["error"]["message"]
    assert cleared.json()["tag_immutability_exclusions"] == []
