"""podman as root with a private store, able to run containers in this sandbox and on CI.

Containers run with runc (crun refuses the hybrid cgroup layout of these machines), cgroupfs,
host networking (no network set-up needed; services pick free loopback ports) and process
limits within the machine's hard limits (podman's defaults exceed them and are refused).
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.paths import require_tool

# Processes and threads a container may start: plenty for a service. podman's defaults (its own
# maxima) are refused here, and so is anything near this machine's pid_max.
CONTAINER_NPROC = "4096:4096"


class Podman:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # podman refuses a runroot path longer than 50 characters; pytest's tmp_path is longer.
        self.runroot = Path(tempfile.mkdtemp(prefix="podrun-"))
        self.base = [
            require_tool("podman"),
            "--root", str(self.root / "storage"),
            "--runroot", str(self.runroot),
            "--storage-driver", "vfs",
            "--events-backend", "file",
            "--cgroup-manager", "cgroupfs",
            "--runtime", require_tool("runc"),
        ]  # fmt: skip
        self.containers: list[str] = []

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run a podman command; the caller checks the result."""
        return subprocess.run(
            [*self.base, *args], capture_output=True, text=True, timeout=timeout, check=False
        )

    def check(self, *args: str, timeout: float = 600) -> str:
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, f"podman {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, image: str, *args: str, options: tuple[str, ...] = ()) -> str:
        """`podman run --detach` on the host network; returns the container id."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        limits = ["--ulimit", f"nofile={soft}:{hard}", "--ulimit", f"nproc={CONTAINER_NPROC}"]
        container = self.check(
            "run", "--detach", "--network", "host", *limits, *options, image, *args
        ).strip()
        self.containers.append(container)
        return container

    def close(self) -> None:
        for container in self.containers:
            self.run("rm", "--force", "--time", "5", container, timeout=120)
        self.run("rmi", "--all", "--force", timeout=300)
        shutil.rmtree(self.runroot, ignore_errors=True)
