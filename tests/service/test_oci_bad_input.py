"""Malformed data-plane requests get a 4xx OCI error that says what is wrong, never a 500."""

from __future__ import annotations

import base64
import http.client
import json
import os

from tests.service.oci_helpers import (
    PASSWORD,
    make_image,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
    sha256,
)
from tests.support.service import RegistryService

REPO = "dev-registry/app"


def _raw_get(service: RegistryService, path: str) -> tuple[int, str]:
    """GET a path exactly as written (clients would normalise ``..`` away)."""
    credentials = base64.b64encode(f"dev-registry:{PASSWORD}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Basic {credentials}"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_invalid_repository_names_are_refused(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    for name in ("dev-registry/MyApp", "dev-registry/a__-b", "dev-registry/app/", "dev-registry"):
        response = client.http.get(f"/v2/{name}/tags/list")
        assert response.status_code == 400, name
        assert oci_error_codes(response) == ["NAME_INVALID"], name
        assert "repository name" in oci_error_message(response)

    status, body = _raw_get(service, "/v2/dev-registry/../other-registry/app/tags/list")
    assert status == 400
    assert "NAME_INVALID" in body

    long_name = "dev-registry/" + "a" * 300
    response = client.http.get(f"/v2/{long_name}/tags/list")
    assert response.status_code == 400
    assert "255" in oci_error_message(response)


def test_bad_digests_are_refused(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    for digest in ("sha256:xyz", "sha256:" + "A" * 64, "md5:" + "0" * 32, "nocolon"):
        response = client.http.head(f"/v2/{REPO}/blobs/{digest}")
        assert response.status_code in (400, 404), digest
        response = client.http.get(f"/v2/{REPO}/blobs/{digest}")
        if ":" in digest:
            assert response.status_code == 400, digest
            assert oci_error_codes(response) == ["DIGEST_INVALID"], digest

    data = os.urandom(1000)
    wrong = client.http.post(
        f"/v2/{REPO}/blobs/uploads/", params={"digest": sha256(b"other")}, content=data
    )
    assert wrong.status_code == 400
    assert oci_error_codes(wrong) == ["DIGEST_INVALID"]
    assert sha256(data) in oci_error_message(wrong)
    assert client.http.head(f"/v2/{REPO}/blobs/{sha256(data)}").status_code == 404
    assert client.http.head(f"/v2/{REPO}/blobs/{sha256(b'other')}").status_code == 404

    location = client.start_upload(REPO).headers["Location"]
    assert client.http.patch(location, content=data).status_code == 202
    missing = client.http.put(location)
    assert missing.status_code == 400
    assert oci_error_codes(missing) == ["DIGEST_INVALID"]
    mismatch = client.http.put(location, params={"digest": sha256(b"not it")})
    assert mismatch.status_code == 400
    assert oci_error_codes(mismatch) == ["DIGEST_INVALID"]
    assert client.http.head(f"/v2/{REPO}/blobs/{sha256(data)}").status_code == 404


def test_bad_uploads_and_ranges_are_refused(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    location = client.start_upload(REPO).headers["Location"]

    for content_range in ("abc", "10-5", "bytes=x-y"):
        response = client.http.patch(
            location, content=b"0123456789", headers={"Content-Range": content_range}
        )
        assert response.status_code in (400, 416), content_range
        assert oci_error_codes(response)[0] in ("BLOB_UPLOAD_INVALID", "SIZE_INVALID")
    assert client.http.get(location).headers["Range"] == "0-0"

    mismatch = client.http.patch(location, content=b"0123456789", headers={"Content-Range": "0-99"})
    assert mismatch.status_code == 400
    assert oci_error_codes(mismatch) == ["SIZE_INVALID"]

    body_without_digest = client.http.post(f"/v2/{REPO}/blobs/uploads/", content=b"data")
    assert body_without_digest.status_code == 400
    assert "digest" in oci_error_message(body_without_digest)

    unknown = f"/v2/{REPO}/blobs/uploads/NoSuchUploadSession00000000"
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        response = client.http.request(
            method, unknown, params={"digest": sha256(b"")} if method == "PUT" else None
        )
        assert response.status_code == 404, method
        assert oci_error_codes(response) == ["BLOB_UPLOAD_UNKNOWN"], method

    # An upload belongs to its repository.
    upload_id = location.rsplit("/", 1)[1]
    elsewhere = client.http.get(f"/v2/dev-registry/elsewhere/blobs/uploads/{upload_id}")
    assert elsewhere.status_code == 404

    cancelled = client.http.delete(location)
    assert cancelled.status_code == 204
    assert client.http.get(location).status_code == 404


def test_unknown_endpoints_methods_and_parameters(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    unknown = client.http.get(f"/v2/{REPO}/nonsense")
    assert unknown.status_code == 404
    assert oci_error_codes(unknown)

    wrong_method = client.http.post(f"/v2/{REPO}/tags/list")
    assert wrong_method.status_code == 405
    assert oci_error_codes(wrong_method) == ["UNSUPPORTED"]

    bad_n = client.http.get(f"/v2/{REPO}/tags/list", params={"n": "many"})
    assert bad_n.status_code == 400
    assert "n=" in oci_error_message(bad_n)

    missing_manifest = client.get_manifest(REPO, "nope")
    assert missing_manifest.status_code == 404
    assert oci_error_codes(missing_manifest) in (["NAME_UNKNOWN"], ["MANIFEST_UNKNOWN"])


def test_no_request_above_produced_a_server_error(service: RegistryService) -> None:
    """A mixed burst of bad requests leaves no error in the service log."""
    client = registry_with_client(service, "dev-registry")
    client.http.put(f"/v2/{REPO}/manifests/v1", content=b"\x00\xff garbage")
    client.http.put(f"/v2/{REPO}/manifests/v1", content=b"[]")
    client.http.put(f"/v2/{REPO}/manifests/v1", content=b'{"schemaVersion": 2, "config": 5}')
    client.http.put(
        f"/v2/{REPO}/manifests/v1",
        content=b'{"schemaVersion": 2, "layers": [], "config": {"digest": "x", "size": -1}}',
    )
    client.http.get(f"/v2/{REPO}/referrers/sha256:zz")
    client.http.get(f"/v2/{REPO}/blobs/{sha256(b'x')}", headers={"Range": "bytes=9-1"})
    client.http.get("/v2/_catalog", params={"n": "-1"})
    assert '"level": "error"' not in service.log_text()
    assert '"status": 500' not in service.log_text()


HUGE = "9" * 5000


def test_huge_numbers_anywhere_are_refused_as_the_client_error(service: RegistryService) -> None:
    """Regression: 5,000-digit numbers in n=, Content-Range, Range and manifest sizes of 2^63
    and more gave 500 (Python will not parse them; the database cannot hold them)."""
    client = registry_with_client(service, "dev-registry")
    image = make_image(100)
    assert client.push_image(REPO, image, "v1").status_code == 201
    layer = sha256(image.layers[0])

    tags = client.http.get(f"/v2/{REPO}/tags/list", params={"n": HUGE})
    assert tags.status_code == 200  # a page size past the maximum is the maximum
    catalog = client.http.get("/v2/_catalog", params={"n": HUGE, "last": "x" * 5000})
    assert catalog.status_code == 400
    ranged = client.get_blob(REPO, layer, headers={"Range": f"bytes=0-{HUGE}"})
    assert ranged.status_code == 416
    assert oci_error_codes(ranged) == ["SIZE_INVALID"]
    ranged = client.get_blob(REPO, layer, headers={"Range": f"bytes={2**63}-"})
    assert ranged.status_code == 416

    location = client.start_upload(REPO).headers["Location"]
    chunk = client.http.patch(location, content=b"abc", headers={"Content-Range": f"0-{HUGE}"})
    assert chunk.status_code == 400
    assert oci_error_codes(chunk) == ["BLOB_UPLOAD_INVALID"]

    too_big = json.loads(image.manifest)
    too_big["layers"][0]["size"] = 2**63
    response = client.put_manifest(REPO, "huge", json.dumps(too_big).encode())
    assert response.status_code == 400
    assert oci_error_codes(response) == ["MANIFEST_INVALID"]
    assert "below 2^63" in oci_error_message(response)
    assert '"status": 500' not in service.log_text()


def test_huge_content_length_headers_are_refused(service: RegistryService) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    credentials = base64.b64encode(f"dev-registry:{PASSWORD}".encode()).decode()
    for method, path in (
        ("PUT", f"/v2/{REPO}/manifests/v1"),
        ("POST", f"/v2/{REPO}/blobs/uploads/?digest={sha256(b'x')}"),
        ("POST", "/api/v1/registries"),
    ):
        connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        try:
            connection.putrequest(method, path)
            connection.putheader("Authorization", f"Basic {credentials}")
            connection.putheader("Content-Length", "1" + "0" * 40)
            connection.endheaders()
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert 400 <= response.status < 500, (method, path, response.status)


def test_tags_follow_the_grammar_on_the_raw_path_and_in_the_query(service: RegistryService) -> None:
    """Regression: ?tag=v1%0A stored a tag "v1\\n" nobody could delete ($ matched before it)."""
    client = registry_with_client(service, "dev-registry")
    image = make_image(10)
    for blob in (image.config, *image.layers):
        assert client.push_blob(REPO, blob).status_code == 201
    credentials = base64.b64encode(f"dev-registry:{PASSWORD}".encode()).decode()
    for path in (
        f"/v2/{REPO}/manifests/{image.digest}?tag=v1%0A",
        f"/v2/{REPO}/manifests/v1%0A",
        f"/v2/{REPO}/manifests/v1%2Fx",
    ):
        connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        try:
            connection.request(
                "PUT",
                path,
                body=image.manifest,
                headers={
                    "Authorization": f"Basic {credentials}",
                    "Content-Type": image.media_type,
                },
            )
            response = connection.getresponse()
            body = response.read().decode()
        finally:
            connection.close()
        assert response.status == 400, (path, body)
        assert "MANIFEST_INVALID" in body or "NAME_INVALID" in body, (path, body)
    assert client.http.get(f"/v2/{REPO}/tags/list").json().get("tags") in (None, [])
