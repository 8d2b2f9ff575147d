"""Garbage collection: unreferenced content goes, images and in-flight uploads stay."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.service.oci_helpers import OciClient, make_image, registry_with_client, sha256
from tests.support.paths import require_tool
from tests.support.service import RegistryService, ServiceClient

REPO = "dev-registry/app"


@pytest.fixture
def service(deployment: ServiceClient) -> ServiceClient:
    """Every test here runs embedded and on replicas behind a load balancer (``deployment``)."""
    return deployment


def _run_gc(service: ServiceClient, grace_seconds: int | None) -> dict:
    env = {**os.environ, **service.environment()}
    if grace_seconds is not None:
        env["CLOUDRAYA_GC_GRACE_SECONDS"] = str(grace_seconds)
    done = subprocess.run(
        [require_tool("cloudraya-registry"), "gc", *service.storage_arguments()],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_gc_removes_deleted_images_and_keeps_the_rest(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    kept, dropped, shared = make_image(30_000), make_image(40_000), make_image(20_000)
    assert client.push_image(REPO, kept, "v1").status_code == 201
    assert client.push_image(REPO, dropped, "v2").status_code == 201
    # The same image in a second repository survives its deletion from the first.
    assert client.push_image(REPO, shared, "v3").status_code == 201
    assert client.push_image("dev-registry/other", shared, "v3").status_code == 201

    partial = os.urandom(100_000)
    upload = client.start_upload(REPO).headers["Location"]
    assert client.http.patch(upload, content=partial).status_code == 202

    for image in (dropped, shared):
        assert client.http.delete(f"/v2/{REPO}/manifests/{image.digest}").status_code == 202

    # With the default grace period a fresh deletion removes nothing yet.
    assert _run_gc(service, None)["blobs_removed"] == []

    report = _run_gc(service, 0)
    removed = set(report["blobs_removed"])
    dropped_digests = {dropped.digest, sha256(dropped.config), sha256(dropped.layers[0])}
    assert dropped_digests <= removed
    survivors = {kept.digest, sha256(kept.config), sha256(kept.layers[0]), shared.digest}
    assert not (survivors & removed)
    assert report["uploads_removed"] == []
    assert not (dropped_digests & service.stored_blob_digests())

    client = OciClient(service, "dev-registry")
    assert client.get_manifest(REPO, "v1").content == kept.manifest
    assert client.get_blob(REPO, sha256(kept.layers[0])).content == kept.layers[0]
    assert client.get_manifest("dev-registry/other", "v3").content == shared.manifest
    other_layer = client.get_blob("dev-registry/other", sha256(shared.layers[0]))
    assert other_layer.content == shared.layers[0]
    assert client.get_manifest(REPO, "v2").status_code == 404

    # The in-flight upload was left alone and still completes.
    rest = os.urandom(1_000)
    status = client.http.get(upload)
    assert status.headers["Range"] == f"0-{len(partial) - 1}"
    assert client.http.patch(upload, content=rest).status_code == 202
    done = client.http.put(upload, params={"digest": sha256(partial + rest)})
    assert done.status_code == 201
    assert client.get_blob(REPO, sha256(partial + rest)).content == partial + rest

    # Deleting images freed their quota: only what is still referenced counts.
    with service.api() as api:
        used = api.get("/registries/dev-registry").json()["storage"]["used_bytes"]
    assert used == (
        len(kept.manifest)
        + kept.total_size
        + len(shared.manifest)
        + shared.total_size
        + len(partial)
        + len(rest)
    )
