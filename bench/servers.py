"""The two registries under test, started side by side on loopback with fresh data dirs.

Both are reached with the same client and the same HTTP Basic credentials: our service with a
registry created through its control plane, the CNCF registry (distribution) with an htpasswd
file of bcrypt entries. Each keeps its default logging (one line per request).
"""

from __future__ import annotations

import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import httpx

from bench.memory import PeakRss
from tests.support.paths import require_tool
from tests.support.ports import free_port
from tests.support.service import RegistryService

NAMESPACE = "benchreg"  # our registry's name = its username; the same prefix on the reference
# The cost `htpasswd -B` uses by default; the reference registry checks it on every request.
BCRYPT_ROUNDS = 5
STARTUP_TIMEOUT_S = 60.0


def bench_password() -> str:
    """Meets the service's password rule (12+ chars, 3 of lower/upper/digit/symbol)."""
    return f"Bench-{secrets.token_hex(10)}-Pw9"


@dataclass
class Endpoint:
    label: str  # "ours" or "reference"
    url: str
    host: str
    username: str
    password: str
    pid: int
    log_path: Path
    # one tracker per server for the whole run, so its overall peak survives phase resets
    rss: PeakRss = field(init=False)

    def __post_init__(self) -> None:
        self.rss = PeakRss(self.pid)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def repo(self, path: str) -> str:
        return f"{NAMESPACE}/{path}"


class OurServer:
    """`cloudraya-registry serve` (the test fixture's process wrapper) with one registry;
    keyword arguments (database URL, ``--storage-url``, environment) go to the service."""

    def __init__(self, work: Path, **service_options: Any) -> None:
        self.service = RegistryService(work / "ours-data", **service_options)
        self.password = bench_password()

    def start(self) -> Endpoint:
        self.service.start()
        self.service.create_registry(NAMESPACE, password=self.password, storage_gb=1000)
        assert self.service.pid is not None
        return Endpoint(
            "ours",
            self.service.url,
            self.service.host,
            NAMESPACE,
            self.password,
            self.service.pid,
            self.service.log_path,
        )

    def stop(self) -> None:
        self.service.stop()


FILESYSTEM_STORAGE = """\
  filesystem:
    rootdirectory: {root}
"""
# distribution's s3-aws driver on an S3-compatible endpoint (path-style, plain HTTP on loopback).
S3_STORAGE = """\
  s3:
    accesskey: {access_key}
    secretkey: {secret_key}
    region: us-east-1
    regionendpoint: {endpoint}
    bucket: {bucket}
    rootdirectory: {prefix}
    forcepathstyle: true
    secure: false
    v4auth: true
  redirect:
    disable: true  # serve blobs itself, as ours does (no presigned-URL redirects)
"""
REFERENCE_CONFIG = """\
version: 0.1
log:
  level: info
storage:
{storage}  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: {secret}
auth:
  htpasswd:
    realm: bench
    path: {htpasswd}
"""


class ReferenceRegistry:
    """The CNCF `registry` binary from .tools/bin, htpasswd (bcrypt) auth; the filesystem
    driver, or the ``storage`` section given (e.g. :data:`S3_STORAGE` filled in)."""

    def __init__(self, work: Path, storage: str | None = None) -> None:
        self.storage = storage
        self.work = work / "reference"
        self.port = free_port()
        self.password = bench_password()
        self.log_path = self.work / "registry.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Endpoint:
        self.work.mkdir(parents=True, exist_ok=True)
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=BCRYPT_ROUNDS))
        htpasswd = self.work / "htpasswd"
        htpasswd.write_text(f"{NAMESPACE}:{hashed.decode()}\n")
        config = self.work / "config.yml"
        config.write_text(
            REFERENCE_CONFIG.format(
                storage=self.storage or FILESYSTEM_STORAGE.format(root=self.work / "data"),
                port=self.port,
                secret=secrets.token_hex(16),
                htpasswd=htpasswd,
            )
        )
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [require_tool("registry"), "serve", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{self.port}"
        self._wait_ready(url)
        return Endpoint(
            "reference",
            url,
            f"127.0.0.1:{self.port}",
            NAMESPACE,
            self.password,
            self._process.pid,
            self.log_path,
        )

    def _wait_ready(self, url: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"registry exited with {self._process.returncode}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                if httpx.get(f"{url}/v2/", timeout=1.0).status_code == 401:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"registry not ready after {STARTUP_TIMEOUT_S:.0f}s")

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
