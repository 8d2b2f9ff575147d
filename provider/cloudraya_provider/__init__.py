"""Pulumi provider for CloudRaya Container Registry (plugin `pulumi-resource-cloudraya`)."""

from __future__ import annotations

from importlib import metadata

# The project's one version is pyproject.toml's; the installed distribution (and the bundled
# plugin, which copies its metadata) carries it. The generated schema.json and GetPluginInfo
# report it, so the SDKs and the plugin always agree.
__version__: str = metadata.version("cloudraya")
