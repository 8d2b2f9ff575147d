"""The machine and the versions under test, written at the top of every results file."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

from tests.support.paths import REPO_ROOT, require_tool

# A 1-minute load average above this share of the cores before the run means other work
# shared the machine; at the end the benchmark's own load (up to about one per core) is in it.
BUSY_LOAD_PER_CORE_START = 0.5
BUSY_LOAD_PER_CORE_END = 1.5


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def describe_machine() -> dict[str, object]:
    return {
        "nproc": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
    }


def _first_line(*cmd: str, env: dict[str, str] | None = None) -> str:
    try:
        result = subprocess.run(
            cmd, capture_output=True, text=True, timeout=30, check=False, env=env
        )
    except OSError as exc:
        return f"unavailable ({exc})"
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def project_version() -> str:
    """Name and version of this checkout's root project (as installed, else as declared)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    try:
        version = metadata.version(project["name"])
    except metadata.PackageNotFoundError:
        version = f"{project['version']} (not installed)"
    return f"{project['name']} {version}"


def _pulumi_version() -> str:
    """`pulumi version` with a throwaway PULUMI_HOME: the CLI finds the user's home through
    the passwd database, not $HOME, and would otherwise write logs under ~/.pulumi."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PULUMI_HOME": home, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        return _first_line(require_tool("pulumi"), "version", env=env)


def versions() -> dict[str, str]:
    commit = _first_line("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD")
    registry = _first_line(require_tool("registry"), "--version").split()
    return {
        "python": sys.version.split()[0],
        "project": project_version(),
        "git_commit": commit,
        "registry": registry[-1] if registry else "unknown",
        "pulumi": _pulumi_version(),
        "crane": _first_line(require_tool("crane"), "version"),
        "wrk": _first_line(require_tool("wrk"), "-v").split(" [")[0],
        "httpx": metadata.version("httpx"),
        "uvicorn": metadata.version("uvicorn"),
    }


def busy(start: list[float], end: list[float], cores: int | None) -> bool:
    return start[0] > BUSY_LOAD_PER_CORE_START * (cores or 1) or end[0] > (
        BUSY_LOAD_PER_CORE_END * (cores or 1)
    )
