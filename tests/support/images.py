"""Small OCI images built by tests, and skopeo pushing them the way users push.

Every test area builds its images here: an OCI image layout on disk (``oci:DIR:tag`` for
skopeo) with configs, layers and indexes written as content-addressed blobs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import httpx

from tests.support.paths import require_tool

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
# skopeo refuses to run without a trust policy; tests accept their own images.
SKOPEO_POLICY = Path(__file__).with_name("skopeo-policy.json")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar holding ``files`` (path -> content), reproducible byte for byte."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gzip_layer(files: dict[str, bytes]) -> bytes:
    """A gzip-compressed tar layer holding ``files``."""
    return gzip.compress(tar_bytes(files), mtime=0)


def random_layer(size: int = 64 * 1024) -> bytes:
    """A layer of incompressible bytes, so every image is unique and its size shows as pushed."""
    return gzip_layer({"data/random.bin": os.urandom(size)})


class OciLayout:
    """An OCI image layout directory that images and indexes are added to."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self._index: list[dict] = []
        self._write_index()

    def blob_path(self, digest: str) -> Path:
        algorithm, hexdigest = digest.split(":", 1)
        return self.root / "blobs" / algorithm / hexdigest

    def add_bytes(self, data: bytes, media_type: str) -> dict:
        digest = digest_of(data)
        self.blob_path(digest).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def add_file(self, path: Path, media_type: str) -> dict:
        """Copy a (large) file in as a blob, hashing it as a stream."""
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        digest = "sha256:" + hasher.hexdigest()
        shutil.copyfile(path, self.blob_path(digest))
        return {"mediaType": media_type, "digest": digest, "size": path.stat().st_size}

    def add_image(
        self,
        layers: list[tuple[bytes, str] | dict],
        tag: str | None = None,
        architecture: str = "amd64",
        config_media_type: str = OCI_CONFIG,
        diff_ids: list[str] | None = None,
    ) -> dict:
        """Write config + manifest for ``layers`` (blob bytes with media type, or descriptors).

        ``diff_ids`` default to the layer digests: registries and skopeo do not check them;
        pass the digests of the uncompressed tars where a runtime will unpack the image.
        """
        descriptors = [item if isinstance(item, dict) else self.add_bytes(*item) for item in layers]
        config = {
            "architecture": architecture,
            "os": "linux",
            "rootfs": {
                "type": "layers",
                "diff_ids": diff_ids or [d["digest"] for d in descriptors],
            },
            "config": {},
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": self.add_bytes(json.dumps(config).encode(), config_media_type),
            "layers": descriptors,
        }
        descriptor = self.add_bytes(json.dumps(manifest).encode(), OCI_MANIFEST)
        self._tag(descriptor, tag)
        return descriptor

    def add_index(self, children: list[tuple[dict, str]], tag: str | None = None) -> dict:
        """An index over image descriptors, each with an ``os/arch`` platform."""
        manifests = []
        for descriptor, platform in children:
            os_name, arch = platform.split("/")
            manifests.append({**descriptor, "platform": {"os": os_name, "architecture": arch}})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        descriptor = self.add_bytes(json.dumps(index).encode(), OCI_INDEX)
        self._tag(descriptor, tag)
        return descriptor

    def _tag(self, descriptor: dict, tag: str | None) -> None:
        if tag is None:
            return
        self._index = [e for e in self._index if e.get("annotations", {}).get(REF_NAME) != tag]
        self._index.append({**descriptor, "annotations": {REF_NAME: tag}})
        self._write_index()

    def _write_index(self) -> None:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self._index}
        (self.root / "index.json").write_text(json.dumps(index))


def random_image_layout(directory: Path, tag: str, layers: list[bytes] | None = None) -> Path:
    """A layout with one image tagged ``tag`` of gzip ``layers`` (default: one random layer)."""
    layers = layers if layers is not None else [random_layer()]
    diff_ids = [digest_of(gzip.decompress(data)) for data in layers]
    OciLayout(directory).add_image(
        [(data, OCI_LAYER_GZIP) for data in layers], tag, diff_ids=diff_ids
    )
    return directory


def manifest_digest(layout: Path, tag: str | None = None) -> str:
    """Digest of the layout's image tagged ``tag`` (or its only image)."""
    manifests = json.loads((Path(layout) / "index.json").read_text())["manifests"]
    if tag is not None:
        manifests = [m for m in manifests if m.get("annotations", {}).get(REF_NAME) == tag]
    assert len(manifests) == 1, f"expected one image tagged {tag!r} in {layout}: {manifests}"
    return manifests[0]["digest"]


def skopeo(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run skopeo with the tests' trust policy; the caller checks the result."""
    return subprocess.run(
        [require_tool("skopeo"), "--policy", str(SKOPEO_POLICY), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def push_layout(
    layout: Path,
    tag: str,
    destination: str,
    *,
    authfile: Path | None = None,
    creds: tuple[str, str] | None = None,
    all_images: bool = False,
) -> None:
    """``skopeo copy`` the layout's ``tag`` to ``docker://<destination>`` over plain HTTP."""
    auth = ["--dest-authfile", str(authfile)] if authfile else []
    if creds:
        auth = ["--dest-creds", f"{creds[0]}:{creds[1]}"]
    result = skopeo(
        "copy", *(["--all"] if all_images else []), "--dest-tls-verify=false", *auth,
        f"oci:{layout}:{tag}", f"docker://{destination}",
    )  # fmt: skip
    assert result.returncode == 0, f"skopeo copy failed:\n{result.stdout}\n{result.stderr}"


def head_manifest_digest(
    base_url: str, repository: str, reference: str, auth: tuple[str, str]
) -> str | None:
    """Docker-Content-Digest of ``HEAD /v2/<repository>/manifests/<reference>``; None on 404."""
    response = httpx.head(
        f"{base_url}/v2/{repository}/manifests/{reference}",
        auth=auth,
        headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"},
        timeout=30,
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (response.status_code, response.headers)
    return response.headers["Docker-Content-Digest"]
