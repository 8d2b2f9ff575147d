"""A real Debian root filesystem (debootstrap minbase bookworm), built once per test session."""

from __future__ import annotations

import glob
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.inprocess import InProcessService
from tests.support.paths import require_tool
from tests.support.postgres import PostgresServer

SUITE = "bookworm"
APT_SOURCES = ("/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*")))


def debian_mirror() -> str:
    """The Debian archive this machine's apt uses for ``SUITE`` (read at run time)."""
    for path in APT_SOURCES:
        if not path.endswith((".list", ".sources")) or not os.path.isfile(path):
            continue
        text = Path(path).read_text(errors="replace")
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
                if (
                    SUITE in fields.get("Suites", "").split()
                    and "deb" in fields.get("Types", "").split()
                ):
                    return fields["URIs"].split()[0]
        else:
            for line in text.splitlines():
                match = re.match(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
                if match and match.group(2) == SUITE:
                    return match.group(1)
    raise AssertionError(
        f"no apt source for Debian {SUITE} in {', '.join(APT_SOURCES)}; debootstrap needs one"
    )


@dataclass(frozen=True)
class DebianRootfs:
    root: Path
    layer: Path  # gzip-compressed tar of the whole root filesystem

    def dpkg_query(self, fmt: str) -> list[str]:
        result = subprocess.run(
            ["dpkg-query", f"--admindir={self.root / 'var/lib/dpkg'}", "-W", "-f", fmt],
            capture_output=True,
            text=True,
            check=True,
        )
        return [line for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="session")
def debian_rootfs(tmp_path_factory: pytest.TempPathFactory) -> DebianRootfs:
    debootstrap = require_tool("debootstrap")
    work = tmp_path_factory.mktemp("debian")
    root = work / "rootfs"
    result = subprocess.run(
        [debootstrap, "--variant=minbase", SUITE, str(root), debian_mirror()],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    assert result.returncode == 0, (
        f"debootstrap failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    layer = work / "rootfs.tar.gz"
    subprocess.run(
        ["tar", "--numeric-owner", "--sort=name", "-C", str(root), "-czf", str(layer), "."],
        check=True,
        timeout=900,
    )
    return DebianRootfs(root, layer)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_service(
    request: pytest.FixtureRequest, service_factory: Callable[..., InProcessService]
) -> InProcessService:
    """A fresh service on SQLite, then on a new PostgreSQL database."""
    if request.param == "sqlite":
        return service_factory()
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return service_factory(database_url=server.new_database())
