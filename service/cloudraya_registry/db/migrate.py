"""Schema migrations (Alembic), run programmatically: on every service start and by ``migrate``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from cloudraya_registry.db.locks import LockKey, object_id
from cloudraya_registry.db.session import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(db: Database) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there).

    On PostgreSQL the whole upgrade holds the start-up lock: replicas starting together on an
    empty database migrate one after the other (the later ones find the schema at head).
    """
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        if not db.is_sqlite:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, :obj)"),
                {"key": int(LockKey.STARTUP), "obj": object_id("")},
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
