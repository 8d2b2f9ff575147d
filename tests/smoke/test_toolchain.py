"""Every tool `make tools` builds is there, runs, and reports the pinned version."""

from __future__ import annotations

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
