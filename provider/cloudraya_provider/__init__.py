"""Pulumi provider for CloudRaya Container Registry (plugin `pulumi-resource-cloudraya`)."""

from __future__ import annotations

import json
from importlib import resources

# The plugin version is the schema version, so the SDKs and the plugin always agree.
__version__: str = json.loads(
    resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
)["version"]
