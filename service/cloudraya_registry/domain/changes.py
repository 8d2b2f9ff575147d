"""What a push-path request is about to change, or has just done.

The domain computes a change and, inside the committing transaction, hands it to the checks of
the route that asked for it (quota, immutability, ...; see ``cloudraya_registry.oci.routes``);
a check refuses by raising. After the request succeeded, what happened is handed to the route's
follow-up steps (scan on push, pull statistics, garbage collection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.state import ServiceState


@dataclass(frozen=True)
class Change:
    """Something a request is about to change in one repository of ``registry``."""

    registry: RegistryInfo
    repository: str  # full name, <registry>/<path>
    repository_id: int


@dataclass(frozen=True)
class BlobAdded(Change):
    """An upload is finished (or a monolithic POST): the blob becomes visible."""

    digest: str
    size: int
    upload_id: str | None = None  # the session it came from (its bytes were counted already)


@dataclass(frozen=True)
class UploadOpened(Change):
    """A new resumable upload session (its bytes count toward the quota until it ends)."""


@dataclass(frozen=True)
class TagMove:
    tag: str
    current: str | None  # digest the tag names now; None for a new tag
    target: str


@dataclass(frozen=True)
class ManifestPushed(Change):
    digest: str
    size: int
    created: bool  # new to the repository (not a re-push of the same content)
    tag_moves: tuple[TagMove, ...]


@dataclass(frozen=True)
class TagRemoved(Change):
    tag: str


@dataclass(frozen=True)
class ManifestRemoved(Change):
    manifest_id: int
    digest: str


@dataclass(frozen=True)
class BlobRemoved(Change):
    digest: str


@dataclass(frozen=True)
class Outcome:
    """What a successful request did, for the route's follow-up steps."""


@dataclass(frozen=True)
class ManifestStored(Outcome):
    manifest_id: int
    created: bool


@dataclass(frozen=True)
class ManifestPushedBy(Outcome):
    """Who stored a manifest: the registry's own login or ``<registry>+<credential>``."""

    registry: RegistryInfo
    username: str
    repository: str  # full name
    digest: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class ManifestServed(Outcome):
    manifest_id: int


@dataclass(frozen=True)
class ContentDeleted(Outcome):
    what: str  # for the log, e.g. "manifest dev/app@sha256:..."


Check = Callable[[Session, Change], None]
"""What a domain write calls inside its transaction before applying a change."""


def no_checks(_session: Session, _change: Change) -> None:
    """For callers outside the data plane's routes (they have their own rules)."""


# -- steps ---------------------------------------------------------------------------------
# A step is a plain function marked with the kind of change (or outcome) it is about:
#   @step_for(ManifestPushed)
#   def tags_stay(state, session, change): ...          (a check, inside the transaction)
#   @step_for(ManifestStored)
#   def notify(state, outcome): ...                     (a follow-up, after success)
# A route lists its steps; each runs for the changes of its kind and ignores the others.
# A follow-up that neither waits on the disk nor the database (an in-memory tally) is marked
# ``@step_for(Outcome, blocking=False)`` and runs on the event loop, not on a worker thread.

F = TypeVar("F", bound=Callable[..., Any])


def step_for(kind: type, *, blocking: bool = True) -> Callable[[F], F]:
    def mark(function: F) -> F:
        function.handles = kind  # type: ignore[attr-defined]
        function.blocking = blocking  # type: ignore[attr-defined]
        return function

    return mark


def handles(step: Callable[..., Any]) -> type:
    """The kind of change or outcome ``step`` was marked for."""
    kind = getattr(step, "handles", None)
    if kind is None:
        raise TypeError(f"{step.__qualname__} is not marked with @step_for(<kind>)")
    return kind


def run_checks(
    steps: Iterable[Callable[..., Any]], state: ServiceState, session: Session, change: Change
) -> None:
    for step in steps:
        if isinstance(change, handles(step)):
            step(state, session, change)


def blocking(step: Callable[..., Any]) -> bool:
    """Whether ``step`` may wait on I/O (then it must run off the event loop)."""
    return getattr(step, "blocking", True)


def run_follow_ups(
    steps: Iterable[Callable[..., Any]], state: ServiceState, outcome: Outcome
) -> None:
    for step in steps:
        if isinstance(outcome, handles(step)):
            step(state, outcome)
