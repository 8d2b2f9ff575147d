"""`pulumi about` and `pulumi plugin ls` show the provider's version.

Python and Node.js programs get it from the SDK they installed (its pulumi-plugin.json or
package.json, read by the language host); YAML programs from a package declaration; the plugin
cache from the installed plugin's directory. A plugin that is only on PATH has no version in
the CLI's own listing (`pulumi plugin ls --project` never asks a PATH plugin), which is why the
SDK and the declaration carry it.
"""

from __future__ import annotations

import json
import tarfile

import yaml
from cloudraya_provider import __version__

from tests.support.paths import VENV_BIN

from .helpers import EXAMPLES, PROGRAMS, provider_env


def about_cloudraya(ws) -> list[str | None]:
    """The versions `pulumi about` lists for the cloudraya resource plugin (other plugins the
    Pulumi home holds, such as the Kubernetes provider, are listed too)."""
    about = json.loads(ws.run("about", "--json", stack=False).stdout)
    return [
        p.get("version")
        for p in about["plugins"]
        if p["kind"] == "resource" and p["name"] == "cloudraya"
    ]


def test_about_shows_the_version_of_the_sdk_a_python_program_uses(pulumi, service):
    ws = pulumi(EXAMPLES["python"], stack="dev", env=provider_env(service))
    assert about_cloudraya(ws) == [__version__]


def test_yaml_programs_declare_the_provider_version():
    for declaration in (PROGRAMS / "version-yaml", EXAMPLES["yaml"]):
        declared = yaml.safe_load((declaration / "packages" / "cloudraya.yaml").read_text())
        assert declared == {
            "packageDeclarationVersion": 1,
            "name": "cloudraya",
            "version": __version__,
        }


def test_about_shows_the_version_a_yaml_program_declares(pulumi, service):
    ws = pulumi(PROGRAMS / "version-yaml", stack="dev", env=provider_env(service))
    assert about_cloudraya(ws) == [__version__]
    ws.up()  # the plugin on PATH serves the declared version


def test_plugin_ls_shows_the_version_of_a_plugin_installed_from_a_file(pulumi, service, tmp_path):
    wrapper = tmp_path / "pulumi-resource-cloudraya"
    wrapper.write_text(f'#!/bin/sh\nexec "{VENV_BIN / "pulumi-resource-cloudraya"}" "$@"\n')
    wrapper.chmod(0o755)
    packed = tmp_path / f"pulumi-resource-cloudraya-v{__version__}-linux-amd64.tar.gz"
    with tarfile.open(packed, "w:gz") as archive:
        archive.add(wrapper, arcname=wrapper.name)
    ws = pulumi(PROGRAMS / "version-yaml", stack="dev", env=provider_env(service))
    ws.run("plugin", "install", "resource", "cloudraya", __version__, "--file", str(packed),
           stack=False)  # fmt: skip

    listed = json.loads(ws.run("plugin", "ls", "--json", stack=False).stdout)
    assert {(p["name"], p["kind"], p["version"]) for p in listed} >= {
        ("cloudraya", "resource", __version__)
    }
