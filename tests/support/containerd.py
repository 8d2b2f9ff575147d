"""containerd as root in a temp dir, for image pulls through the CRI as a kubelet makes them.

`crictl --image-endpoint unix://SOCK pull --creds user:pw IMAGE` asks containerd's CRI image
service to pull, which is what the kubelet does with an image pull Secret. The daemon runs with
the native snapshotter (no overlay mounts needed), no cgroups, and a registry `config_path` in
which each plain-HTTP registry (`trust_plain_http`) gets a `hosts.toml`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.paths import require_tool
from tests.support.processes import terminate

STARTUP_TIMEOUT_S = 60.0

CONFIG = """\
version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.overlayfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "{socket}"

[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = true
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{hosts_dir}"
"""

HOSTS_TOML = """\
server = "http://{host}"

[host."http://{host}"]
  capabilities = ["pull", "resolve"]
"""


class Containerd:
    """One containerd daemon; `start()`, then `crictl(...)`, then `stop()`."""

    def __init__(self) -> None:
        # A unix socket path must stay under ~108 bytes: a short temp dir, not pytest's tmp_path.
        self.root = Path(tempfile.mkdtemp(prefix="ctrd-"))
        self.socket = self.root / "containerd.sock"
        self.hosts_dir = self.root / "certs.d"
        self.hosts_dir.mkdir()
        self.log_path = self.root / "containerd.log"
        self._process: subprocess.Popen[bytes] | None = None

    def trust_plain_http(self, host: str) -> None:
        """Pull from `host` (HOST:PORT) over plain HTTP, as a registry mirror config says."""
        (self.hosts_dir / host).mkdir(exist_ok=True)
        (self.hosts_dir / host / "hosts.toml").write_text(HOSTS_TOML.format(host=host))

    def start(self) -> Containerd:
        config = self.root / "config.toml"
        config.write_text(
            CONFIG.format(
                root=self.root / "root",
                state=self.root / "state",
                socket=self.socket,
                hosts_dir=self.hosts_dir,
            )
        )
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [require_tool("containerd"), "--config", str(config)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"containerd exited during start-up:\n{self.log()}")
            if self.socket.exists() and self.crictl("images").returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise AssertionError(
            f"containerd's CRI did not answer in {STARTUP_TIMEOUT_S}s:\n{self.log()}"
        )

    def crictl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """crictl against this daemon's CRI image service; the caller checks the result."""
        endpoint = f"unix://{self.socket}"
        config = self.root / "crictl.yaml"  # its own, so crictl reads nothing from /etc
        config.write_text(f"image-endpoint: {endpoint}\nruntime-endpoint: {endpoint}\n")
        return subprocess.run(
            [require_tool("crictl"), "--config", str(config), "--timeout", "120s", *args],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    def repo_digests(self, image: str) -> list[str]:
        """`repoDigests` of a pulled image, as `crictl inspecti` reports them."""
        result = self.crictl("inspecti", "--output", "json", image)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["status"]["repoDigests"]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        terminate(self._process)
        self._process = None
        shutil.rmtree(self.root, ignore_errors=True)
