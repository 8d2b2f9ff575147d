"""Every tool `make tools` builds is there, runs, and reports the pinned version."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.smoke import pins
from tests.support.paths import require_tool


def run(*cmd: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)


def test_pulumi_version_is_the_pin(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    result = run(require_tool("pulumi"), "version", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pins.PULUMI
    assert pins.PULUMI == pins.PULUMI_SDK, "CLI and SDK modules must be one Pulumi release"
    assert not (home / ".pulumi").exists(), "pulumi wrote to ~/.pulumi despite PULUMI_HOME"


def test_python_host_has_its_executor_beside_it() -> None:
    host = Path(require_tool("pulumi-language-python"))
    executor = host.parent / "pulumi-language-python-exec"
    assert executor.is_file(), f"{executor} is missing; the host cannot run programs without it"
    assert "Execute a Pulumi Python program" in executor.read_text()


def test_crane_and_regctl_report_their_pins() -> None:
    crane = run(require_tool("crane"), "version")
    assert crane.returncode == 0, crane.stderr
    assert crane.stdout.strip() == pins.CRANE

    regctl = run(require_tool("regctl"), "version", "--format", "{{.VCSTag}}")
    assert regctl.returncode == 0, regctl.stderr
    assert regctl.stdout.strip() == pins.REGCTL


def test_registry_reports_its_version_and_usage() -> None:
    registry = require_tool("registry")
    version = run(registry, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.split()[-1] == pins.REGISTRY

    usage = run(registry, "--help")
    assert usage.returncode == 0
    assert "serve" in usage.stdout


def test_conformance_suite_binary_lists_its_suite() -> None:
    env = {**os.environ, "OCI_ROOT_URL": "http://127.0.0.1:1", "OCI_NAMESPACE": "smoke/listing"}
    result = run(require_tool("oci-conformance"), "-test.list", ".*", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["TestConformance"]


def test_crictl_and_oras_report_their_pins() -> None:
    crictl = run(require_tool("crictl"), "--version")
    assert crictl.returncode == 0, crictl.stderr
    assert crictl.stdout.split() == ["crictl", "version", pins.CRICTL]

    oras = run(require_tool("oras"), "version")
    assert oras.returncode == 0, oras.stderr
    assert oras.stdout.splitlines()[0].split() == ["Version:", pins.ORAS.removeprefix("v")]


def test_weed_reports_the_pinned_commit() -> None:
    result = run(require_tool("weed"), "version")
    assert result.returncode == 0, result.stderr
    commit = pins.SEAWEEDFS.rsplit("-", 1)[-1]  # a pseudo-version ends in the commit
    assert commit in result.stdout.split(), result.stdout


def test_newer_conformance_suite_starts_and_refuses_an_unreachable_registry(
    tmp_path: Path,
) -> None:
    """The redesigned suite is a program: it reads OCI_* variables, writes its results and
    exits 1 when the registry under test fails (here: nothing listens)."""
    env = {
        **os.environ,
        "OCI_CONFIGURATION": "/dev/null",
        "OCI_REGISTRY": "127.0.0.1:1",
        "OCI_TLS": "disabled",
        "OCI_REPO1": "smoke/one",
        "OCI_REPO2": "smoke/two",
        "OCI_RESULTS_DIR": str(tmp_path / "results"),
    }
    result = subprocess.run(
        [require_tool("oci-conformance-next")], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert (tmp_path / "results" / "junit.xml").is_file(), result.stdout + result.stderr


def test_kubernetes_provider_reports_the_pin(tmp_path: Path) -> None:
    """The engine learns a provider's version from GetPluginInfo; `pulumi package get-schema`
    starts the plugin and reads its schema, stamped with the same version at build time."""
    env = {
        **os.environ,
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    plugin = require_tool("pulumi-resource-kubernetes")
    result = subprocess.run(
        [require_tool("pulumi"), "package", "get-schema", plugin],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["name"] == "kubernetes"
    assert schema["version"] == pins.KUBERNETES.removeprefix("v")
    assert "kubernetes:core/v1:Secret" in schema["resources"]
