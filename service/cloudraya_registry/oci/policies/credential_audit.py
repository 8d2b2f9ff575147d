"""Pushes by scoped credentials go to the audit log, naming the credential that acted.

Pushes with the registry's own password are not recorded (they are the registry acting as
itself, and the push path stays free of that write).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudraya_registry.domain import audit
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.changes import ManifestPushedBy, step_for

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@step_for(ManifestPushedBy)
def record_push(state: ServiceState, outcome: ManifestPushedBy) -> None:
    if outcome.username == outcome.registry.name:
        return
    with state.db.write() as session:
        audit.record(
            session,
            action=AuditAction.ARTIFACT_PUSH,
            actor=outcome.username,
            project_id=outcome.registry.project_id,
            registry_name=outcome.registry.name,
            target=f"{outcome.repository}@{outcome.digest}",
            details={"tags": list(outcome.tags)},
        )
