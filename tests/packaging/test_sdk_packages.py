"""The SDKs as users install them: from the packages in dist/, not from the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

from tests.support.dist import (
    NODE_MODULES,
    PYTHON_ENV_BIN,
    SDK_GO_MODULE,
    SDK_NODEJS_TARBALL,
    SDK_PYTHON_SDIST,
    SDK_PYTHON_WHEEL,
    VERSION,
    artifact,
)
from tests.support.paths import REPO_ROOT, require_tool

GO_MODULE = "pulumi-cloudraya/sdk/go"
GO_PROGRAM = """\
package main

import (
	"fmt"

	"pulumi-cloudraya/sdk/go/cloudraya"
)

func main() {
	fmt.Println(fmt.Sprintf("%T", cloudraya.NewRegistry))
}
"""


def run(*cmd: str, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert result.returncode == 0, f"{cmd}:\n{result.stdout}\n{result.stderr}"
    return result


def test_python_sdk_wheel_and_sdist_carry_the_version() -> None:
    with zipfile.ZipFile(artifact(SDK_PYTHON_WHEEL)) as wheel:
        names = wheel.namelist()
        plugin = json.loads(wheel.read("pulumi_cloudraya/pulumi-plugin.json"))
    assert "pulumi_cloudraya/registry.py" in names
    assert plugin == {"resource": True, "name": "cloudraya", "version": VERSION}
    with tarfile.open(artifact(SDK_PYTHON_SDIST)) as sdist:
        assert f"pulumi_cloudraya-{VERSION}/pulumi_cloudraya/registry.py" in sdist.getnames()


def test_python_programs_run_with_the_sdk_installed_from_its_wheel() -> None:
    """The interpreter the tests give Pulumi (PULUMI_PYTHON_CMD) imports the installed wheel."""
    script = (
        "import importlib.metadata as m, json, pulumi_cloudraya as c; "
        "d = m.distribution('pulumi_cloudraya'); "
        "print(json.dumps([c.__file__, d.version, d.read_text('direct_url.json')]))"
    )
    location, version, direct_url = json.loads(
        run(str(PYTHON_ENV_BIN / "python"), "-c", script).stdout
    )
    assert "site-packages" in location and not location.startswith(str(REPO_ROOT / "sdk"))
    assert version == VERSION
    assert json.loads(direct_url)["url"].endswith(f"/dist/{SDK_PYTHON_WHEEL}")


def test_nodejs_sdk_tarball_is_what_node_modules_holds() -> None:
    with tarfile.open(artifact(SDK_NODEJS_TARBALL)) as tarball:
        package = json.loads(tarball.extractfile("package/package.json").read())
        assert "package/index.js" in tarball.getnames()
    assert package["version"] == VERSION
    assert package["pulumi"] == {"resource": True, "name": "cloudraya", "version": VERSION}

    installed = NODE_MODULES / "@cloudraya" / "pulumi-cloudraya"
    assert not installed.is_symlink(), "the SDK must be installed from the tarball, not linked"
    loaded = run(
        require_tool("node"), "-e",
        "const sdk = '@cloudraya/pulumi-cloudraya';"
        "console.log(typeof require(sdk).Registry, require(sdk + '/package.json').version)",
        cwd=NODE_MODULES.parent,
    )  # fmt: skip
    assert loaded.stdout.split() == ["function", VERSION]


def test_go_module_from_dist_builds_into_a_program_offline(tmp_path: Path) -> None:
    """A user's module requires the SDK at its version and replaces it with dist/'s directory;
    everything else comes from the module cache (no proxy, no checksum database)."""
    module = artifact(SDK_GO_MODULE)
    program = tmp_path / "consumer"
    program.mkdir()
    (program / "main.go").write_text(GO_PROGRAM)
    shutil.copy(module / "go.sum", program / "go.sum")  # the SDK's dependencies' checksums
    go = require_tool("go")
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    run(go, "mod", "init", "example.com/consumer", cwd=program, env=env)
    run(go, "mod", "edit", f"-require={GO_MODULE}@v{VERSION}", f"-replace={GO_MODULE}={module}",
        cwd=program, env=env)  # fmt: skip
    run(go, "build", "-o", "consumer", ".", cwd=program, env=env)
    listed = run(go, "list", "-m", "-f", "{{.Path}} {{.Version}} {{.Replace.Dir}}", GO_MODULE,
                 cwd=program, env=env)  # fmt: skip
    assert listed.stdout.split() == [GO_MODULE, f"v{VERSION}", str(module)]
    assert "*cloudraya.Registry" in run(str(program / "consumer")).stdout
