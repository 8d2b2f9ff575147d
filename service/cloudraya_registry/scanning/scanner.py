"""Scanning one stored artifact: read its manifest, walk the layers, inventory the packages.

This module only reads blobs; it knows nothing about the database or the worker pool. An
image index is scanned platform by platform.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from cloudraya_registry.domain.media_types import (
    IMAGE_CONFIGS,
    IMAGE_MANIFESTS,
    INDEXES,
    LAYERS,
    MAX_MANIFEST_BYTES,
)
from cloudraya_registry.scanning import analyzers
from cloudraya_registry.scanning.analyzers import apk, dpkg, npm, os_release, python
from cloudraya_registry.scanning.analyzers.gobinary import parse_buildinfo
from cloudraya_registry.scanning.inventory import Inventory, OperatingSystem, Package
from cloudraya_registry.scanning.limits import Deadline, ScanFailed, ScanLimits, ScanUnsupported
from cloudraya_registry.scanning.rootfs import RootFilesystem

MAX_CONFIG_BYTES = 8 * 1024 * 1024
INDEX_TYPES = frozenset(INDEXES)
IMAGE_TYPES = frozenset(IMAGE_MANIFESTS)
CONFIG_TYPES = frozenset(IMAGE_CONFIGS)
LAYER_TYPES = frozenset(LAYERS)


class BlobReader(Protocol):
    """The part of the service's BlobStore the scanner uses."""

    def open_read(self, digest: str) -> BinaryIO | None: ...

    def read_bytes(self, digest: str, max_size: int) -> bytes | None: ...


@dataclass
class PlatformResult:
    platform: str | None
    digest: str
    inventory: Inventory


@dataclass
class ScanResult:
    platforms: list[PlatformResult] = field(default_factory=list)


def _json_blob(store: BlobReader, digest: str, max_size: int, what: str) -> dict[str, Any]:
    data = store.read_bytes(digest, max_size)
    if data is None:
        if store.open_read(digest) is not None:
            raise ScanFailed(f"{what} {digest} is larger than {max_size} bytes")
        raise ScanFailed(f"{what} {digest} is not stored in the registry")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScanFailed(f"{what} {digest} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ScanFailed(f"{what} {digest} is not a JSON object")
    return document


def _platform_text(platform: dict[str, Any] | None) -> str | None:
    if not isinstance(platform, dict) or not platform.get("os"):
        return None
    parts = [str(platform.get("os")), str(platform.get("architecture", ""))]
    if platform.get("variant"):
        parts.append(str(platform["variant"]))
    return "/".join(p for p in parts if p)


def scan_artifact(
    store: BlobReader,
    digest: str,
    media_type: str | None,
    limits: ScanLimits,
    cancel: threading.Event | None = None,
) -> ScanResult:
    """Scan the manifest ``digest``; raises ScanFailed or ScanUnsupported with a reason."""
    deadline = Deadline(limits.max_seconds, cancel)
    manifest = _json_blob(store, digest, MAX_MANIFEST_BYTES, "manifest")
    kind = manifest.get("mediaType") or media_type or ""
    if kind in INDEX_TYPES or (not kind and "manifests" in manifest):
        result = ScanResult()
        for child in manifest.get("manifests") or []:
            if not isinstance(child, dict) or child.get("mediaType") not in IMAGE_TYPES:
                continue
            annotations = child.get("annotations") or {}
            if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
                continue
            child_manifest = _json_blob(store, child["digest"], MAX_MANIFEST_BYTES, "manifest")
            platform = _platform_text(child.get("platform"))
            inventory, config_platform = scan_image(store, child_manifest, limits, deadline)
            result.platforms.append(
                PlatformResult(platform or config_platform, child["digest"], inventory)
            )
        if not result.platforms:
            raise ScanUnsupported("the index lists no container image manifests to scan")
        return result
    if kind in IMAGE_TYPES or (not kind and "layers" in manifest):
        inventory, platform = scan_image(store, manifest, limits, deadline)
        return ScanResult([PlatformResult(platform, digest, inventory)])
    raise ScanUnsupported(
        f"media type {kind or 'unknown'} is not a container image or image index; only images "
        "and indexes are scanned"
    )


def scan_image(
    store: BlobReader, manifest: dict[str, Any], limits: ScanLimits, deadline: Deadline
) -> tuple[Inventory, str | None]:
    config_descriptor = manifest.get("config") or {}
    config_type = config_descriptor.get("mediaType")
    if config_type not in CONFIG_TYPES:
        artifact = manifest.get("artifactType") or config_type or "unknown"
        raise ScanUnsupported(
            f"artifact type {artifact} is not a container image; only images are scanned"
        )
    layers = manifest.get("layers") or []
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("mediaType") not in LAYER_TYPES:
            media = layer.get("mediaType") if isinstance(layer, dict) else None
            raise ScanUnsupported(
                f"layer media type {media} is not a tar layer (plain, gzip or zstd)"
            )
    config = _json_blob(store, config_descriptor.get("digest", ""), MAX_CONFIG_BYTES, "config")
    platform = _platform_text(
        {k: config.get(k) for k in ("os", "architecture", "variant") if config.get(k)}
    )
    rootfs = RootFilesystem(analyzers.wants, limits, deadline)
    for layer in layers:
        digest = layer["digest"]
        handle = store.open_read(digest)
        if handle is None:
            raise ScanFailed(f"layer {digest} is not stored in the registry")
        with handle:
            rootfs.add_layer(handle, digest)
    return analyze(rootfs), platform


def analyze(rootfs: RootFilesystem) -> Inventory:
    """Run every analyzer over the merged root filesystem."""
    os_info = os_release.detect(rootfs)
    packages: list[Package] = []
    for package in dpkg.analyze(rootfs) + apk.analyze(rootfs):
        package.ecosystem = _os_ecosystem(os_info, package.ecosystem)
        packages.append(package)
    packages += python.analyze(rootfs)
    packages += npm.analyze(rootfs)
    for path, entry in rootfs.go_binaries():
        packages += parse_buildinfo(entry.buildinfo, "/" + path, entry.layer)
    return Inventory(os=os_info, packages=packages)


def _os_ecosystem(os_info: OperatingSystem | None, manager: str) -> str:
    """OSV ecosystem of an OS package; the package manager decides when os-release is absent."""
    if os_info is not None and os_info.osv_ecosystem:
        return os_info.osv_ecosystem
    return {"dpkg": "Debian", "apk": "Alpine"}[manager]
