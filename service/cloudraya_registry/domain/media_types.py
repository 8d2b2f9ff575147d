"""Media types the registry understands: manifests, indexes, image configs and layers."""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"

IMAGE_MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEXES = (OCI_INDEX, DOCKER_LIST)
MANIFESTS = IMAGE_MANIFESTS + INDEXES

OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json"
IMAGE_CONFIGS = (OCI_IMAGE_CONFIG, DOCKER_IMAGE_CONFIG)

OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
LAYERS = (
    OCI_LAYER,
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
)

# Manifests are small documents read whole; anything larger is refused on push.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


def artifact_kind(media_type: str, artifact_type: str | None) -> str:
    """``index``, ``image`` or ``artifact`` (anything else stored as a manifest, e.g. a chart)."""
    if media_type in INDEXES:
        return "index"
    if media_type in IMAGE_MANIFESTS and (artifact_type is None or artifact_type in IMAGE_CONFIGS):
        return "image"
    return "artifact"
