"""Repositories and artifacts as the control plane reports them after real OCI pushes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx

from tests.support.service import RegistryService

PASSWORD = "Repo-Tests-Pass-1"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Pusher:
    """Just enough of a registry client to push blobs and manifests with HTTP Basic auth."""

    def __init__(self, service: RegistryService, registry: str, password: str) -> None:
        self.client = httpx.Client(base_url=service.url, auth=(registry, password), timeout=60)
        self.registry = registry

    def blob(self, repo: str, data: bytes) -> dict:
        start = self.client.post(f"/v2/{self.registry}/{repo}/blobs/uploads/")
        assert start.status_code == 202, start.text
        location = start.headers["location"]
        done = self.client.put(location, params={"digest": _digest(data)}, content=data)
        assert done.status_code == 201, done.text
        return {"mediaType": OCI_LAYER, "digest": _digest(data), "size": len(data)}

    def manifest(self, repo: str, reference: str, body: dict, media_type: str) -> tuple[str, int]:
        raw = json.dumps(body).encode()
        response = self.client.put(
            f"/v2/{self.registry}/{repo}/manifests/{reference}",
            content=raw,
            headers={"Content-Type": media_type},
        )
        assert response.status_code == 201, response.text
        return _digest(raw), len(raw)

    def image(self, repo: str, reference: str, layer: bytes | None = None) -> dict:
        config = json.dumps({"architecture": "amd64", "os": "linux", "n": os.urandom(4).hex()})
        config_desc = {**self.blob(repo, config.encode()), "mediaType": OCI_CONFIG}
        layer_desc = self.blob(repo, layer if layer is not None else os.urandom(2048))
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config_desc,
            "layers": [layer_desc],
        }
        digest, size = self.manifest(repo, reference, manifest, OCI_MANIFEST)
        return {
            "digest": digest,
            "manifest_size": size,
            "content_size": config_desc["size"] + layer_desc["size"],
            "layer": layer_desc["digest"],
        }

    def close(self) -> None:
        self.client.close()


def _blob_files(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "blobs").rglob("*") if p.is_file()}


def test_pushed_image_appears_with_tags_size_and_pull_statistics(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=PASSWORD)
    pusher = Pusher(control_service, "dev-registry", PASSWORD)
    image = pusher.image("team/my-app", "v1.0.0")
    pusher.manifest(
        "team/my-app", "latest",
        pusher.client.get(
            "/v2/dev-registry/team/my-app/manifests/v1.0.0", headers={"Accept": OCI_MANIFEST}
        ).json(),
        OCI_MANIFEST,
    )  # fmt: skip
    pulled = pusher.client.get(
        "/v2/dev-registry/team/my-app/manifests/latest", headers={"Accept": OCI_MANIFEST}
    )
    assert pulled.status_code == 200
    pusher.close()

    with control_service.api() as api:
        registry = api.get("/registries/dev-registry").json()
        repositories = api.get("/registries/dev-registry/repositories").json()["repositories"]
        artifacts = api.get("/registries/dev-registry/repositories/team/my-app/artifacts").json()[
            "artifacts"
        ]

    assert registry["repository_count"] == 1
    assert registry["storage"]["used_bytes"] >= image["content_size"]
    assert [(r["name"], r["artifact_count"]) for r in repositories] == [("team/my-app", 1)]
    assert repositories[0]["pull_count"] >= 1
    assert len(artifacts) == 1
    artifact = artifacts[0]
    assert artifact["digest"] == image["digest"]
    assert artifact["type"] == "image"
    assert artifact["media_type"] == OCI_MANIFEST
    assert artifact["tags"] == ["latest", "v1.0.0"]
    assert artifact["size_bytes"] == image["content_size"]
    assert artifact["pull_count"] >= 1
    assert artifact["last_pulled_at"] is not None
    assert artifact["scan"]["status"] in {"not_scanned", "queued", "running", "done", "unsupported"}


def test_multi_platform_index_is_one_artifact_of_type_index(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=PASSWORD)
    pusher = Pusher(control_service, "dev-registry", PASSWORD)
    amd64 = pusher.image("my-app", "amd64-build")
    arm64 = pusher.image("my-app", "arm64-build")
    # the platform tags are only staging; the index is what users pull
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": img["digest"], "size": img["manifest_size"],
             "platform": {"architecture": arch, "os": "linux"}}
            for img, arch in ((amd64, "amd64"), (arm64, "arm64"))
        ],
    }  # fmt: skip
    index_digest, _ = pusher.manifest("my-app", "v2", index, OCI_INDEX)
    pusher.close()

    with control_service.api() as api:
        artifacts = api.get("/registries/dev-registry/repositories/my-app/artifacts").json()[
            "artifacts"
        ]
    by_digest = {a["digest"]: a for a in artifacts}
    assert by_digest[index_digest]["type"] == "index"
    assert by_digest[index_digest]["tags"] == ["v2"]
    assert by_digest[index_digest]["size_bytes"] >= amd64["content_size"] + arm64["content_size"]
    assert by_digest[amd64["digest"]]["tags"] == ["amd64-build"]


def test_repository_with_tags_cannot_be_deleted_while_tags_are_immutable(
    control_service: RegistryService,
) -> None:
    control_service.create_registry("dev-registry", password=PASSWORD)
    pusher = Pusher(control_service, "dev-registry", PASSWORD)
    image = pusher.image("my-app", "v1")
    pusher.close()

    with control_service.api() as api:
        api.patch("/registries/dev-registry/settings", json={"tag_immutability": True})
        refused = api.delete("/registries/dev-registry/repositories/my-app")
        still = api.get("/registries/dev-registry/repositories").json()["repositories"]
        api.patch("/registries/dev-registry/settings", json={"tag_immutability": False})
        deleted = api.delete("/registries/dev-registry/repositories/my-app")
        after = api.get("/registries/dev-registry").json()
        missing = api.delete("/registries/dev-registry/repositories/my-app")
        events = api.get("/registries/dev-registry/audit").json()["events"]

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "FAILED_PRECONDITION"
    assert "tag_immutability" in refused.json()["error"]["message"]
    assert [r["name"] for r in still] == ["my-app"]
    assert deleted.status_code == 204
    assert after["repository_count"] == 0
    assert after["storage"]["used_bytes"] == 0
    assert missing.status_code == 404
    assert image["layer"].split(":")[1] not in _blob_files(control_service.data_dir)
    repo_events = [
        (e["action"], e["outcome"]) for e in events if e["action"] == "repository.delete"
    ]
    assert repo_events == [("repository.delete", "success"), ("repository.delete", "failure")]


def test_registry_deletion_removes_its_blobs_but_keeps_shared_ones(
    control_service: RegistryService,
) -> None:
    shared_layer = os.urandom(4096)
    for name in ("dev-registry", "prod-registry"):
        control_service.create_registry(name, password=PASSWORD)
    dev = Pusher(control_service, "dev-registry", PASSWORD)
    dev_image = dev.image("my-app", "v1", layer=shared_layer)
    dev_only = dev.image("other-app", "v1")
    dev.close()
    prod = Pusher(control_service, "prod-registry", PASSWORD)
    prod.image("my-app", "v1", layer=shared_layer)

    with control_service.api() as api:
        assert api.delete("/registries/dev-registry?confirm=dev-registry").status_code == 204

    files = _blob_files(control_service.data_dir)
    assert dev_only["layer"].split(":")[1] not in files
    shared = prod.client.get(f"/v2/prod-registry/my-app/blobs/{dev_image['layer']}")
    prod.close()
    assert shared.status_code == 200
    assert shared.content == shared_layer
    gone = httpx.get(
        f"{control_service.url}/v2/dev-registry/my-app/tags/list", auth=("dev-registry", PASSWORD)
    )
    assert gone.status_code in (401, 404)
