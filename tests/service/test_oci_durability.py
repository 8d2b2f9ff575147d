"""Crash safety and restarts: no partial blob is ever visible, uploads resume, data survives."""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.service.oci_helpers import OciClient, make_image, registry_with_client, sha256
from tests.support.objectstore import fresh_s3_url, s3_environ
from tests.support.service import RegistryService, ServiceClient

REPO = "dev-registry/big"


@pytest.fixture
def service(deployment: ServiceClient) -> ServiceClient:
    """Embedded, and replicas over PostgreSQL and S3 behind a load balancer (``deployment``)."""
    return deployment


@pytest.fixture(params=["embedded", "s3-postgresql"])
def process_service(
    request: pytest.FixtureRequest, process_service_factory: Callable[..., RegistryService]
) -> RegistryService:
    """One `serve` process (for kill -9 and its memory): embedded, or on PostgreSQL and S3."""
    if request.param == "embedded":
        return process_service_factory()
    weed = request.getfixturevalue("seaweed")
    return process_service_factory(
        database_url=request.getfixturevalue("postgres_server").new_database(),
        extra_args=["--storage-url", fresh_s3_url(weed)],
        env=s3_environ(weed),
    )


CHUNK = 1024 * 1024
LARGE_CHUNKS = 300  # 300 MiB streamed


def _chunk(seed: int, index: int) -> bytes:
    return random.Random(seed * 1_000_003 + index).randbytes(CHUNK)


def _digest_of(seed: int, count: int) -> str:
    hasher = hashlib.sha256()
    for index in range(count):
        hasher.update(_chunk(seed, index))
    return "sha256:" + hasher.hexdigest()


def _stream(
    seed: int, start: int, count: int, sent: threading.Event | None = None, after: int = 0
) -> Iterator[bytes]:
    for index in range(start, count):
        if sent is not None and index - start == after:
            sent.set()
        yield _chunk(seed, index)


def _pull_and_verify(client: OciClient, name: str, reference: str, digest: str) -> None:
    manifest = client.get_manifest(name, reference)
    assert manifest.status_code == 200
    assert sha256(manifest.content) == digest
    document = manifest.json()
    for descriptor in [document["config"], *document["layers"]]:
        hasher = hashlib.sha256()
        size = 0
        with client.http.stream("GET", f"/v2/{name}/blobs/{descriptor['digest']}") as response:
            assert response.status_code == 200
            for block in response.iter_bytes():
                hasher.update(block)
                size += len(block)
        assert "sha256:" + hasher.hexdigest() == descriptor["digest"]
        assert size == descriptor["size"]


def test_kill_during_large_upload_leaves_no_partial_blob(
    process_service: RegistryService,
) -> None:
    service = process_service
    client = registry_with_client(service, "dev-registry")
    images = {f"v{i}": make_image(200_000, 3_000) for i in range(3)}
    for tag, image in images.items():
        assert client.push_image("dev-registry/app", image, tag).status_code == 201

    seed = 7
    digest = _digest_of(seed, LARGE_CHUNKS)
    location = client.start_upload(REPO).headers["Location"]
    halfway = threading.Event()
    outcome: dict[str, object] = {}

    def upload() -> None:
        try:
            outcome["response"] = client.http.patch(
                location, content=_stream(seed, 0, LARGE_CHUNKS, halfway, after=150)
            )
        except httpx.HTTPError as error:
            outcome["error"] = error

    sender = threading.Thread(target=upload)
    sender.start()
    assert halfway.wait(timeout=300), "the upload never got halfway"
    service.kill()
    sender.join(timeout=60)
    assert "error" in outcome, "the upload should have been cut off by the crash"

    service.start()
    client = OciClient(service, "dev-registry")
    head = client.http.head(f"/v2/{REPO}/blobs/{digest}")
    assert head.status_code == 404

    # The upload resumes where the crash left it and completes with a verified digest.
    status = client.http.get(location)
    assert status.status_code == 204
    received = int(status.headers["Range"].split("-")[1]) + 1
    # What arrived before the crash is kept (on S3: every whole part sent), never all of it.
    assert 0 < received < LARGE_CHUNKS * CHUNK
    first_chunk, skip = divmod(received, CHUNK)

    def rest() -> Iterator[bytes]:
        yield _chunk(seed, first_chunk)[skip:]
        yield from _stream(seed, first_chunk + 1, LARGE_CHUNKS)

    resumed = client.http.patch(
        location,
        content=rest(),
        headers={"Content-Range": f"{received}-{LARGE_CHUNKS * CHUNK - 1}"},
    )
    assert resumed.status_code == 202, resumed.text
    finished = client.http.put(resumed.headers["Location"], params={"digest": digest})
    assert finished.status_code == 201, finished.text
    head = client.http.head(f"/v2/{REPO}/blobs/{digest}")
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == LARGE_CHUNKS * CHUNK

    hasher = hashlib.sha256()
    with client.http.stream("GET", f"/v2/{REPO}/blobs/{digest}") as response:
        for block in response.iter_bytes():
            hasher.update(block)
    assert "sha256:" + hasher.hexdigest() == digest

    for tag, image in images.items():
        _pull_and_verify(client, "dev-registry/app", tag, image.digest)


