"""Schema migrations (Alembic), run programmatically: on every service start and by ``migrate``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from cloudraya_registry.db.session import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(db: Database) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
