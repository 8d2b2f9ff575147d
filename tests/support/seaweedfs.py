"""SeaweedFS (`weed mini`): master, volume, filer and S3 in one process, on free loopback ports.

An S3-compatible object store for blob-storage tests. The bucket is created by `weed` itself
at start-up (`-bucket`); the access key is the one in its environment.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.paths import require_tool
from tests.support.ports import free_port
from tests.support.processes import terminate

STARTUP_TIMEOUT_S = 120.0
# Listeners `weed mini` opens besides S3, each given a free port (0 turns an optional one off).
_PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port.grpc", "admin.port", "admin.port.grpc", "webdav.port",
)  # fmt: skip
_DISABLED = ("admin.port.legacy", "s3.port.iceberg", "s3.port.lance")


class SeaweedS3:
    """One `weed mini` process with one bucket; `start()`, use `endpoint`, `stop()`."""

    def __init__(self, data_dir: Path, bucket: str = "blobs") -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.bucket = bucket
        self.access_key = "weed-test"
        self.secret_key = secrets.token_urlsafe(24)
        self.s3_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-weed.log"
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        flags = [f"-{flag}={free_port()}" for flag in _PORT_FLAGS]
        flags += [f"-{flag}=0" for flag in _DISABLED]
        return [
            require_tool("weed"), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1", f"-s3.port={self.s3_port}", f"-bucket={self.bucket}",
            "-admin.ui=false", *flags,
        ]  # fmt: skip

    def start(self) -> SeaweedS3:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"weed exited during start-up:\n{self.log()}")
            if self._bucket_ready():
                return self
            time.sleep(0.3)
        self.stop()
        raise AssertionError(f"weed S3 not up after {STARTUP_TIMEOUT_S:.0f}s:\n{self.log()}")

    def _bucket_ready(self) -> bool:
        """S3 answers and the bucket `weed` creates at start-up exists (S3 comes up first)."""
        try:
            httpx.get(self.endpoint, timeout=1.0)
        except httpx.TransportError:
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client().head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError):
            return False
        return True

    def client(self):
        """A boto3 S3 client for this store (path-style addressing on loopback)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5}),
        )

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        terminate(self._process)
        self._process = None
