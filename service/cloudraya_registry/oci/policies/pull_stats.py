"""Pull statistics: a manifest GET counts as a pull of the manifest (count and last time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from cloudraya_registry.db.models import Manifest, utcnow
from cloudraya_registry.domain.changes import ManifestServed, step_for

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@step_for(ManifestServed)
def count(state: ServiceState, outcome: ManifestServed) -> None:
    with state.db.write() as session:
        session.execute(
            update(Manifest)
            .where(Manifest.id == outcome.manifest_id)
            .values(pull_count=Manifest.pull_count + 1, last_pulled_at=utcnow())
        )
