"""Fixtures every test area builds on: services on loopback and hermetic Pulumi workspaces.

``service`` / ``service_factory`` host the service's app on a server thread in this process
(fast: no process start, a pre-migrated database). ``process_service`` /
``process_service_factory`` run the real ``cloudraya-registry serve`` command: for signals,
crashes, the process's memory and the command line itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.inprocess import InProcessService
from tests.support.postgres import PostgresServer
from tests.support.pulumi import PulumiWorkspace
from tests.support.replicas import ReplicaSet
from tests.support.seaweedfs import SeaweedS3
from tests.support.service import RegistryService, ServiceClient

_SERVICES = pytest.StashKey[list[ServiceClient]]()
BACKEND_ENV = "CLOUDRAYA_TEST_BACKEND"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the session; a database per test."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One SeaweedFS S3 server (`weed mini`) for the session; tests keep apart by prefix."""
    server = SeaweedS3(tmp_path_factory.mktemp("weed") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def replica_set(
    postgres_server: PostgresServer, seaweed: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReplicaSet]:
    """Two replicas on one PostgreSQL database and one bucket behind HAProxy, for the session.

    They start together on an empty database (first start is a race they must survive).
    Tests take it through ``replicas`` or ``deployment``, which empty it first.
    """
    replicas = ReplicaSet(
        tmp_path_factory.mktemp("replicas"),
        database_url=postgres_server.new_database(migrated=False),
        weed=seaweed,
    )
    try:
        replicas.start()
    except BaseException:
        replicas.stop()
        raise
    yield replicas
    replicas.stop()


@pytest.fixture
def replicas(request: pytest.FixtureRequest, replica_set: ReplicaSet) -> ReplicaSet:
    """The session's replica set, emptied for this test."""
    replica_set.reset()
    request.node.stash.setdefault(_SERVICES, []).append(replica_set)
    return replica_set


DEPLOYMENTS = ["embedded", "replicas"]


@pytest.fixture(params=DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest) -> ServiceClient:
    """The service as one embedded process (SQLite, local disk), or as two replicas on
    PostgreSQL and S3 behind a load balancer: suites that take this run on both."""
    if request.param == "embedded":
        return request.getfixturevalue("service_factory")()
    return request.getfixturevalue("replicas")


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where migrated template databases live for the session."""
    return tmp_path_factory.mktemp("templates")


def _factory(request: pytest.FixtureRequest, make: Callable[..., ServiceClient]):
    started: list[ServiceClient] = request.node.stash.setdefault(_SERVICES, [])

    def start(**kwargs) -> ServiceClient:
        svc = make(**kwargs)
        started.append(svc)
        return svc.start()

    return start, started


@pytest.fixture
def service_factory(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_templates: Path,
) -> Iterator[Callable[..., InProcessService]]:
    """Start more in-process services (another database URL, options, environment).

    Services without a database URL use SQLite, or a fresh PostgreSQL database when
    ``CLOUDRAYA_TEST_BACKEND=postgresql`` (to run any suite, e2e included, on PostgreSQL).
    """

    def make(data_dir: Path | None = None, **kwargs) -> InProcessService:
        data_dir = data_dir or tmp_path_factory.mktemp("service") / "data"
        if kwargs.get("database_url") is None and os.environ.get(BACKEND_ENV) == "postgresql":
            kwargs["database_url"] = request.getfixturevalue("postgres_server").new_database()
        return InProcessService(data_dir, template_dir=database_templates, **kwargs)

    start, started = _factory(request, make)
    yield start
    for svc in started:
        if isinstance(svc, InProcessService):
            svc.stop()


@pytest.fixture
def process_service_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., RegistryService]]:
    """Start `cloudraya-registry serve` processes; all stopped after the test."""

    def make(**kwargs) -> RegistryService:
        return RegistryService(tmp_path_factory.mktemp("service") / "data", **kwargs)

    start, started = _factory(request, make)
    yield start
    for svc in started:
        if isinstance(svc, RegistryService):
            svc.stop()


@pytest.fixture
def service(service_factory: Callable[..., InProcessService]) -> InProcessService:
    """A fresh service on the embedded default (SQLite + local blobs) for this test."""
    return service_factory()


@pytest.fixture
def process_service(process_service_factory: Callable[..., RegistryService]) -> RegistryService:
    """A fresh `cloudraya-registry serve` process (SQLite + local blobs) for this test."""
    return process_service_factory()


@pytest.fixture
def pulumi(tmp_path: Path) -> Callable[..., PulumiWorkspace]:
    """`pulumi(program_dir, stack="test", env=None)`: a copy of the program with a new stack."""

    def make(program_dir: Path, stack: str = "test", env: dict[str, str] | None = None):
        work = tmp_path / f"program-{Path(program_dir).name}"
        shutil.copytree(
            program_dir,
            work,
            ignore=shutil.ignore_patterns("node_modules", "__pycache__", "venv", ".venv"),
            dirs_exist_ok=True,
        )
        return PulumiWorkspace(work, tmp_path / "pulumi-state", stack, env).select_stack(stack)

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the logs of the services a failing test started to its report."""
    report = yield
    if report.failed:
        for svc in item.stash.get(_SERVICES, []):
            report.sections.append((f"service log {svc.url}", svc.log_text()[-20000:]))
    return report
