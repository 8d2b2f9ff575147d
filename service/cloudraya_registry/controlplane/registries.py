"""Registries: create, read, list and delete (Manage Registry, Delete Registry pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, NoStore, StateDep
from cloudraya_registry.controlplane.schemas import NewPassword, StorageGb
from cloudraya_registry.controlplane.views import RegistryView, Strict, registry_view
from cloudraya_registry.domain import registries
from cloudraya_registry.domain.names import REGISTRY_NAME_PATTERN, REGISTRY_NAME_RULE
from cloudraya_registry.errors import error_responses, explain_pattern

router = APIRouter(tags=["registries"])
explain_pattern(REGISTRY_NAME_PATTERN, REGISTRY_NAME_RULE)


class CreateRegistryRequest(Strict):
    name: str = Field(
        pattern=REGISTRY_NAME_PATTERN,
        description=(
            "DNS label, unique across the service: 3-63 lower-case letters, digits and "
            "hyphens, starting with a letter, not ending with a hyphen. Also the username."
        ),
    )
    password: NewPassword | None = Field(
        default=None, description="Generated (32 characters) when absent or null."
    )
    storage_gb: StorageGb = 10


class CreatedRegistryView(RegistryView):
    password: str = Field(description="The registry password in plain text, returned only here.")


class RegistryList(Strict):
    registries: list[RegistryView]


@router.post(
    "/registries",
    status_code=201,
    response_model=CreatedRegistryView,
    responses=error_responses(400, 401, 409),
    summary="Create a registry",
    description="Creates a registry in the caller's project. A name already used by any "
    "registry of the service is refused with 409 ALREADY_EXISTS (endpoints are global). "
    "The answer carries the password: `Cache-Control: no-store`.",
    dependencies=[NoStore],
)
def create_registry(
    body: CreateRegistryRequest, state: StateDep, caller: CallerDep
) -> CreatedRegistryView:
    created = registries.create(state, caller, body.name, body.password, body.storage_gb)
    view = registry_view(state, created.details)
    return CreatedRegistryView(**view.model_dump(), password=created.password)


@router.get(
    "/registries",
    response_model=RegistryList,
    responses=error_responses(401),
    summary="List the project's registries",
)
def list_registries(state: StateDep, caller: CallerDep) -> RegistryList:
    return RegistryList(
        registries=[registry_view(state, d) for d in registries.list_all(state, caller)]
    )


@router.get(
    "/registries/{name}",
    response_model=RegistryView,
    responses=error_responses(401, 404),
    summary="Read a registry",
)
def get_registry(name: str, state: StateDep, caller: CallerDep) -> RegistryView:
    return registry_view(state, registries.get(state, caller, name))


@router.delete(
    "/registries/{name}",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Deleted."}, **error_responses(400, 401, 404)},
    summary="Delete a registry and everything in it",
    description="Irreversible. `confirm` must equal the registry name exactly; otherwise 400 "
    "and nothing is touched. Removes the repositories, images, tags, scan data and the "
    "credential; blobs no other registry references are removed from disk. The registry's "
    "endpoint then answers 401/404. The audit log of the name stays readable.",
)
def delete_registry(
    name: str,
    state: StateDep,
    caller: CallerDep,
    confirm: Annotated[
        str,
        Query(description="The exact name of the registry, to confirm the deletion."),
    ],
) -> Response:
    registries.delete(state, caller, name, confirm)
    return Response(status_code=204)
