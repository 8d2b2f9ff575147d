"""Tag immutability on the data plane: tags cannot move or disappear while it is on."""

from __future__ import annotations

import pytest

from tests.service.oci_helpers import (
    OCI_INDEX,
    make_image,
    make_index,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
    sha256,
)
from tests.support.service import RegistryService, ServiceClient

REPO = "prod-registry/api"


@pytest.fixture
def service(deployment: ServiceClient) -> ServiceClient:
    """Every test here runs embedded and on replicas behind a load balancer (``deployment``)."""
    return deployment


def _set_immutability(service: RegistryService, on: bool) -> None:
    with service.api() as api:
        response = api.patch("/registries/prod-registry/settings", json={"tag_immutability": on})
    assert response.status_code == 200, response.text


def test_immutable_tags_cannot_move_or_be_deleted(service: RegistryService) -> None:
    client = registry_with_client(service, "prod-registry")
    first, second = make_image(100), make_image(200)
    assert client.push_image(REPO, first, "v1.0.0").status_code == 201
    assert client.push_image(REPO, second).status_code == 201  # untagged, by digest
    _set_immutability(service, True)

    moved = client.put_manifest(REPO, "v1.0.0", second.manifest)
    assert moved.status_code == 403
    assert oci_error_codes(moved) == ["DENIED"]
    assert "v1.0.0" in oci_error_message(moved)
    assert "immutab" in oci_error_message(moved)

    # Re-pushing the identical manifest under the same tag is fine.
    assert client.put_manifest(REPO, "v1.0.0", first.manifest).status_code == 201
    # New tags can still be created.
    assert client.put_manifest(REPO, "v1.0.1", second.manifest).status_code == 201

    tag_delete = client.http.delete(f"/v2/{REPO}/manifests/v1.0.0")
    assert tag_delete.status_code == 403
    assert "v1.0.0" in oci_error_message(tag_delete)

    digest_delete = client.http.delete(f"/v2/{REPO}/manifests/{first.digest}")
    assert digest_delete.status_code == 403
    assert oci_error_codes(digest_delete) == ["DENIED"]
    assert "v1.0.0" in oci_error_message(digest_delete)

    assert client.get_manifest(REPO, "v1.0.0").content == first.manifest
    assert client.get_manifest(REPO, "v1.0.1").content == second.manifest


def test_turning_immutability_off_allows_moving_tags_again(service: RegistryService) -> None:
    client = registry_with_client(service, "prod-registry")
    first, second = make_image(100), make_image(200)
    assert client.push_image(REPO, first, "latest").status_code == 201
    _set_immutability(service, True)
    assert client.push_image(REPO, second, "latest").status_code == 403
    _set_immutability(service, False)

    assert client.push_image(REPO, second, "latest").status_code == 201
    assert client.get_manifest(REPO, "latest").content == second.manifest
    assert client.http.delete(f"/v2/{REPO}/manifests/latest").status_code == 202
    assert client.get_manifest(REPO, "latest").status_code == 404
    # Deleting the tag left the manifest itself reachable by digest.
    assert client.get_manifest(REPO, second.digest).status_code == 200


def test_platform_manifest_of_an_immutable_index_cannot_be_deleted(
    service: RegistryService,
) -> None:
    client = registry_with_client(service, "prod-registry")
    amd64, arm64 = make_image(100), make_image(100)
    for image in (amd64, arm64):
        assert client.push_image(REPO, image).status_code == 201
    index = make_index(amd64, arm64)
    assert client.put_manifest(REPO, "v2.0.0", index, OCI_INDEX).status_code == 201
    _set_immutability(service, True)

    refused = client.http.delete(f"/v2/{REPO}/manifests/{arm64.digest}")
    assert refused.status_code == 403
    assert "v2.0.0" in oci_error_message(refused)
    assert client.get_manifest(REPO, arm64.digest).status_code == 200


def test_blobs_of_an_immutably_tagged_image_cannot_be_unlinked(service: RegistryService) -> None:
    """Regression: with immutability on, deleting a layer of a tagged image succeeded and the
    tag no longer pulled."""
    client = registry_with_client(service, "prod-registry")
    kept, loose = make_image(2000, 300), make_image(500)
    assert client.push_image(REPO, kept, "v1").status_code == 201
    assert client.push_image(REPO, loose).status_code == 201  # untagged
    _set_immutability(service, True)

    for blob in (kept.config, *kept.layers):
        refused = client.http.delete(f"/v2/{REPO}/blobs/{sha256(blob)}")
        assert refused.status_code == 403, refused.text
        assert oci_error_codes(refused) == ["DENIED"]
        assert "'v1'" in oci_error_message(refused)
    assert client.http.delete(f"/v2/{REPO}/blobs/{kept.digest}").status_code == 403
    # The tag still pulls, every byte of it.
    assert client.get_manifest(REPO, "v1").content == kept.manifest
    for blob in (kept.config, *kept.layers):
        assert client.get_blob(REPO, sha256(blob)).content == blob
    # What no tag needs can go.
    assert client.http.delete(f"/v2/{REPO}/blobs/{sha256(loose.layers[0])}").status_code == 202
