"""Pull statistics: a manifest GET counts as a pull of the manifest (count and last time).

Only an in-memory tally on the pull path; :class:`cloudraya_registry.domain.pulls.PullCounts`
writes it in batches, so pulls never wait for a write transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudraya_registry.domain.changes import ManifestServed, step_for

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@step_for(ManifestServed, blocking=False)
def count(state: ServiceState, outcome: ManifestServed) -> None:
    state.pull_counts.add(outcome.manifest_id)
