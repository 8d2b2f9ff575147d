"""Images the dashboard tests push with skopeo, the way users push."""

from __future__ import annotations

from pathlib import Path

from tests.support.images import push_layout, random_image_layout, random_layer
from tests.support.service import RegistryService


def push_random_image(
    service: RegistryService,
    registry: dict,
    work: Path,
    repository: str,
    tag: str,
    sizes: tuple[int, ...] = (300_000, 40_000),
    extra_layers: tuple[bytes, ...] = (),
) -> int:
    """Push an image of random layers (plus ``extra_layers``); returns the layer bytes."""
    layers = [random_layer(size) for size in sizes] + list(extra_layers)
    layout = random_image_layout(work / f"oci-{repository.replace('/', '_')}-{tag}", tag, layers)
    destination = f"{service.host}/{registry['name']}/{repository}:{tag}"
    push_layout(layout, tag, destination, creds=(registry["username"], registry["password"]))
    return sum(len(data) for data in layers)
