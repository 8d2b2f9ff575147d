"""Real container clients run with private state: their own storage, auth files and HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import require_tool


class Tools:
    """Runs the clients with private state: their own storage, auth files and HOME."""

    def __init__(self, work: Path, runroot: Path) -> None:
        self.work = work
        self.env = {
            **os.environ,
            "HOME": str(work / "home"),
            "REGISTRY_AUTH_FILE": str(work / "auth.json"),
            "DOCKER_CONFIG": str(work / "docker"),
            "XDG_RUNTIME_DIR": str(work / "run"),
        }
        for directory in ("home", "docker", "run"):
            (work / directory).mkdir(parents=True, exist_ok=True)
        self.podman_flags = [
            "--root",
            str(work / "storage"),
            "--runroot",  # podman refuses a runroot path longer than 50 characters
            str(runroot),
            "--storage-driver",
            "vfs",
        ]

    def run(
        self, *args: str, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            list(args),
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=600,
            cwd=cwd,
        )
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def podman(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(require_tool("podman"), *self.podman_flags, *args, stdin=stdin)

    def build_payload_image(self, image: str, size: int) -> bytes:
        """Build ``FROM scratch`` + ``/payload.bin`` of ``size`` random bytes; the payload."""
        context = Path(tempfile.mkdtemp(prefix="context-", dir=self.work))
        payload = os.urandom(size)
        (context / "payload.bin").write_bytes(payload)
        (context / "Containerfile").write_text("FROM scratch\nCOPY payload.bin /payload.bin\n")
        self.podman("build", "-q", "-t", image, str(context))
        return payload


def private_tools(tmp_path: Path) -> Iterator[Tools]:
    """Tools working under ``tmp_path`` (the ``tools`` fixture of the service tests)."""
    runroot = Path(tempfile.mkdtemp(prefix="oci-run-"))
    yield Tools(tmp_path / "clients", runroot)
    shutil.rmtree(runroot, ignore_errors=True)
