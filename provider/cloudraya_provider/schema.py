"""`schema.json`, generated from the declared resources, functions and configuration.

    python -m cloudraya_provider.schema schema.json          # write it
    python -m cloudraya_provider.schema --check schema.json  # exit 1 when it is stale

GetSchema serves the same document, so the contract the SDKs are generated from, the one the
engine reads and the one the provider enforces cannot drift apart.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

from . import __version__, config
from .catalog import FUNCTION_SPECS, RESOURCE_SPECS
from .spec import object_types

PACKAGE: dict[str, Any] = {
    "name": "cloudraya",
    "displayName": "CloudRaya Container Registry",
    "description": (
        "Manage CloudRaya Container Registry (CCR) private registries, their settings and "
        "their credentials as code."
    ),
    "keywords": [
        "pulumi",
        "cloudraya",
        "container-registry",
        "category/infrastructure",
        "kind/native",
    ],
    "license": "Apache-2.0",
    "publisher": "CloudRaya",
    "meta": {"moduleFormat": "(.*)", "supportPack": True},
    "language": {
        "python": {
            "packageName": "pulumi_cloudraya",
            "pyproject": {"enabled": True},
            "respectSchemaVersion": True,
        },
        "nodejs": {
            "packageName": "@cloudraya/pulumi-cloudraya",
            "respectSchemaVersion": True,
            "dependencies": {"@pulumi/pulumi": "3.270.0"},
            "devDependencies": {"typescript": "5.9.3", "@types/node": "20.9.5"},
        },
        "go": {
            "importBasePath": "pulumi-cloudraya/sdk/go/cloudraya",
            "respectSchemaVersion": True,
        },
    },
}


def build() -> dict[str, Any]:
    """The whole package schema."""
    document: dict[str, Any] = {
        "name": PACKAGE["name"],
        "displayName": PACKAGE["displayName"],
        "version": __version__,
        **{k: v for k, v in PACKAGE.items() if k not in ("name", "displayName")},
        "config": {"variables": {f.name: f.schema() for f in config.SPEC.inputs}},
        "provider": config.SPEC.schema(),
    }
    fields = [f for spec in RESOURCE_SPECS for f in spec.fields]
    fields += [f for spec in FUNCTION_SPECS for f in (*spec.inputs, *spec.outputs)]
    types = {t.token: t.schema() for t in object_types(fields)}
    if types:
        document["types"] = dict(sorted(types.items()))
    document["resources"] = {spec.token: spec.schema() for spec in RESOURCE_SPECS}
    document["functions"] = {spec.token: spec.schema() for spec in FUNCTION_SPECS}
    return document


@functools.cache
def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="where schema.json lives")
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != render():
            print(f"{args.path} is stale: run `make schema`", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(render(), encoding="utf-8")
    print(f"schema: wrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
