"""Fixtures every test area builds on: services on loopback and hermetic Pulumi workspaces."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.pulumi import PulumiWorkspace
from tests.support.service import RegistryService

_SERVICES = pytest.StashKey[list[RegistryService]]()


@pytest.fixture
def service_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., RegistryService]]:
    """Start more services (another database URL, extra args); all stopped after the test."""
    started: list[RegistryService] = []
    request.node.stash[_SERVICES] = started

    def start(**kwargs) -> RegistryService:
        data_dir = tmp_path_factory.mktemp("service") / "data"
        svc = RegistryService(data_dir, **kwargs)
        started.append(svc)
        return svc.start()

    yield start
    for svc in started:
        svc.stop()


@pytest.fixture
def service(service_factory: Callable[..., RegistryService]) -> RegistryService:
    """A fresh service on the embedded default (SQLite + local blobs) for this test."""
    return service_factory()


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
            report.sections.append((f"service log {svc.host}", svc.log_text()[-20000:]))
    return report
