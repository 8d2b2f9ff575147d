"""The plugin tarball installs the Pulumi way and runs without the checkout.

The tarball is copied into a temp dir and installed with `pulumi plugin install --file` into a
fresh PULUMI_HOME. Every Pulumi command runs with HOME in that temp dir and a PATH that holds
only copies of `pulumi` and its YAML language host: no checkout, no .venv, no Python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.dist import PLUGIN_TARBALL, VERSION, artifact
from tests.support.paths import REPO_ROOT, require_tool
from tests.support.service import RegistryService

PROGRAM = f"""\
name: plugin-install
runtime: yaml
resources:
  registry:
    type: cloudraya:Registry
    properties:
      name: installed-registry
    options:
      version: {VERSION}
outputs:
  endpoint: ${{registry.endpoint}}
"""


class Machine:
    """A user's machine: its own HOME and PATH, the tarball copied in, nothing of the checkout."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.bin = root / "bin"
        self.program = root / "program"
        for directory in (self.home, self.bin, self.program, root / "state"):
            directory.mkdir(parents=True)
        for tool in ("pulumi", "pulumi-language-yaml"):
            shutil.copy2(require_tool(tool), self.bin / tool)
        self.tarball = Path(shutil.copy2(artifact(PLUGIN_TARBALL), root / PLUGIN_TARBALL))
        (self.program / "Pulumi.yaml").write_text(PROGRAM)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "PATH": str(self.bin),
            "PULUMI_HOME": str(self.home / ".pulumi"),
            "PULUMI_BACKEND_URL": f"file://{self.root / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "plugin-install",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            **extra,
        }

    def pulumi(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bin / "pulumi"), "--color=never", *args],
            cwd=self.program, env=self.env(**env),
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"pulumi {args}:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path / "machine")


def test_tarball_holds_the_bundled_plugin_and_no_checkout_path(machine: Machine) -> None:
    listing = subprocess.run(
        ["tar", "-tzf", str(machine.tarball)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "./pulumi-resource-cloudraya" in listing
    assert any("libpython3" in name for name in listing), "the Python runtime is bundled"
    # A wrapper around the checkout would carry its path; the bundle must not.
    launcher = subprocess.run(
        ["tar", "-xzOf", str(machine.tarball), "./pulumi-resource-cloudraya"],
        capture_output=True,
        check=True,
    ).stdout
    assert str(REPO_ROOT).encode() not in launcher


def test_installed_plugin_deploys_a_yaml_program(machine: Machine, service: RegistryService):
    install = machine.pulumi(
        "plugin", "install", "resource", "cloudraya", VERSION, "--file", str(machine.tarball)
    )
    assert "installing" in install.stdout + install.stderr
    installed = machine.home / ".pulumi" / "plugins" / f"resource-cloudraya-v{VERSION}"
    assert (installed / "pulumi-resource-cloudraya").is_file()

    plugins = json.loads(machine.pulumi("plugin", "ls", "--json").stdout)
    assert [(p["name"], p["kind"], p["version"]) for p in plugins] == [
        ("cloudraya", "resource", VERSION)
    ]

    provider = {"CLOUDRAYA_ENDPOINT": service.url, "CLOUDRAYA_API_TOKEN": service.token}
    machine.pulumi("stack", "init", "dev")
    up = machine.pulumi("up", "--yes", "--skip-preview", "--non-interactive", **provider)
    assert "2 created" in up.stdout, up.stdout
    outputs = json.loads(machine.pulumi("stack", "output", "--json").stdout)
    assert outputs == {"endpoint": f"{service.host}/installed-registry"}
    with service.api() as api:
        assert api.get("/registries/installed-registry").status_code == 200

    about = json.loads(machine.pulumi("about", "--json", **provider).stdout)
    assert {"name": "cloudraya", "kind": "resource", "version": VERSION} in about["plugins"]

    # The provider the engine ran is the installed one, at the version pyproject.toml names.
    state = json.loads(machine.pulumi("stack", "export").stdout)
    providers = [
        r for r in state["deployment"]["resources"] if r["type"] == "pulumi:providers:cloudraya"
    ]
    assert [p["inputs"]["version"] for p in providers] == [VERSION]

    destroy = machine.pulumi("destroy", "--yes", "--skip-preview", "--non-interactive", **provider)
    assert "2 deleted" in destroy.stdout, destroy.stdout
