"""The audit log of a registry: who changed what, when, from where, and with what outcome."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.domain import audit
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["audit"])

MAX_EVENT_ID = 2**31 - 1


class AuditEventView(Strict):
    id: int
    time: Timestamp
    actor: str = Field(description="Name of the API token, or the registry user on the data plane.")
    action: str = Field(description="e.g. `registry.create`, `registry.storage.resize`.")
    target: str | None
    source_ip: str | None
    outcome: Literal["success", "failure"]
    details: dict[str, Any] | None
    count: int = Field(
        description="Attempts this event stands for: repeated failed logins from one address "
        "are counted in one event per minute, not recorded one by one."
    )


class AuditEventList(Strict):
    events: list[AuditEventView]
    next_before: int | None = Field(
        description="Pass as `before` to read the next (older) page; null on the last page."
    )


def audit_event_list(page: list, next_before: int | None) -> AuditEventList:
    return AuditEventList(
        events=[
            AuditEventView(
                id=e.id,
                time=e.time,
                actor=e.actor,
                action=e.action,
                target=e.target,
                source_ip=e.source_ip,
                outcome="failure" if e.outcome == "failure" else "success",
                details=e.details,
                count=e.count or 1,
            )
            for e in page
        ],
        next_before=next_before,
    )


@router.get(
    "/registries/{name}/audit",
    response_model=AuditEventList,
    responses=error_responses(400, 401, 404),
    summary="Read a registry's audit log",
    description="Newest first. Events outlive the registry: after a deletion the log of the "
    "name stays readable by its project (404 only when the project never had events for it).",
)
def read_audit_log(
    name: str,
    state: StateDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE, description="Page size.")] = 100,
    before: Annotated[
        int | None,
        Query(ge=1, le=MAX_EVENT_ID, description="Only events with an id below this one."),
    ] = None,
) -> AuditEventList:
    return audit_event_list(*audit.read_log(state, caller, name, limit, before))
