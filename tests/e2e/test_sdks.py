"""The generated SDKs match schema.json, and each one installs, compiles or builds."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT, VENV_BIN, require_tool, search_path

SDK = REPO_ROOT / "sdk"
# Added after generation by `make sdk` (dependency locks) or by builds; not generated.
NOT_GENERATED = {"go.sum", "package-lock.json", "node_modules", "bin", "__pycache__"}


def pulumi_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update(
        PATH=search_path(env.get("PATH")),
        PULUMI_HOME=str(tmp_path / "pulumi-home"),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    return env


def tree(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file()
        and not any(_installed_or_built(part) for part in path.relative_to(root).parts)
    }


def _installed_or_built(part: str) -> bool:
    """Written by dependency locks, builds or `pip install -e` (egg-info), not by gen-sdk."""
    return part in NOT_GENERATED or part.endswith(".egg-info")


def go_mod_module(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("module "))


@pytest.mark.parametrize("language", ["python", "nodejs", "go"])
def test_committed_sdk_matches_schema(language, tmp_path):
    require_tool(f"pulumi-language-{language}")  # the SDK generator `make tools` builds
    result = subprocess.run(
        [require_tool("pulumi"), "package", "gen-sdk", str(REPO_ROOT / "schema.json"),
         "--language", language, "--out", str(tmp_path / "out")],
        env=pulumi_env(tmp_path), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    fresh, committed = tmp_path / "out" / language, SDK / language

    assert tree(fresh) == tree(committed), f"sdk/{language} is stale: run `make sdk`"
    for name in sorted(tree(fresh)):
        if name == "go.mod":  # `go mod tidy` completes the generated requirements
            assert go_mod_module(fresh / name) == go_mod_module(committed / name)
            continue
        same = filecmp.cmp(fresh / name, committed / name, shallow=False)
        assert same, f"sdk/{language}/{name} is stale: run `make sdk`"


def test_plugin_serves_the_committed_schema(tmp_path):
    plugin = require_tool("pulumi-resource-cloudraya")
    result = subprocess.run(
        [require_tool("pulumi"), "package", "get-schema", plugin],
        env=pulumi_env(tmp_path), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((REPO_ROOT / "schema.json").read_text())


def test_python_sdk_is_installed_in_the_venv():
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c",
         "import pulumi_cloudraya as c; print(c.Registry.__name__, c.get_push_command.__name__)"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Registry", "get_push_command"]


def test_nodejs_sdk_compiles_with_tsc(tmp_path):
    tsc = SDK / "nodejs" / "node_modules" / ".bin" / "tsc"
    assert tsc.exists(), "run `make sdk-nodejs-build` to install the pinned typescript"
    result = subprocess.run(
        [str(tsc), "-p", str(SDK / "nodejs"), "--outDir", str(tmp_path / "bin")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "bin" / "registryPassword.js").exists()
    assert (tmp_path / "bin" / "registryPassword.d.ts").exists()


def test_go_sdk_builds_offline():
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=readonly"}
    result = subprocess.run(
        [require_tool("go"), "build", "./..."],
        cwd=SDK / "go", env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    vet = subprocess.run(
        [require_tool("go"), "vet", "./..."],
        cwd=SDK / "go", env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert vet.returncode == 0, vet.stderr
