"""A throwaway PostgreSQL cluster on a loopback port for the whole test session.

Each test gets a database of its own, copied from a template the service's migrations already
ran on (``CREATE DATABASE ... TEMPLATE``), or an empty one for tests of the migrations.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import psycopg
from cloudraya_registry.db.migrate import upgrade_to_head
from cloudraya_registry.db.session import Database

from tests.support.ports import free_port

TEMPLATE = "cloudraya_migrated"


class PostgresServer:
    def __init__(self) -> None:
        self.bin_dir = _postgres_bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cloudraya-pg-"))
        self.data = self.root / "data"
        self.user = "app"
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        self._template_ready = False
        self._lock = threading.Lock()
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

    def _create(self, name: str, template: str | None = None) -> None:
        dsn = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clause}')

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database (at the newest schema unless ``migrated=False``); its URL."""
        if migrated:
            self._ensure_template()
        name = f"t_{secrets.token_hex(6)}"
        self._create(name, TEMPLATE if migrated else None)
        return self.url(name)

    def _ensure_template(self) -> None:
        with self._lock:
            if self._template_ready:
                return
            self._create(TEMPLATE)
            db = Database(self.url(TEMPLATE))
            try:
                upgrade_to_head(db)
            finally:
                db.dispose()  # a template must have no open connections when copied
            self._template_ready = True


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
