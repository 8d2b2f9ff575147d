"""Service-test fixtures: the control-plane suite runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.ports import free_port
from tests.support.service import RegistryService

BACKENDS = ["sqlite", "postgresql"]


class PostgresServer:
    """A throwaway PostgreSQL cluster on a loopback port; one database per test."""

    def __init__(self) -> None:
        self.bin_dir = _postgres_bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cloudraya-pg-"))
        self.data = self.root / "data"
        self.user = "app"
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        self._run("initdb", "-A", "trust", "-U", self.user, "-D", str(self.data))
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"),
            "-w", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        name = f"t_{secrets.token_hex(6)}"
        dsn = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _postgres_bin_dir() -> Path:
    """Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<major>/bin."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    found = candidates[0] if candidates else shutil.which("pg_ctl")
    if not found:
        raise AssertionError(
            "PostgreSQL server binaries (pg_ctl, initdb) are missing; `make deps` installs the "
            "Debian package `postgresql`"
        )
    return Path(found).parent


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url_factory(backend: str, request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """Database URLs of the current backend (None = the embedded SQLite default)."""
    if backend == "sqlite":
        return lambda: None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database


@pytest.fixture
def control_service(
    service_factory: Callable[..., RegistryService],
    database_url_factory: Callable[[], str | None],
) -> RegistryService:
    """A fresh service on the backend under test (SQLite, or a new PostgreSQL database)."""
    return service_factory(database_url=database_url_factory())
