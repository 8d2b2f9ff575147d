"""Several `cloudraya-registry serve` replicas on one PostgreSQL and one bucket, behind HAProxy.

A :class:`ReplicaSet` looks like one service to tests (``url``, ``api()``, ``create_registry``
...: the :class:`ServiceClient` interface) while every request is balanced round-robin over
the replicas, per request, as a real deployment behind a load balancer is. The replicas share
nothing but the database URL and the bucket: no data directory, no key file.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.objectstore import fresh_s3_url, s3_environ
from tests.support.ports import free_port
from tests.support.processes import terminate
from tests.support.seaweedfs import SeaweedS3
from tests.support.service import RegistryService, ServiceClient

STARTUP_TIMEOUT_S = 30.0

_HAPROXY_CONFIG = """\
global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 600s
    timeout server 600s
    timeout check 5s
    retries 2
    option redispatch
    # A replica killed mid-request may have accepted the connection: a request it closed
    # without an answer goes to another replica too (HAProxy retries only what it buffered).
    retry-on conn-failure empty-response response-timeout
frontend registry
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /healthz
    # A refused connection (a dead replica) fails a check at once; a busy one answers late.
    default-server inter 1s fall 2 rise 1
{servers}
"""


class LoadBalancer:
    """HAProxy from Debian, round-robin per request, health-checking each replica."""

    def __init__(self, work_dir: Path, backends: list[str], port: int | None = None) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backends = backends
        self.config_path = self.work_dir / "haproxy.cfg"
        self.log_path = self.work_dir / "haproxy.log"
        self._process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        servers = "\n".join(
            f"    server r{index} {backend} check" for index, backend in enumerate(self.backends)
        )
        return _HAPROXY_CONFIG.format(port=self.port, servers=servers)

    def start(self) -> LoadBalancer:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise AssertionError("haproxy is missing; `make deps` installs the Debian package")
        self.config_path.write_text(self.config())
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [haproxy, "-db", "-f", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"haproxy exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("haproxy did not answer /healthz in time")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self) -> None:
        terminate(self._process)
        self._process = None


class ReplicaSet(ServiceClient):
    """``count`` replicas over PostgreSQL ``database_url`` and a fresh prefix of ``weed``'s
    bucket, started together on a database no replica has seen (first start is a race)."""

    def __init__(
        self,
        work_dir: Path,
        *,
        database_url: str,
        weed: SeaweedS3,
        count: int = 2,
        env: dict[str, str] | None = None,
        port: int | None = None,
        token: str | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.storage_url = fresh_s3_url(weed)
        self.weed = weed
        self.balancer_port = port or free_port()
        super().__init__(
            self.work_dir / "lb",
            database_url=database_url,
            port=self.balancer_port,
            env=env,
            token=token,
        )
        environ = {**s3_environ(weed), **(env or {})}
        self.replicas = [
            RegistryService(
                self.work_dir / f"replica-{index}",
                database_url=database_url,
                token=self.token,
                env=environ,
                extra_args=["--storage-url", self.storage_url, "--public-url", self.url],
            )
            for index in range(count)
        ]
        self.balancer = LoadBalancer(
            self.work_dir / "lb", [r.host for r in self.replicas], self.balancer_port
        )

    def start(self) -> ReplicaSet:
        for replica in self.replicas:  # all at once: first start on an empty database
            replica.launch()
        for replica in self.replicas:
            replica.wait_until_healthy()
        self.balancer.start()
        return self

    def pids(self) -> list[int]:
        """The replicas' and the balancer's processes."""
        pids = [replica.pid for replica in self.replicas]
        return [pid for pid in [*pids, self.balancer.pid] if pid is not None]

    def restart(self) -> ReplicaSet:
        """A rolling restart: one replica after the other, the balancer stays up."""
        for replica in self.replicas:
            replica.restart()
        return self

    def stop(self) -> None:
        self.balancer.stop()
        for replica in self.replicas:
            replica.stop()

    # -- what tests look at -------------------------------------------------------------------
    def storage_arguments(self) -> list[str]:
        return [
            "--data-dir", str(self.data_dir), "--database-url", str(self.database_url),
            "--storage-url", self.storage_url,
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        return {**s3_environ(self.weed), **self.extra_env}

    def stored_blob_digests(self) -> set[str]:
        return {
            "sha256:" + key.rsplit("/", 1)[1]
            for key in self.stored_keys()
            if key.startswith("sha256/")
        }

    def reset(self) -> None:
        """Empty the registry as if new (shared between tests): every row but the admin
        token's project and the shared secrets, and every object under the prefix."""
        from sqlalchemy import create_engine, text

        engine = create_engine(str(self.database_url))
        keep = {"alembic_version", "service_secrets", "projects", "api_tokens"}
        try:
            with engine.begin() as connection:
                tables = [
                    name
                    for name in connection.scalars(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                    if name not in keep
                ]
                connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                connection.execute(text("DELETE FROM projects WHERE name <> 'default'"))
                connection.execute(text("DELETE FROM api_tokens WHERE name <> 'admin'"))
        finally:
            engine.dispose()
        prefix = self.storage_url.split("/", 3)[3] + "/"
        client = self.s3()
        for key in self.stored_keys():
            client.delete_object(Bucket=self.weed.bucket, Key=prefix + key)
        for key in self.open_multipart_uploads():
            for upload in client.list_multipart_uploads(
                Bucket=self.weed.bucket, Prefix=prefix + key
            ).get("Uploads", []):
                client.abort_multipart_upload(
                    Bucket=self.weed.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )

    def log_text(self) -> str:
        return "\n".join(
            f"--- replica {index}\n{replica.log_text()[-8000:]}"
            for index, replica in enumerate(self.replicas)
        )

    def s3(self) -> Any:
        """A boto3 client on the bucket (to look at what the replicas stored)."""
        return self.weed.client()

    def stored_keys(self) -> list[str]:
        """Every object under this set's prefix, relative to it."""
        prefix = self.storage_url.split("/", 3)[3] + "/"
        keys: list[str] = []
        for page in (
            self.s3()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.weed.bucket, Prefix=prefix)
        ):
            keys.extend(item["Key"][len(prefix) :] for item in page.get("Contents", []))
        return keys

    def open_multipart_uploads(self) -> list[str]:
        prefix = self.storage_url.split("/", 3)[3] + "/"
        listed = self.s3().list_multipart_uploads(Bucket=self.weed.bucket, Prefix=prefix)
        return [upload["Key"][len(prefix) :] for upload in listed.get("Uploads", [])]
