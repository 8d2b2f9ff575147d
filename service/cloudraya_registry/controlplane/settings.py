"""Registry settings: tag immutability and scan on push, effective immediately."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from cloudraya_registry.controlplane.auditing import record_success
from cloudraya_registry.controlplane.deps import CallerDep, StateDep, load_registry
from cloudraya_registry.controlplane.views import SettingsView, Strict, settings_view
from cloudraya_registry.db.models import utcnow
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["settings"])

OptionalFlag = Annotated[bool | None, Field(strict=True)]


class UpdateSettingsRequest(Strict):
    tag_immutability: OptionalFlag = Field(
        default=None,
        description="Refuse pushes that would move an existing tag; null/absent keeps it.",
    )
    scan_on_push: OptionalFlag = Field(
        default=None, description="Queue a scan of every pushed image; null/absent keeps it."
    )


@router.get(
    "/registries/{name}/settings",
    response_model=SettingsView,
    responses=error_responses(401, 404),
    summary="Read a registry's settings",
)
def get_settings(name: str, state: StateDep, caller: CallerDep) -> SettingsView:
    with state.db.read() as session:
        return settings_view(load_registry(session, caller, name))


@router.patch(
    "/registries/{name}/settings",
    response_model=SettingsView,
    responses=error_responses(400, 401, 404),
    summary="Change a registry's settings",
    description="Only the given fields change; the next push or pull already sees them.",
)
def update_settings(
    name: str, body: UpdateSettingsRequest, state: StateDep, caller: CallerDep
) -> SettingsView:
    with state.db.write() as session:
        registry = load_registry(session, caller, name, lock=True)
        changes = {
            field: value
            for field, value in body.model_dump(exclude_none=True).items()
            if getattr(registry, field) != value
        }
        if changes:
            for field, value in changes.items():
                setattr(registry, field, value)
            registry.updated_at = utcnow()
            record_success(session, caller, "registry.settings.update", name, details=changes)
            session.flush()
        return settings_view(registry)
