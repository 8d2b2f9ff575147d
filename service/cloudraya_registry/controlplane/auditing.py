"""Recording control-plane changes: successes inside the change's transaction, refusals apart.

A refused change (shrink, wrong confirmation, duplicate name ...) rolls its own transaction
back, so its "failure" record is written in a separate one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from cloudraya_registry.audit import record_event
from cloudraya_registry.controlplane.deps import Caller
from cloudraya_registry.errors import ApiError
from cloudraya_registry.state import ServiceState


def record_success(
    session: Session,
    caller: Caller,
    action: str,
    registry_name: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    record_event(
        session,
        action=action,
        actor=caller.actor,
        project_id=caller.project_id,
        registry_name=registry_name,
        target=target or registry_name,
        source_ip=caller.source_ip,
        details=details,
    )


@contextmanager
def refusals_audited(
    state: ServiceState,
    caller: Caller,
    action: str,
    registry_name: str,
    target: str | None = None,
) -> Iterator[None]:
    """Record an ``ApiError`` refusal (not a 404: nothing of the caller's was touched)."""
    try:
        yield
    except ApiError as refusal:
        if refusal.status_code != 404:
            with state.db.write() as session:
                record_event(
                    session,
                    action=action,
                    actor=caller.actor,
                    outcome="failure",
                    project_id=caller.project_id,
                    registry_name=registry_name,
                    target=target or registry_name,
                    source_ip=caller.source_ip,
                    details={"code": refusal.code.value, "reason": refusal.message},
                )
        raise
