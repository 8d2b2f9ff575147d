"""The audit log: every control-plane change and every failed credential use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cloudraya_registry.db.models import AuditEvent


def record_event(
    session: Session,
    *,
    action: str,
    actor: str,
    outcome: str = "success",
    project_id: int | None = None,
    registry_name: str | None = None,
    target: str | None = None,
    source_ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit record to the caller's transaction. Never pass a secret in ``details``."""
    session.add(
        AuditEvent(
            action=action,
            actor=actor,
            outcome=outcome,
            project_id=project_id,
            registry_name=registry_name,
            target=target,
            source_ip=source_ip,
            details=details,
        )
    )
