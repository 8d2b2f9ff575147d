"""Scan on push: a newly stored manifest wakes the scan pool, which queues it when the
registry's ``scan_on_push`` setting is on (read there, so the push path does no I/O for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudraya_registry.domain.changes import ManifestStored, step_for

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@step_for(ManifestStored)
def notify(state: ServiceState, outcome: ManifestStored) -> None:
    if outcome.created and state.scan_pool is not None:
        state.scan_pool.pushed(outcome.manifest_id)
