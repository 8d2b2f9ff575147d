"""Registries: create, read, list and delete (Manage Registry, Delete Registry pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloudraya_registry.controlplane.auditing import record_success, refusals_audited
from cloudraya_registry.controlplane.deps import (
    REGISTRY_NAME_PATTERN,
    CallerDep,
    StateDep,
    load_registry,
)
from cloudraya_registry.controlplane.purge import (
    collect_garbage_later,
    digests_of,
    purge_unreferenced,
    repository_ids_of,
)
from cloudraya_registry.controlplane.schemas import NewPassword, StorageGb
from cloudraya_registry.controlplane.views import RegistryView, Strict, registry_view
from cloudraya_registry.db.models import Registry
from cloudraya_registry.errors import (
    ApiError,
    ErrorCode,
    error_responses,
    failed_precondition,
    invalid_argument,
)
from cloudraya_registry.security.passwords import generate_password, hash_password

router = APIRouter(tags=["registries"])


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
    "registry of the service is refused with 409 ALREADY_EXISTS (endpoints are global).",
)
def create_registry(
    body: CreateRegistryRequest, state: StateDep, caller: CallerDep
) -> CreatedRegistryView:
    password = body.password or generate_password()
    password_hash = hash_password(password)
    with refusals_audited(state, caller, "registry.create", body.name):
        try:
            with state.db.write() as session:
                if session.scalar(select(Registry.id).where(Registry.name == body.name)):
                    raise _already_exists(body.name)
                registry = Registry(
                    project_id=caller.project_id,
                    name=body.name,
                    password_hash=password_hash,
                    storage_gb=body.storage_gb,
                )
                session.add(registry)
                session.flush()
                record_success(
                    session,
                    caller,
                    "registry.create",
                    body.name,
                    details={
                        "storage_gb": body.storage_gb,
                        "password": "given" if body.password else "generated",
                    },
                )
                view = registry_view(session, state, registry)
        except IntegrityError as exc:  # a concurrent create of the same name won the race
            raise _already_exists(body.name) from exc
    return CreatedRegistryView(**view.model_dump(), password=password)


def _already_exists(name: str) -> ApiError:
    return ApiError(
        409,
        ErrorCode.ALREADY_EXISTS,
        f"a registry named {name!r} already exists; registry names are unique across the "
        "service, choose another name",
    )


@router.get(
    "/registries",
    response_model=RegistryList,
    responses=error_responses(401),
    summary="List the project's registries",
)
def list_registries(state: StateDep, caller: CallerDep) -> RegistryList:
    with state.db.read() as session:
        rows = session.scalars(
            select(Registry).where(Registry.project_id == caller.project_id).order_by(Registry.name)
        ).all()
        return RegistryList(registries=[registry_view(session, state, r) for r in rows])


@router.get(
    "/registries/{name}",
    response_model=RegistryView,
    responses=error_responses(401, 404),
    summary="Read a registry",
)
def get_registry(name: str, state: StateDep, caller: CallerDep) -> RegistryView:
    with state.db.read() as session:
        return registry_view(session, state, load_registry(session, caller, name))


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
    background: BackgroundTasks,
    confirm: Annotated[
        str,
        Query(description="The exact name of the registry, to confirm the deletion."),
    ],
) -> Response:
    with refusals_audited(state, caller, "registry.delete", name), state.db.write() as session:
        registry = load_registry(session, caller, name, lock=True)
        if not confirm:
            raise invalid_argument(
                f"confirm: is required; deleting registry {name!r} removes all its "
                f"repositories and images, pass confirm={name} to proceed"
            )
        if confirm != name:
            raise failed_precondition(
                f"confirm must be exactly the registry name {name!r}; nothing was deleted",
                status_code=400,
            )
        digests = digests_of(session, repository_ids_of(session, registry.id))
        record_success(session, caller, "registry.delete", name)
        session.delete(registry)
    purge_unreferenced(state, digests)
    collect_garbage_later(state, background, reason=f"registry {name} deleted")
    return Response(status_code=204)
