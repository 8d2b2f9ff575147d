"""examples/environments-typescript: compiles against the generated Node.js SDK and declares,
per stack, the same registries as the Python and YAML examples.

These tests compile it with the SDK's pinned `tsc` and run the compiled program under
@pulumi/pulumi's mocks to check what it declares for each stack; `pulumi up` on the real engine
is in test_environments_typescript_up.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.dist import NODE_MODULES
from tests.support.paths import REPO_ROOT, require_tool

from .helpers import EXAMPLES

EXAMPLE = EXAMPLES / "environments-typescript"
NODE_SDK = REPO_ROOT / "sdk" / "nodejs"
TSC = NODE_MODULES / ".bin" / "tsc"  # the example's pinned typescript
MOCK_RUN = Path(__file__).parent / "typescript_mock_run.js"
PROJECT = "environments-typescript"
EXPECTED = {
    "dev": {"storageGb": 10, "tagImmutability": False},
    "staging": {"storageGb": 20, "tagImmutability": True},
    "prod": {"storageGb": 50, "tagImmutability": True},
}


def install_sdk(program: Path) -> None:
    """node_modules as `npm install` of the packed SDK leaves it.

    `make dist-consumers` installs the SDK's tarball from dist/ with the example's other
    dependencies into a fresh node_modules; the program uses that directory.
    """
    assert (NODE_MODULES / "@cloudraya" / "pulumi-cloudraya" / "index.js").exists(), (
        "run `make dist-consumers` (installs the Node.js SDK tarball from dist/)"
    )
    (program / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    program = tmp_path_factory.mktemp("ts") / "environments-typescript"
    shutil.copytree(EXAMPLE, program, ignore=shutil.ignore_patterns("node_modules", "bin"))
    install_sdk(program)
    result = subprocess.run(
        [require_tool("node"), str(TSC), "-p", "tsconfig.json"],
        cwd=program, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return program


def test_typescript_is_pinned_like_the_sdk():
    example = json.loads((EXAMPLE / "package.json").read_text())
    sdk = json.loads((NODE_SDK / "package.json").read_text())
    assert example["devDependencies"]["typescript"] == sdk["devDependencies"]["typescript"]
    assert example["dependencies"]["@pulumi/pulumi"] == sdk["dependencies"]["@pulumi/pulumi"]
    assert example["dependencies"][sdk["name"]] == sdk["version"]


def test_example_compiles_with_tsc_against_the_generated_sdk(compiled):
    assert (compiled / "bin" / "index.js").exists()


def test_a_type_error_against_the_sdk_fails_the_build(compiled, tmp_path):
    """The compile check is real: a property the SDK does not have is refused by tsc."""
    broken = tmp_path / "broken"
    shutil.copytree(compiled, broken, symlinks=True)
    source = (broken / "index.ts").read_text()
    (broken / "index.ts").write_text(source.replace("storageGb:", "storageGB:", 1))
    result = subprocess.run(
        [require_tool("node"), str(TSC), "-p", "tsconfig.json"],
        cwd=broken, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "storageGB" in result.stdout


def stack_config(stack: str) -> dict[str, str]:
    values = yaml.safe_load((EXAMPLE / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


@pytest.mark.parametrize("stack", sorted(EXPECTED))
def test_each_stack_declares_its_registry_settings_and_password(compiled, stack):
    env = {**os.environ, "PULUMI_CONFIG": json.dumps(stack_config(stack))}
    result = subprocess.run(
        [require_tool("node"), str(MOCK_RUN), str(compiled), PROJECT, stack],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    declared = {r["type"]: r["inputs"] for r in run["resources"]}
    name = f"{stack}-registry"

    assert declared["cloudraya:index:Registry"] == {
        "name": name,
        "storageGb": EXPECTED[stack]["storageGb"],
        "forceDestroy": False,
    }
    assert declared["cloudraya:index:RegistrySettings"] == {
        "registry": name,
        "tagImmutability": EXPECTED[stack]["tagImmutability"],
        "scanOnPush": True,
    }
    assert declared["cloudraya:index:RegistryPassword"] == {
        "registry": name,
        "keepers": {"rotation": "2026-01"},
    }
    assert run["calls"] == [
        {
            "token": "cloudraya:index:getPushCommand",
            "inputs": {"registry": name, "repository": "my-app", "tag": "v1.0.0"},
        }
    ]
    outputs = run["outputs"]
    assert outputs["registryName"] == name
    assert outputs["image"] == f"mock.invalid/{name}/my-app:v1.0.0"
    assert outputs["endpoint"] == f"mock.invalid/{name}"
    assert outputs["username"] == name
    assert outputs["password"] == f"mock-password-of-{name}"
    assert json.loads(outputs["dockerConfigJson"])["auths"]["mock.invalid"]["username"] == name
