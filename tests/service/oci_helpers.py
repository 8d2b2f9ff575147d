"""A small OCI Distribution client over httpx for black-box data-plane tests."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.service import RegistryService

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
PASSWORD = "Data-Plane-Pass-1"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_error_codes(response: httpx.Response) -> list[str]:
    """The OCI error codes of a response body (asserts the body has the OCI shape)."""
    body = response.json()
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for error in body["errors"]:
        assert error["message"], error
    return [error["code"] for error in body["errors"]]


def oci_error_message(response: httpx.Response) -> str:
    return " ".join(error["message"] for error in response.json()["errors"])


@dataclass
class Image:
    """An image's bytes, ready to push: config, layers and the manifest over them."""

    config: bytes
    layers: list[bytes]
    manifest: bytes
    media_type: str = OCI_MANIFEST

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    @property
    def total_size(self) -> int:
        return len(self.config) + sum(len(layer) for layer in self.layers)


def make_image(
    *layer_sizes: int,
    media_type: str = OCI_MANIFEST,
    subject: tuple[str, int, str] | None = None,
    artifact_type: str | None = None,
    label: str = "",
) -> Image:
    """A random image (unique content) with layers of the given sizes."""
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "label": label or os.urandom(8).hex()}
    ).encode()
    layers = [os.urandom(size) for size in layer_sizes]
    layer_type = (
        OCI_LAYER
        if media_type == OCI_MANIFEST
        else ("application/vnd.docker.image.rootfs.diff.tar.gzip")
    )
    config_type = (
        OCI_CONFIG
        if media_type == OCI_MANIFEST
        else ("application/vnd.docker.container.image.v1+json")
    )
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": config_type, "digest": sha256(config), "size": len(config)},
        "layers": [
            {"mediaType": layer_type, "digest": sha256(layer), "size": len(layer)}
            for layer in layers
        ],
    }
    if artifact_type:
        document["artifactType"] = artifact_type
    if subject:
        document["subject"] = {"mediaType": subject[2], "digest": subject[0], "size": subject[1]}
    return Image(config, layers, json.dumps(document).encode(), media_type)


def make_index(*images: Image) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": image.media_type,
                    "digest": image.digest,
                    "size": len(image.manifest),
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
                for image in images
            ],
        }
    ).encode()


class OciClient:
    """Talks to ``/v2`` of one service with a registry's credentials (Basic) or a bearer token."""

    def __init__(
        self,
        service: RegistryService,
        username: str | None = None,
        password: str = PASSWORD,
        *,
        token: str | None = None,
    ) -> None:
        if token is not None:
            self.http = httpx.Client(
                base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
        else:
            assert username is not None
            self.http = httpx.Client(base_url=service.url, auth=(username, password), timeout=120)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OciClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- blobs -------------------------------------------------------------------------------
    def push_blob(self, name: str, data: bytes) -> httpx.Response:
        """Monolithic upload: POST ?digest= with the whole body."""
        return self.http.post(
            f"/v2/{name}/blobs/uploads/",
            params={"digest": sha256(data)},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    def start_upload(self, name: str) -> httpx.Response:
        return self.http.post(f"/v2/{name}/blobs/uploads/")

    def push_image(self, name: str, image: Image, reference: str | None = None) -> httpx.Response:
        for blob in (image.config, *image.layers):
            response = self.push_blob(name, blob)
            assert response.status_code == 201, response.text
        return self.put_manifest(name, reference or image.digest, image.manifest, image.media_type)

    def put_manifest(
        self, name: str, reference: str, body: bytes, media_type: str = OCI_MANIFEST
    ) -> httpx.Response:
        return self.http.put(
            f"/v2/{name}/manifests/{reference}",
            content=body,
            headers={"Content-Type": media_type},
        )

    def get_manifest(self, name: str, reference: str) -> httpx.Response:
        return self.http.get(
            f"/v2/{name}/manifests/{reference}",
            headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}, {DOCKER_MANIFEST}"},
        )

    def get_blob(self, name: str, digest: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(f"/v2/{name}/blobs/{digest}", **kwargs)


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def registry_with_client(service: RegistryService, name: str, **body: Any) -> OciClient:
    service.create_registry(name, password=PASSWORD, **body)
    return OciClient(service, name)


def client_from(address: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (any of 127.0.0.0/8 on Linux):
    another client machine, as far as per-address limits and the audit log can tell."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60, **kwargs)
