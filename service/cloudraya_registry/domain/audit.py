"""The audit log: every control-plane change (refusals too) and failed credential uses.

Records keep the registry's name, not its id: the log of a name outlives the registry. A change
is recorded in the transaction that makes it; a refused change rolls that transaction back, so
its refusal is recorded in a transaction of its own. Never put a secret in ``details``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import AuditEvent, Registry
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.errors import DomainError, NotFound, RegistryNotFound
from cloudraya_registry.domain.labels import LabelledStrEnum
from cloudraya_registry.domain.names import is_registry_name

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

MAX_PAGE = 500


class AuditAction(LabelledStrEnum):
    """What was done, as stored (``registry.create``) and as the dashboard says it."""

    REGISTRY_CREATE = ("registry.create", "Registry created")
    REGISTRY_DELETE = ("registry.delete", "Registry deleted")
    PASSWORD_RESET = ("registry.password.reset", "Password changed")
    SETTINGS_UPDATE = ("registry.settings.update", "Settings changed")
    STORAGE_RESIZE = ("registry.storage.resize", "Storage resized")
    REPOSITORY_DELETE = ("repository.delete", "Repository deleted")
    ARTIFACT_SCAN = ("artifact.scan", "Scan requested")
    CREDENTIAL_FAILURE = ("credential.failure", "Failed login")


LABELS = AuditAction.labels()


def record(
    session: Session,
    *,
    action: AuditAction,
    actor: str,
    outcome: str = "success",
    project_id: int | None = None,
    registry_name: str | None = None,
    target: str | None = None,
    source_ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit record to the caller's transaction."""
    session.add(
        AuditEvent(
            action=action.value,
            actor=actor,
            outcome=outcome,
            project_id=project_id,
            registry_name=registry_name,
            target=target,
            source_ip=source_ip,
            details=details,
        )
    )


def record_change(
    session: Session,
    actor: Actor,
    action: AuditAction,
    registry_name: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """A successful change by ``actor``, in the change's own transaction."""
    record(
        session,
        action=action,
        actor=actor.name,
        project_id=actor.project_id,
        registry_name=registry_name,
        target=target or registry_name,
        source_ip=actor.source_ip,
        details=details,
    )


@contextmanager
def refusals_recorded(
    state: ServiceState,
    actor: Actor,
    action: AuditAction,
    registry_name: str,
    target: str | None = None,
) -> Iterator[None]:
    """Record a refused change (not a "not found": nothing of the actor's was touched)."""
    try:
        yield
    except DomainError as refusal:
        if not isinstance(refusal, NotFound):
            with state.db.write() as session:
                record(
                    session,
                    action=action,
                    actor=actor.name,
                    outcome="failure",
                    project_id=actor.project_id,
                    registry_name=registry_name,
                    target=target or registry_name,
                    source_ip=actor.source_ip,
                    details={"code": refusal.code, "reason": refusal.message},
                )
        raise


def read_log(
    state: ServiceState, actor: Actor, registry_name: str, limit: int, before: int | None
) -> tuple[list[AuditEvent], int | None]:
    """A page of the registry's log, newest first, and the ``before`` of the next page.

    After a deletion the log of the name stays readable by its project; only a name the
    project never had events for (and no registry of that name) is not found.
    """
    if not is_registry_name(registry_name):
        raise RegistryNotFound(f"registry {registry_name!r} not found")
    limit = max(1, min(limit, MAX_PAGE))
    with state.db.read() as session:
        query = select(AuditEvent).where(
            AuditEvent.project_id == actor.project_id, AuditEvent.registry_name == registry_name
        )
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
        if not rows and before is None and not _registry_exists(session, actor, registry_name):
            raise RegistryNotFound(
                f"registry {registry_name!r} not found and it has no audit events"
            )
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


def _registry_exists(session: Session, actor: Actor, name: str) -> bool:
    return (
        session.scalar(
            select(Registry.id).where(
                Registry.name == name, Registry.project_id == actor.project_id
            )
        )
        is not None
    )
