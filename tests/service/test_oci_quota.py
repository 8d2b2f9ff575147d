"""Storage quota on the push path.

Registry sizes come in steps of 10 GB, far too large to fill in a test. The service reads
``CLOUDRAYA_STORAGE_UNIT_BYTES`` to scale its "GB" down, so a 10 GB registry holds
10 x 100 kB here and every path (early refusal, streaming refusal, refusal at completion,
shared blobs, growth) is exercised with real bytes. One test also checks the real unit: a
body announced as 11 GiB is refused from its headers alone.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import time
from collections.abc import Iterator

import pytest

from tests.service.oci_helpers import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    PASSWORD,
    OciClient,
    oci_error_codes,
    oci_error_message,
    sha256,
)
from tests.support.replicas import ReplicaSet
from tests.support.service import RegistryService, ServiceClient

UNIT = 100_000  # bytes per "GB" in these tests
CAPACITY = 10 * UNIT
REPO = "small-registry/app"


@pytest.fixture(scope="module")
def small_unit_replicas(
    postgres_server, seaweed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReplicaSet]:
    """Two replicas on PostgreSQL and S3 behind a load balancer, with the small "GB"."""
    replicas = ReplicaSet(
        tmp_path_factory.mktemp("quota-replicas"),
        database_url=postgres_server.new_database(migrated=False),
        weed=seaweed,
        env={"CLOUDRAYA_STORAGE_UNIT_BYTES": str(UNIT)},
    )
    try:
        yield replicas.start()
    finally:
        replicas.stop()


@pytest.fixture(params=["sqlite", "postgresql", "replicas"])
def small_service(request: pytest.FixtureRequest, service_factory) -> ServiceClient:
    """A service with the small "GB": embedded on SQLite or PostgreSQL, or replicas."""
    if request.param == "replicas":
        replicas = request.getfixturevalue("small_unit_replicas")
        replicas.reset()
        return replicas
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_server").new_database()
    return service_factory(
        env={"CLOUDRAYA_STORAGE_UNIT_BYTES": str(UNIT)}, database_url=database_url
    )


def _small_registry(service: ServiceClient) -> tuple[ServiceClient, OciClient]:
    """A 10 "GB" registry of 1 MB on the deployment under test."""
    service.create_registry("small-registry", password=PASSWORD, storage_gb=10)
    return service, OciClient(service, "small-registry")


def _used_bytes(service: RegistryService) -> int:
    with service.api() as api:
        return api.get("/registries/small-registry").json()["storage"]["used_bytes"]


def test_upload_past_the_quota_is_refused_before_it_is_stored(small_service: ServiceClient) -> None:
    service, client = _small_registry(small_service)
    kept = os.urandom(600_000)
    assert client.push_blob(REPO, kept).status_code == 201

    # Announced length too large: refused up front, naming used and total bytes.
    too_big = os.urandom(500_000)
    refused = client.push_blob(REPO, too_big)
    assert refused.status_code == 403
    assert oci_error_codes(refused) == ["DENIED"]
    message = oci_error_message(refused)
    assert "600000" in message and str(CAPACITY) in message
    assert client.http.head(f"/v2/{REPO}/blobs/{sha256(too_big)}").status_code == 404

    # Streamed without a length (chunked encoding): refused once it passes the quota,
    # and the upload keeps only what it had before that request.
    location = client.start_upload(REPO).headers["Location"]

    def stream() -> Iterator[bytes]:
        for _ in range(10):
            yield os.urandom(50_000)

    streamed = client.http.patch(location, content=stream())
    assert streamed.status_code == 403
    assert oci_error_codes(streamed) == ["DENIED"]
    assert client.http.get(location).headers["Range"] == "0-0"

    assert _used_bytes(service) == len(kept)


def test_an_unfinished_upload_holds_its_room_and_is_not_charged_twice(
    small_service: ServiceClient,
) -> None:
    service, client = _small_registry(small_service)
    assert client.push_blob(REPO, os.urandom(600_000)).status_code == 201

    pending = os.urandom(300_000)
    location = client.start_upload(REPO).headers["Location"]
    patched = client.http.patch(location, content=pending)
    assert patched.status_code == 202  # fits when sent: 900 kB of 1 MB

    # The unfinished upload's 300 kB count: 200 kB more no longer fit.
    other = os.urandom(200_000)
    refused = client.push_blob("small-registry/other", other)
    assert refused.status_code == 403
    assert oci_error_codes(refused) == ["DENIED"]
    assert "900000" in oci_error_message(refused)
    assert "300000 of them in unfinished uploads" in oci_error_message(refused)

    # Finishing it does not charge its bytes a second time.
    finished = client.http.put(patched.headers["Location"], params={"digest": sha256(pending)})
    assert finished.status_code == 201, finished.text
    assert _used_bytes(service) == 900_000
    assert client.push_blob("small-registry/other", os.urandom(100_000)).status_code == 201
    assert client.push_blob("small-registry/other", os.urandom(1)).status_code == 403


def test_shared_blobs_count_once_and_growing_storage_makes_room(
    small_service: ServiceClient,
) -> None:
    service, client = _small_registry(small_service)
    shared = os.urandom(700_000)
    assert client.push_blob(REPO, shared).status_code == 201
    # The same content in another repository of the registry costs nothing more.
    assert client.push_blob("small-registry/copy", shared).status_code == 201
    assert _used_bytes(service) == len(shared)

    extra = os.urandom(400_000)
    assert client.push_blob(REPO, extra).status_code == 403
    with service.api() as api:
        grown = api.put("/registries/small-registry/storage", json={"storage_gb": 20})
    assert grown.status_code == 200
    assert client.push_blob(REPO, extra).status_code == 201
    assert client.get_blob(REPO, sha256(extra)).content == extra
    assert _used_bytes(service) == len(shared) + len(extra)


def test_real_size_quota_refuses_an_announced_11_gib_upload(service: RegistryService) -> None:
    service.create_registry("dev-registry", password=PASSWORD)
    credentials = base64.b64encode(f"dev-registry:{PASSWORD}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
    try:
        connection.putrequest("POST", f"/v2/dev-registry/huge/blobs/uploads/?digest={sha256(b'x')}")
        connection.putheader("Authorization", f"Basic {credentials}")
        connection.putheader("Content-Length", str(11 * 1024**3))
        connection.endheaders()  # the body is never sent: the headers must be enough
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 403
    assert "DENIED" in body
    assert str(10 * 1024**3) in body


def _manifest_of_repeated_layer(config: bytes, layer: bytes, repeats: int, label: str) -> bytes:
    """A legal manifest that lists the same layer ``repeats`` times (hundreds of kB)."""
    descriptor = {"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer)}
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [descriptor] * repeats,
            "annotations": {"label": label},
        }
    ).encode()


def test_manifests_count_toward_the_quota(small_service: ServiceClient) -> None:
    service, client = _small_registry(small_service)
    config, layer = b'{"os": "linux"}', b"layer"
    assert client.push_blob(REPO, config).status_code == 201
    assert client.push_blob(REPO, layer).status_code == 201
    statuses = []
    for i in range(5):
        manifest = _manifest_of_repeated_layer(config, layer, 2000, f"m{i}")
        assert 250_000 < len(manifest) < 320_000
        statuses.append(client.put_manifest(REPO, f"v{i}", manifest).status_code)
    assert statuses == [201, 201, 201, 403, 403]
    refused = client.put_manifest(REPO, "v9", _manifest_of_repeated_layer(config, layer, 2000, "x"))
    assert oci_error_codes(refused) == ["DENIED"]
    assert "manifest does not fit" in oci_error_message(refused)
    assert _used_bytes(service) <= CAPACITY
    # Pushing a manifest the registry holds (another tag) costs nothing.
    held = _manifest_of_repeated_layer(config, layer, 2000, "m0")
    assert client.put_manifest(REPO, "again", held).status_code == 201


def test_unfinished_uploads_count_and_are_capped_per_registry(
    service_factory, database_url_factory
) -> None:
    service = service_factory(
        env={"CLOUDRAYA_STORAGE_UNIT_BYTES": str(UNIT)},
        extra_args=["--max-open-uploads", "4"],
        database_url=database_url_factory(),
    )
    service.create_registry("small-registry", password=PASSWORD, storage_gb=10)
    client = OciClient(service, "small-registry")
    sessions = [client.start_upload(REPO) for _ in range(4)]
    assert [s.status_code for s in sessions] == [202] * 4
    fifth = client.start_upload(REPO)
    assert fifth.status_code == 403
    assert oci_error_codes(fifth) == ["DENIED"]
    assert "4 unfinished uploads" in oci_error_message(fifth)
    # The refused session left no data behind.
    assert len(list((service.data_dir / "blobs" / "_uploads").iterdir())) == 4

    # Bytes received by sessions count: 3 x 300 kB are in, the fourth 300 kB does not fit.
    locations = [s.headers["Location"] for s in sessions]
    accepted = 0
    for location in locations:
        response = client.http.patch(location, content=os.urandom(300_000))
        if response.status_code == 202:
            accepted += 300_000
        else:
            assert response.status_code == 403, response.text
            assert "unfinished uploads" in oci_error_message(response)
    assert accepted == 900_000
    with service.api() as api:
        assert api.get("/registries/small-registry").json()["storage"]["used_bytes"] == 0
    # Finishing one does not count its bytes twice; cancelling one frees a session slot.
    data = os.urandom(300_000)
    assert client.http.delete(locations[3]).status_code == 204
    location = client.start_upload(REPO).headers["Location"]
    done = client.http.put(location, params={"digest": sha256(data)}, content=data)
    assert done.status_code == 403  # 900 kB unfinished + 300 kB > 1 MB
    assert client.http.delete(locations[2]).status_code == 204
    location = client.start_upload(REPO).headers["Location"]
    assert (
        client.http.put(location, params={"digest": sha256(data)}, content=data).status_code == 201
    )


def test_stale_uploads_expire_and_their_data_is_collected(service_factory) -> None:
    service = service_factory(
        env={"CLOUDRAYA_STORAGE_UNIT_BYTES": str(UNIT)}, extra_args=["--upload-expiry", "2s"]
    )
    service.create_registry("small-registry", password=PASSWORD, storage_gb=10)
    client = OciClient(service, "small-registry")
    location = client.start_upload(REPO).headers["Location"]
    assert client.http.patch(location, content=os.urandom(900_000)).status_code == 202
    upload_file = service.data_dir / "blobs" / "_uploads" / location.rsplit("/", 1)[1]
    assert upload_file.exists()
    # While it is unfinished its 900 kB leave no room for 200 kB more.
    assert client.push_blob(REPO, os.urandom(200_000)).status_code == 403

    deadline = time.monotonic() + 30
    while upload_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not upload_file.exists(), "the expired upload's data was not collected"
    status = client.http.get(location)
    assert status.status_code == 404
    assert oci_error_codes(status) == ["BLOB_UPLOAD_UNKNOWN"]
    assert client.push_blob(REPO, os.urandom(200_000)).status_code == 201
