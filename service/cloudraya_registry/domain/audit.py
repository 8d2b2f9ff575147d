"""The audit log: every control-plane change (refusals too) and failed credential uses.

Records keep the registry's name, not its id: the log of a name outlives the registry. A change
is recorded in the transaction that makes it; a refused change rolls that transaction back, so
its refusal is recorded in a transaction of its own. Never put a secret in ``details``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import AuditEvent, Registry
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.errors import DomainError, NotFound, RegistryNotFound
from cloudraya_registry.domain.labels import LabelledStrEnum
from cloudraya_registry.domain.names import is_registry_name

if TYPE_CHECKING:
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.audit")

MAX_PAGE = 500
FAILED_LOGIN_WINDOW_SECONDS = 60.0


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
    RETENTION_POLICY_SET = ("retention.policy.set", "Retention policy set")
    RETENTION_POLICY_DELETE = ("retention.policy.delete", "Retention policy removed")
    RETENTION_DELETE = ("retention.delete", "Deleted by retention")
    SCOPED_CREDENTIAL_CREATE = ("credential.create", "Credential created")
    SCOPED_CREDENTIAL_ROTATE = ("credential.rotate", "Credential rotated")
    SCOPED_CREDENTIAL_REVOKE = ("credential.revoke", "Credential revoked")
    ARTIFACT_PUSH = ("artifact.push", "Pushed")


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


# -- failed logins ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FailedLogin:
    registry: RegistryInfo  # the registry the credentials were aimed at
    actor: str  # the username presented (or the other registry whose credentials were used)
    source_ip: str | None
    target: str
    method: str
    reason: str


class FailedLoginRecorder(Protocol):
    """Where failed logins go. :class:`FailedLoginLog` keeps its one-minute windows in this
    process; replicas sharing a database could keep them there instead (issue 12)."""

    def record(self, state: ServiceState, failure: FailedLogin) -> None: ...

    def flush(self, state: ServiceState) -> int: ...


@dataclass
class _Window:
    row_id: int
    until: float
    pending: int = 0


class FailedLoginLog:
    """Failed credential uses, counted per (registry, source address) in one-minute windows.

    The first failure of a window adds an audit row; later ones only add to that row's
    ``count`` (flushed in batches by the housekeeping, see :meth:`flush`), so nobody can fill
    a registry's audit log. Windows are kept in this process: several replicas each write a
    row per window, which stays bounded. A log that cannot be written (a full disk) is noted
    in the service log; the login is still refused.
    """

    def __init__(
        self, window: float = FAILED_LOGIN_WINDOW_SECONDS, max_windows: int = 10_000
    ) -> None:
        self.window = window
        self._windows: OrderedDict[tuple[str, str | None], _Window] = OrderedDict()
        self._closed: list[_Window] = []  # replaced or evicted, with counts still to write
        self._max_windows = max_windows
        self._lock = threading.Lock()

    def record(self, state: ServiceState, failure: FailedLogin) -> None:
        key = (failure.registry.name, failure.source_ip)
        now = time.monotonic()
        with self._lock:
            open_window = self._windows.get(key)
            if open_window is not None and open_window.until > now:
                open_window.pending += 1
                return
        try:
            with state.db.write() as session:
                row_id = session.execute(
                    insert(AuditEvent)
                    .values(
                        action=AuditAction.CREDENTIAL_FAILURE.value,
                        actor=failure.actor[:255],
                        outcome="failure",
                        project_id=failure.registry.project_id,
                        registry_name=failure.registry.name,
                        target=failure.target[:512],
                        source_ip=failure.source_ip,
                        details={"method": failure.method, "reason": failure.reason},
                        count=1,
                    )
                    .returning(AuditEvent.id)
                ).scalar_one()
        except Exception:
            log.warning("could not record a failed login in the audit log", exc_info=True)
            return
        with self._lock:
            self._flush_later(key, _Window(row_id, now + self.window))

    def _flush_later(self, key: tuple[str, str | None], window: _Window) -> None:
        previous = self._windows.pop(key, None)
        if previous is not None and previous.pending:
            self._closed.append(previous)
        self._windows[key] = window
        while len(self._windows) > self._max_windows:
            _, oldest = self._windows.popitem(last=False)
            if oldest.pending:
                self._closed.append(oldest)

    def flush(self, state: ServiceState) -> int:
        """Write the counts gathered since the last flush; returns how many rows changed."""
        now = time.monotonic()
        with self._lock:
            counts = [(w.row_id, w.pending) for w in [*self._closed, *self._windows.values()]]
            counts = [(row, n) for row, n in counts if n]
            for window in self._windows.values():
                window.pending = 0
            self._closed.clear()
            for key in [k for k, w in self._windows.items() if w.until <= now]:
                del self._windows[key]
        if not counts:
            return 0
        try:
            table = AuditEvent.__table__
            with state.db.write() as session:
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("row"))
                    .values(count=table.c.count + bindparam("n")),
                    [{"row": row, "n": n} for row, n in counts],
                )
        except Exception:
            log.warning("could not write failed-login counts to the audit log", exc_info=True)
            return 0
        return len(counts)
