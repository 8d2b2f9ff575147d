"""After data-plane deletes, ask for a garbage collection (bursts of deletes coalesce)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudraya_registry.domain.changes import ContentDeleted, step_for

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@step_for(ContentDeleted)
def collect_garbage_soon(state: ServiceState, outcome: ContentDeleted) -> None:
    state.collect_garbage_soon(outcome.what)
