"""Registry settings: tag immutability (with its exclusions) and scan on push, effective
immediately."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.controlplane.views import SettingsView, Strict, settings_view
from cloudraya_registry.domain import registries
from cloudraya_registry.domain.globs import MAX_PATTERNS, TAG_GLOB_RULE
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
    tag_immutability_exclusions: list[str] | None = Field(
        default=None,
        max_length=MAX_PATTERNS,
        description=f"Tag globs that stay mutable while tag immutability is on ({TAG_GLOB_RULE}; "
        "for example `latest`, `dev-*`); `[]` removes them, null/absent keeps them.",
    )


@router.get(
    "/registries/{name}/settings",
    response_model=SettingsView,
    responses=error_responses(401, 404),
    summary="Read a registry's settings",
)
def get_settings(name: str, state: StateDep, caller: CallerDep) -> SettingsView:
    return settings_view(registries.get_row(state, caller, name))


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
    registry = registries.update_settings(
        state,
        caller,
        name,
        tag_immutability=body.tag_immutability,
        scan_on_push=body.scan_on_push,
        tag_immutability_exclusions=body.tag_immutability_exclusions,
    )
    return settings_view(registry)
