"""A real `cloudraya-registry serve` process on a free loopback port, for tests."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import ssl
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.support.paths import require_tool, search_path
from tests.support.ports import free_port

if TYPE_CHECKING:
    from tests.support.tls import ServerCertificate

STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 20.0


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    children = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat_file.parent.name))
    return children


class ServiceStartError(AssertionError):
    pass


class ServiceClient:
    """What tests do with a running service, whatever hosts it (a process or a thread).

    The port and data dir survive restarts, as on a real host.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        token: str | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
        tls: ServerCertificate | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.token = token or f"test-admin-{secrets.token_urlsafe(24)}"
        self.extra_args = list(extra_args or [])
        self.tls = tls  # HTTPS with a certificate of the test's own CA
        self.extra_env = dict(env or {})
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        # What httpx trusts when talking to this service.
        self.verify: ssl.SSLContext | bool = tls.client_context() if tls else True
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-service.log"

    def serve_arguments(self) -> list[str]:
        """The `cloudraya-registry` arguments that run this service."""
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        if self.tls and "CLOUDRAYA_TLS_CERT" not in self.extra_env:  # else given by environment
            args += ["--tls-cert", str(self.tls.cert), "--tls-key", str(self.tls.key)]
        return args + self.extra_args

    def storage_arguments(self) -> list[str]:
        """What `cloudraya-registry gc` (or `migrate`, `token`) needs to act on this service."""
        args = ["--data-dir", str(self.data_dir)]
        return args + (["--database-url", self.database_url] if self.database_url else [])

    def environment(self) -> dict[str, str]:
        """Environment variables this service runs with (beyond the test process's)."""
        return dict(self.extra_env)

    def stored_blob_digests(self) -> set[str]:
        """sha256 digests whose bytes are in the blob store."""
        root = self.data_dir / "blobs" / "sha256"
        return {f"sha256:{p.name}" for p in root.glob("*/*")} if root.exists() else set()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def api(self, token: str | None = None, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            verify=self.verify,
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=timeout,
        )

    def create_registry(self, name: str, **body: Any) -> dict[str, Any]:
        with self.api() as api:
            response = api.post("/registries", json={"name": name, **body})
        assert response.status_code == 201, (response.status_code, response.text)
        return response.json()


class RegistryService(ServiceClient):
    """Owns one `cloudraya-registry serve` process."""

    def __init__(self, data_dir: Path, **kwargs: Any) -> None:
        super().__init__(data_dir, **kwargs)
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def command(self) -> list[str]:
        return [require_tool("cloudraya-registry"), *self.serve_arguments()]

    def start(self) -> RegistryService:
        if self.running:
            return self
        self.launch()
        self.wait_until_healthy()
        return self

    def launch(self) -> None:
        """Start the process without waiting for it (several replicas start together)."""
        env = {**os.environ, "PATH": search_path(), **self.extra_env}
        env["CLOUDRAYA_BOOTSTRAP_TOKEN"] = self.token
        with self.log_path.open("ab") as log:
            log.write(f"--- start {' '.join(self.command())}\n".encode())
            log.flush()
            # A session of its own: freezing or killing the service reaches its worker
            # processes (`serve --workers N`) too.
            self._process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ServiceStartError(
                    f"service exited with code {self._process.returncode} during start-up:\n"
                    + self.log_text()[-4000:]
                )
            try:
                healthz = httpx.get(f"{self.url}/healthz", timeout=1.0, verify=self.verify)
                if healthz.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise ServiceStartError(
            f"service not healthy after {STARTUP_TIMEOUT_S:.0f}s:\n" + self.log_text()[-4000:]
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM and wait for a drained exit; returns the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._signal_all(signal.SIGCONT)  # a frozen process cannot drain
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        code = self._process.returncode
        self._process = None
        return code

    def kill(self) -> None:
        """SIGKILL of every process of the service: a crash, no chance to clean up."""
        if self._process is not None:
            if self._process.poll() is None:
                self._signal_all(signal.SIGKILL)
            self._process.wait()
            self._process = None

    def freeze(self) -> None:
        """SIGSTOP: the service keeps its port and connections but answers nothing."""
        assert self._process is not None and self.running
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after `freeze`: queued requests are served as if nothing happened."""
        assert self._process is not None
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, sig: signal.Signals) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, sig)

    def pids(self) -> list[int]:
        """The service's processes: the one started and its workers (`serve --workers N`)."""
        if self._process is None:
            return []
        return [self._process.pid, *child_pids(self._process.pid)]

    def memory_bytes(self, field: str = "VmHWM") -> int:
        """``VmHWM`` (peak) or ``VmRSS`` (now) summed over the service's processes."""
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) * 1024
        return total

    def restart(self) -> RegistryService:
        self.stop()
        return self.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None
