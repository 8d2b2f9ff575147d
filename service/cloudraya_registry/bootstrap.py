"""Turning a configuration (data directory, database and storage URLs) into a ready
``ServiceState``.

Everything secret in the data directory is created private: the directory 0700, the SQLite
database and the admin token 0600.

First start on an empty database: a default project and an admin API token. The token comes
from ``CLOUDRAYA_BOOTSTRAP_TOKEN`` or is generated and written once to ``DATA_DIR/admin-token``
(mode 0600); only its path is ever printed. The data-plane token signing key is created in the
database on first start, so every replica of a database signs and checks with the same key (a
key file an older version left in the data directory is adopted). Replicas starting together
take turns (the start-up lock), so first start is safe on an empty database.
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
from cloudraya_registry.db.locks import LockKey, lock_for_transaction
from cloudraya_registry.db.models import Project, ServiceSecret
from cloudraya_registry.db.session import DEFAULT_CONNECTIONS, Database, insert_for
from cloudraya_registry.domain.api_tokens import (
    add_token,
    ensure_project,
    find_token_owner,
    generate_token,
)
from cloudraya_registry.state import ServiceState
from cloudraya_registry.storage import BlobStore, default_storage_url, open_blob_store

log = logging.getLogger("cloudraya_registry.bootstrap")

BOOTSTRAP_TOKEN_ENV = "CLOUDRAYA_BOOTSTRAP_TOKEN"
DEFAULT_PROJECT = "default"
ADMIN_TOKEN_NAME = "admin"
ADMIN_TOKEN_FILE = "admin-token"
SIGNING_KEY_FILE = "token-signing.key"  # where versions before 0.2 kept the key
SIGNING_KEY_SECRET = "token-signing-key"
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


def load_signing_key(db: Database, data_dir: Path) -> bytes:
    """The shared data-plane signing key: created once per database (or adopted from an older
    version's key file, so its tokens stay valid), then read by every replica."""
    with db.write() as session:
        lock_for_transaction(session, LockKey.STARTUP)
        stored = session.get(ServiceSecret, SIGNING_KEY_SECRET)
        if stored is None:
            legacy = data_dir / SIGNING_KEY_FILE
            value = legacy.read_text().strip() if legacy.exists() else secrets.token_hex(32)
            session.execute(
                insert_for(session, ServiceSecret)
                .values(name=SIGNING_KEY_SECRET, value=value)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            log.info("stored the data-plane token signing key in the database")
    with db.read() as session:
        stored = session.get(ServiceSecret, SIGNING_KEY_SECRET)
    assert stored is not None
    key = bytes.fromhex(stored.value)
    if len(key) < 32:
        raise SystemExit("the token signing key in the database is shorter than 32 bytes")
    return key


def bootstrap_admin(db: Database, data_dir: Path, env_token: str | None) -> None:
    """Create the default project and admin token on the first start of a database."""
    with db.write() as session:
        lock_for_transaction(session, LockKey.STARTUP)
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
    data_dir: Path,
    database_url: str | None,
    connections: int = DEFAULT_CONNECTIONS,
    *,
    migrate: bool = True,
) -> Database:
    url = database_url or default_database_url(data_dir)
    _private_sqlite_file(url)
    db = Database(url, connections)
    if migrate:
        # Imported here: alembic (~150 ms, ~10 MiB) only where the schema is migrated.
        from cloudraya_registry.db.migrate import upgrade_to_head

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


def open_storage(config: ServiceConfig) -> BlobStore:
    """The blob store of ``--storage-url``, checked: a missing bucket or refused credentials
    stop start-up with one line saying so."""
    url = config.storage_url or default_storage_url(config.data_dir)
    store = open_blob_store(url, config.environ)
    store.ping()
    log.info(f"blob storage: {store.describe()}")
    return store


def build_state(
    config: ServiceConfig, *, bootstrap: bool = True, migrate: bool = True
) -> ServiceState:
    """``bootstrap``: create the first project and admin token on an empty database;
    ``migrate``: bring the schema to head first (False in a worker process: its supervisor did)."""
    config = replace(config, data_dir=prepare_data_dir(config.data_dir))
    blob_store = open_storage(config)
    # The I/O pool, the framework's threads for synchronous routes, scans and housekeeping.
    db = open_database(config.data_dir, config.database_url, config.io_threads + 8, migrate=migrate)
    try:
        if bootstrap:
            bootstrap_admin(db, config.data_dir, config.bootstrap_token)
        return ServiceState(
            config=config,
            db=db,
            blob_store=blob_store,
            token_signing_key=load_signing_key(db, config.data_dir),
        )
    except BaseException:
        db.dispose()
        raise
