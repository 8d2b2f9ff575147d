"""Manifests: push/pull by tag and digest, validation, indexes, referrers, tags, statistics."""

from __future__ import annotations

import json
import time

from tests.service.oci_helpers import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    make_image,
    make_index,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
    sha256,
)
from tests.support.service import RegistryService

REPO = "dev-registry/team/app"


def test_image_pushed_by_tag_pulls_back_by_tag_and_digest(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    for media_type in (OCI_MANIFEST, DOCKER_MANIFEST):
        image = make_image(1234, 99, media_type=media_type)
        pushed = client.push_image(REPO, image, "v1")
        assert pushed.status_code == 201, pushed.text
        assert pushed.headers["Docker-Content-Digest"] == image.digest
        for reference in ("v1", image.digest):
            pulled = client.get_manifest(REPO, reference)
            assert pulled.status_code == 200
            assert pulled.content == image.manifest
            assert pulled.headers["Content-Type"] == media_type
            assert pulled.headers["Docker-Content-Digest"] == image.digest
            head = client.http.head(f"/v2/{REPO}/manifests/{reference}")
            assert head.status_code == 200
            assert int(head.headers["Content-Length"]) == len(image.manifest)
        for blob in (image.config, *image.layers):
            assert client.get_blob(REPO, sha256(blob)).content == blob


def test_index_needs_its_children_and_sums_their_sizes(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    amd64, arm64 = make_image(1000), make_image(2000)
    assert client.push_image(REPO, amd64).status_code == 201
    index = make_index(amd64, arm64)

    refused = client.put_manifest(REPO, "multi", index, OCI_INDEX)
    assert refused.status_code == 400
    assert oci_error_codes(refused) == ["MANIFEST_BLOB_UNKNOWN"]
    assert arm64.digest in oci_error_message(refused)
    assert client.get_manifest(REPO, "multi").status_code == 404

    assert client.push_image(REPO, arm64).status_code == 201
    assert client.put_manifest(REPO, "multi", index, OCI_INDEX).status_code == 201
    assert client.get_manifest(REPO, "multi").content == index

    with service.api() as api:
        artifacts = api.get("/registries/dev-registry/repositories/team/app/artifacts").json()
    by_digest = {a["digest"]: a for a in artifacts["artifacts"]}
    assert by_digest[sha256(index)]["size_bytes"] == amd64.total_size + arm64.total_size
    assert by_digest[sha256(index)]["tags"] == ["multi"]


def test_invalid_manifests_are_refused_with_clear_errors(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    image = make_image(100)
    for blob in (image.config, *image.layers):
        assert client.push_blob(REPO, blob).status_code == 201

    missing_layer = make_image(10)
    response = client.put_manifest(REPO, "v1", missing_layer.manifest)
    assert response.status_code == 400
    assert oci_error_codes(response) == ["MANIFEST_BLOB_UNKNOWN"]

    response = client.put_manifest(REPO, "v1", b"{not json")
    assert response.status_code == 400
    assert oci_error_codes(response) == ["MANIFEST_INVALID"]
    assert "JSON" in oci_error_message(response)

    response = client.put_manifest(REPO, "v1", json.dumps({"schemaVersion": 1}).encode())
    assert oci_error_codes(response) == ["MANIFEST_INVALID"]
    assert "schemaVersion" in oci_error_message(response)

    response = client.put_manifest(REPO, "v1", image.manifest, "application/x-custom+json")
    assert oci_error_codes(response) == ["MANIFEST_INVALID"]
    assert "does not match" in oci_error_message(response)

    untyped = json.loads(image.manifest)
    del untyped["mediaType"]
    response = client.put_manifest(
        REPO, "v1", json.dumps(untyped).encode(), "application/x-custom+json"
    )
    assert oci_error_codes(response) == ["MANIFEST_INVALID"]
    assert "not supported" in oci_error_message(response)

    wrong_digest = "sha256:" + "0" * 64
    response = client.put_manifest(REPO, wrong_digest, image.manifest)
    assert response.status_code == 400
    assert oci_error_codes(response) == ["DIGEST_INVALID"]

    oversized = json.dumps({"schemaVersion": 2, "pad": "x" * (4 * 1024 * 1024)}).encode()
    response = client.put_manifest(REPO, "big", oversized)
    assert response.status_code == 413
    assert "4194304" in oci_error_message(response)

    response = client.put_manifest(REPO, "bad..tag!", image.manifest)
    assert response.status_code == 400
    assert oci_error_codes(response) == ["MANIFEST_INVALID"]

    # Nothing was stored by any refused push; the good one still works.
    assert client.http.get(f"/v2/{REPO}/tags/list").json()["tags"] == []
    assert client.push_image(REPO, image, "v1").status_code == 201


def test_referrers_list_manifests_with_a_subject(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    subject = make_image(500)
    assert client.push_image(REPO, subject, "v1").status_code == 201
    subject_ref = (subject.digest, len(subject.manifest), OCI_MANIFEST)
    signature = make_image(20, subject=subject_ref, artifact_type="application/vnd.test.sig")
    sbom = make_image(30, subject=subject_ref, artifact_type="application/vnd.test.sbom")
    for artifact in (signature, sbom):
        pushed = client.push_image(REPO, artifact)
        assert pushed.status_code == 201
        assert pushed.headers["OCI-Subject"] == subject.digest

    listed = client.http.get(f"/v2/{REPO}/referrers/{subject.digest}")
    assert listed.status_code == 200
    assert listed.headers["Content-Type"] == OCI_INDEX
    assert "OCI-Filters-Applied" not in listed.headers
    found = {d["digest"]: d["artifactType"] for d in listed.json()["manifests"]}
    assert found == {
        signature.digest: "application/vnd.test.sig",
        sbom.digest: "application/vnd.test.sbom",
    }

    filtered = client.http.get(
        f"/v2/{REPO}/referrers/{subject.digest}",
        params={"artifactType": "application/vnd.test.sbom"},
    )
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [d["digest"] for d in filtered.json()["manifests"]] == [sbom.digest]

    nothing = client.http.get(f"/v2/{REPO}/referrers/{sha256(b'unknown')}")
    assert nothing.status_code == 200
    assert nothing.json()["manifests"] == []


def test_tags_list_pages_with_n_last_and_link(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    image = make_image(10)
    tags = sorted(f"v{i:02d}" for i in range(7))
    assert client.push_image(REPO, image, tags[0]).status_code == 201
    for tag in tags[1:]:
        assert client.put_manifest(REPO, tag, image.manifest).status_code == 201

    assert client.http.get(f"/v2/{REPO}/tags/list").json() == {"name": REPO, "tags": tags}
    collected: list[str] = []
    url = f"/v2/{REPO}/tags/list?n=3"
    while url:
        page = client.http.get(url)
        assert page.status_code == 200
        collected += page.json()["tags"]
        link = page.headers.get("Link")
        url = link.split(";")[0].strip("<>") if link else ""
    assert collected == tags
    after = client.http.get(f"/v2/{REPO}/tags/list", params={"n": 2, "last": "v03"})
    assert after.json()["tags"] == ["v04", "v05"]
    unknown = client.http.get("/v2/dev-registry/nothing-here/tags/list")
    assert unknown.status_code == 404
    assert oci_error_codes(unknown) == ["NAME_UNKNOWN"]


def test_pulls_are_counted_on_get_not_head(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    image = make_image(4000, 1000)
    assert client.push_image(REPO, image, "v1").status_code == 201
    with service.api() as api:
        before = api.get("/registries/dev-registry/repositories/team/app/artifacts").json()
    artifact = before["artifacts"][0]
    assert artifact["pull_count"] == 0
    assert artifact["last_pulled_at"] is None
    assert artifact["pushed_at"]
    assert artifact["size_bytes"] == image.total_size

    assert client.get_manifest(REPO, "v1").status_code == 200
    assert client.get_manifest(REPO, image.digest).status_code == 200
    assert client.http.head(f"/v2/{REPO}/manifests/v1").status_code == 200

    with service.api() as api:
        after = api.get("/registries/dev-registry/repositories/team/app/artifacts").json()
        repositories = api.get("/registries/dev-registry/repositories").json()
    assert after["artifacts"][0]["pull_count"] == 2
    assert after["artifacts"][0]["last_pulled_at"] is not None
    assert repositories["repositories"][0]["pull_count"] == 2


def test_deleting_by_digest_removes_manifest_and_tags(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    image = make_image(100)
    assert client.push_image(REPO, image, "v1").status_code == 201
    assert client.put_manifest(REPO, "latest", image.manifest).status_code == 201

    deleted = client.http.delete(f"/v2/{REPO}/manifests/{image.digest}")
    assert deleted.status_code == 202
    for reference in ("v1", "latest", image.digest):
        response = client.get_manifest(REPO, reference)
        assert response.status_code == 404
        assert oci_error_codes(response) == ["MANIFEST_UNKNOWN"]
    assert client.http.get(f"/v2/{REPO}/tags/list").json()["tags"] == []
    again = client.http.delete(f"/v2/{REPO}/manifests/{image.digest}")
    assert again.status_code == 404


def test_scan_on_push_queues_pushed_images(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    with service.api() as api:
        assert (
            api.patch("/registries/dev-registry/settings", json={"scan_on_push": True}).status_code
            == 200
        )
    image = make_image(100)
    assert client.push_image(REPO, image, "v1").status_code == 201

    deadline = time.monotonic() + 60
    status = "not_scanned"
    while status == "not_scanned" and time.monotonic() < deadline:
        with service.api() as api:
            artifacts = api.get("/registries/dev-registry/repositories/team/app/artifacts")
        status = artifacts.json()["artifacts"][0]["scan"]["status"]
        time.sleep(0.2)
    assert status in ("queued", "running", "done", "failed", "unsupported"), (
        "a push with scan_on_push on never reached the scanner (is scanning.mount wired in app.py?)"
    )


def test_concurrent_pushes_of_one_manifest_all_succeed(control_service: RegistryService) -> None:
    """On SQLite and PostgreSQL: racing pushes of the same manifest and tags never fail."""
    import concurrent.futures

    client = registry_with_client(control_service, "dev-registry")
    image = make_image(1000)
    for blob in (image.config, *image.layers):
        assert client.push_blob(REPO, blob).status_code == 201

    def push(i: int) -> int:
        return client.put_manifest(REPO, "v1" if i % 2 else f"t{i}", image.manifest).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(push, range(16)))
    assert statuses == [201] * 16
    assert client.get_manifest(REPO, "v1").content == image.manifest
    assert len(client.http.get(f"/v2/{REPO}/tags/list").json()["tags"]) == 9
