"""A real Debian root filesystem (debootstrap minbase bookworm), built once and kept a week."""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.inprocess import InProcessService
from tests.support.paths import REPO_ROOT, require_tool
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


# debootstrap takes most of a minute: its result is kept beside the other builds (`make clean`
# removes build/), keyed by suite and mirror, and rebuilt after a week to follow the archive.
ROOTFS_CACHE = REPO_ROOT / "build" / "test-cache"
ROOTFS_MAX_AGE_S = 7 * 24 * 3600


@pytest.fixture(scope="session")
def debian_rootfs() -> DebianRootfs:
    mirror = debian_mirror()
    key = hashlib.sha256(f"{SUITE} {mirror}".encode()).hexdigest()[:12]
    cached = ROOTFS_CACHE / f"debian-{SUITE}-{key}"
    complete = cached / "complete"
    if complete.exists() and time.time() - complete.stat().st_mtime < ROOTFS_MAX_AGE_S:
        return DebianRootfs(cached / "rootfs", cached / "rootfs.tar.gz")
    ROOTFS_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{cached.name}.", dir=ROOTFS_CACHE))
    _debootstrap(work / "rootfs", mirror)
    subprocess.run(
        ["tar", "--numeric-owner", "--sort=name", "-C", str(work / "rootfs"), "-czf",
         str(work / "rootfs.tar.gz"), "."],
        check=True,
        timeout=900,
    )  # fmt: skip
    (work / "complete").touch()
    shutil.rmtree(cached, ignore_errors=True)
    work.rename(cached)  # whole or not at all: an interrupted build is never taken for one
    return DebianRootfs(cached / "rootfs", cached / "rootfs.tar.gz")


def _debootstrap(root: Path, mirror: str) -> None:
    result = subprocess.run(
        [require_tool("debootstrap"), "--variant=minbase", SUITE, str(root), mirror],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    assert result.returncode == 0, (
        f"debootstrap failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_service(
    request: pytest.FixtureRequest, service_factory: Callable[..., InProcessService]
) -> InProcessService:
    """A fresh service on SQLite, then on a new PostgreSQL database."""
    if request.param == "sqlite":
        return service_factory()
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return service_factory(database_url=server.new_database())