def test_upload_session_survives_a_restart(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    first, second = b"a" * 700_000, b"b" * 300_000
    location = client.start_upload(REPO).headers["Location"]
    assert client.http.patch(location, content=first).status_code == 202

    service.restart()
    client = OciClient(service, "dev-registry")
    status = client.http.get(location)
    assert status.status_code == 204
    assert status.headers["Range"] == f"0-{len(first) - 1}"
    patched = client.http.patch(
        location,
        content=second,
        headers={"Content-Range": f"{len(first)}-{len(first) + len(second) - 1}"},
    )
    assert patched.status_code == 202
    done = client.http.put(location, params={"digest": sha256(first + second)})
    assert done.status_code == 201
    assert client.get_blob(REPO, sha256(first + second)).content == first + second


def test_monolithic_upload_cut_off_mid_body_stores_nothing(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    data = random.Random(3).randbytes(8 * CHUNK)
    digest = sha256(data)

    def short_body() -> Iterator[bytes]:
        yield data[: 3 * CHUNK]
        raise RuntimeError("client gives up mid-body")

    with contextlib.suppress(RuntimeError, httpx.HTTPError):
        client.http.post(
            f"/v2/{REPO}/blobs/uploads/",
            params={"digest": digest},
            content=short_body(),
            headers={"Content-Length": str(len(data))},
        )
    client = OciClient(service, "dev-registry")
    assert client.http.head(f"/v2/{REPO}/blobs/{digest}").status_code == 404
    assert client.push_blob(REPO, data).status_code == 201
    assert client.get_blob(REPO, digest).content == data


def test_large_blobs_stream_without_growing_server_memory(
    process_service: RegistryService,
) -> None:
    service = process_service
    client = registry_with_client(service, "dev-registry")
    assert client.push_blob(REPO, b"warm-up").status_code == 201
    before = service.memory_bytes("VmHWM")

    seed, count = 11, 512  # 512 MiB up and down
    digest = _digest_of(seed, count)
    pushed = client.http.post(
        f"/v2/{REPO}/blobs/uploads/",
        params={"digest": digest},
        content=_stream(seed, 0, count),
        headers={"Content-Length": str(count * CHUNK)},
    )
    assert pushed.status_code == 201, pushed.text
    hasher = hashlib.sha256()
    with client.http.stream("GET", f"/v2/{REPO}/blobs/{digest}") as response:
        for block in response.iter_bytes():
            hasher.update(block)
    assert "sha256:" + hasher.hexdigest() == digest

    grown = service.memory_bytes("VmHWM") - before
    assert grown < 64 * 1024 * 1024, f"server peak memory grew by {grown} bytes"
