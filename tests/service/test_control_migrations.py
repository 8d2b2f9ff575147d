"""The Alembic migrations produce exactly the schema the models describe, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from cloudraya_registry.db.migrate import alembic_config, upgrade_to_head
from cloudraya_registry.db.schema import load_all_models
from cloudraya_registry.db.session import Database
from sqlalchemy import inspect


def _database(tmp_path: Path, empty_database_url_factory: Callable[[], str | None]) -> Database:
    return Database(empty_database_url_factory() or f"sqlite:///{tmp_path / 'registry.db'}")


def test_upgrade_head_yields_exactly_the_models_schema(
    tmp_path: Path, empty_database_url_factory: Callable[[], str | None]
) -> None:
    metadata = load_all_models()  # the service's tables and the scanner's
    db = _database(tmp_path, empty_database_url_factory)
    try:
        upgrade_to_head(db)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        db.dispose()
    assert differences == []
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_upgrade_is_idempotent(
    tmp_path: Path, empty_database_url_factory: Callable[[], str | None]
) -> None:
    db = _database(tmp_path, empty_database_url_factory)
    try:
        upgrade_to_head(db)
        upgrade_to_head(db)
        with db.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        db.dispose()
    assert revision == ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
