"""Pulumi provider for CloudRaya Container Registry (plugin `pulumi-resource-cloudraya`)."""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it (the wheel's version), the
# generated schema.json carries it (so the SDKs and the plugin always agree) and GetPluginInfo
# reports it.
__version__ = "0.1.0"
