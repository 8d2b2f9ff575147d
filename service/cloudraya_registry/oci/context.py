"""What a data-plane handler and its policy steps see of one request, and a route's shape.

Handlers and steps import this module, never the router, so the router can import them all
(the route table in :mod:`routes` names each handler with its steps).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from cloudraya_registry.domain.changes import Change, Outcome, blocking, run_checks
from cloudraya_registry.oci.names import RepositoryName

if TYPE_CHECKING:
    from cloudraya_registry.db.locks import UploadLocks
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.oci.auth import Authenticator, Caller
    from cloudraya_registry.state import ServiceState

Handler = Callable[["Context"], Awaitable[Response]]
BeforeStep = Callable[["Context"], Awaitable[None]]
Step = Callable[..., Any]  # a check or follow-up marked with @step_for (domain.changes)


@dataclass(frozen=True)
class Route:
    """One API area and method: its handler and, in order, the policy steps around it.

    ``before`` steps run first (authorisation, limits) and may refuse; ``checks`` run inside the
    transaction that commits the change the handler computed; ``follow_ups`` run once the
    request succeeded, for what it did (scan on push, pull statistics, garbage collection).
    """

    handler: Handler
    before: tuple[BeforeStep, ...] = ()
    checks: tuple[Step, ...] = ()
    follow_ups: tuple[Step, ...] = ()

    @cached_property
    def quick_follow_ups(self) -> tuple[Step, ...]:
        """Follow-ups run on the event loop (they never wait on I/O)."""
        return tuple(step for step in self.follow_ups if not blocking(step))

    @cached_property
    def blocking_follow_ups(self) -> tuple[Step, ...]:
        """Follow-ups run on a worker thread."""
        return tuple(step for step in self.follow_ups if blocking(step))


@dataclass
class DataPlaneServices:
    """Per-app helpers of the data plane (credential checks with their throttle, upload locks)."""

    auth: Authenticator
    upload_locks: UploadLocks


@dataclass
class Context:
    state: ServiceState
    services: DataPlaneServices
    request: Request
    route: Route
    repo: RepositoryName | None  # None for the base endpoint and the catalog
    params: dict[str, str]
    host_registry: str | None = None  # the registry the request's host names (host style)
    caller: Caller | None = None  # set by the route's authorisation step
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def registry(self) -> RegistryInfo:
        assert self.caller is not None, "the route has no authorisation step"
        return self.caller.registry

    @property
    def path(self) -> str:
        """The repository's path inside the registry."""
        assert self.repo is not None
        return self.repo.path

    @property
    def head(self) -> bool:
        return self.request.method == "HEAD"

    def check(self, session: Session, change: Change) -> None:
        """Run the route's checks on ``change`` (inside the committing transaction)."""
        run_checks(self.route.checks, self.state, session, change)

    def did(self, outcome: Outcome) -> None:
        """Note what the request did, for the route's follow-up steps."""
        self.outcomes.append(outcome)
