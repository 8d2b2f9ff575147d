"""Service-test fixtures: the control-plane suite runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.clients import Tools, private_tools
from tests.support.inprocess import InProcessService
from tests.support.postgres import PostgresServer

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url_factory(backend: str, request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """Database URLs of the current backend (None = the embedded SQLite default), migrated."""
    if backend == "sqlite":
        return lambda: None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database


@pytest.fixture
def empty_database_url_factory(
    backend: str, request: pytest.FixtureRequest
) -> Callable[[], str | None]:
    """Like ``database_url_factory`` but never migrated: for tests of the migrations."""
    if backend == "sqlite":
        return lambda: None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return lambda: server.new_database(migrated=False)


@pytest.fixture
def control_service(
    service_factory: Callable[..., InProcessService],
    database_url_factory: Callable[[], str | None],
) -> InProcessService:
    """A fresh service on the backend under test (SQLite, or a new PostgreSQL database)."""
    return service_factory(database_url=database_url_factory())


@pytest.fixture
def tools(tmp_path: Path) -> Iterator[Tools]:
    """podman, skopeo and friends with private storage, auth files and HOME."""
    yield from private_tools(tmp_path)
