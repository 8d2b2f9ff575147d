"""Turning a configuration (data directory, database URL, ...) into a ready ``ServiceState``.

Everything secret in the data directory is created private: the directory 0700, the SQLite
database, the admin token and the signing key 0600.

First start on an empty database: a default project and an admin API token. The token comes
from ``CLOUDRAYA_BOOTSTRAP_TOKEN`` or is generated and written once to ``DATA_DIR/admin-token``
(mode 0600); only its path is ever printed. The data-plane token signing key is created in the
data directory on first start, also 0600.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cloudraya_registry.config import ServiceConfig
from cloudraya_registry.db.migrate import upgrade_to_head
from cloudraya_registry.db.models import Project
from cloudraya_registry.db.session import DEFAULT_CONNECTIONS, Database
from cloudraya_registry.domain.api_tokens import (
    add_token,
    ensure_project,
    find_token_owner,
    generate_token,
)
from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.bootstrap")

BOOTSTRAP_TOKEN_ENV = "CLOUDRAYA_BOOTSTRAP_TOKEN"
DEFAULT_PROJECT = "default"
ADMIN_TOKEN_NAME = "admin"
ADMIN_TOKEN_FILE = "admin-token"
SIGNING_KEY_FILE = "token-signing.key"
DATABASE_FILE = "registry.db"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / DATABASE_FILE).resolve()}"


def prepare_data_dir(data_dir: Path) -> Path:
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    return data_dir


def write_secret_file(path: Path, content: bytes) -> None:
    """Create ``path`` with mode 0600 from the start (never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def load_signing_key(data_dir: Path) -> bytes:
    path = data_dir / SIGNING_KEY_FILE
    if not path.exists():
        write_secret_file(path, secrets.token_bytes(32).hex().encode())
        log.info("created data-plane token signing key", extra={"path": str(path)})
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < 32:
        raise SystemExit(f"token signing key {path} is shorter than 32 bytes; remove it to renew")
    return key


def bootstrap_admin(db: Database, data_dir: Path, env_token: str | None) -> None:
    """Create the default project and admin token on the first start of a database."""
    with db.write() as session:
        if session.scalar(
            select(func.count()).select_from(Project).where(Project.name == DEFAULT_PROJECT)
        ):
            if env_token and find_token_owner(session, env_token) is None:
                log.warning(
                    f"{BOOTSTRAP_TOKEN_ENV} is ignored: the database was initialised before; "
                    "create more tokens with `cloudraya-registry token create`"
                )
            return
        project = ensure_project(session, DEFAULT_PROJECT)
        token = env_token or generate_token()
        add_token(session, project, ADMIN_TOKEN_NAME, token)
    if env_token:
        log.info(f"admin API token taken from {BOOTSTRAP_TOKEN_ENV}")
        return
    path = data_dir / ADMIN_TOKEN_FILE
    path.unlink(missing_ok=True)
    write_secret_file(path, (token + "\n").encode())
    log.info(f"admin API token written to {path}", extra={"path": str(path)})
    print(f"admin API token written to {path}", flush=True)


def open_database(
    data_dir: Path, database_url: str | None, connections: int = DEFAULT_CONNECTIONS
) -> Database:
    url = database_url or default_database_url(data_dir)
    _private_sqlite_file(url)
    db = Database(url, connections)
    upgrade_to_head(db)
    return db


def _private_sqlite_file(url: str) -> None:
    """A SQLite database file is created 0600 (its -wal and -shm files take its mode)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.parent.is_dir():
        return  # SQLAlchemy reports the missing directory in its own words
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        os.chmod(path, 0o600)


def build_state(config: ServiceConfig, *, bootstrap: bool = True) -> ServiceState:
    from cloudraya_registry.storage import open_blob_store

    config = replace(config, data_dir=prepare_data_dir(config.data_dir))
    # The I/O pool, the framework's threads for synchronous routes, scans and housekeeping.
    db = open_database(config.data_dir, config.database_url, config.io_threads + 8)
    try:
        if bootstrap:
            bootstrap_admin(db, config.data_dir, config.bootstrap_token)
        return ServiceState(
            config=config,
            db=db,
            blob_store=open_blob_store(config.data_dir),
            token_signing_key=load_signing_key(config.data_dir),
        )
    except BaseException:
        db.dispose()
        raise
