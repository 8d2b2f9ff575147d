"""Storage allocation: grow-only, in steps of 10 GB, effective at once (Resize Registry Storage)."""

from __future__ import annotations

from fastapi import APIRouter

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.controlplane.schemas import StorageGb
from cloudraya_registry.controlplane.views import RegistryView, Strict, registry_view
from cloudraya_registry.domain import registries
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["storage"])


class ResizeStorageRequest(Strict):
    storage_gb: StorageGb


@router.put(
    "/registries/{name}/storage",
    response_model=RegistryView,
    responses=error_responses(400, 401, 404, 409),
    summary="Resize a registry's storage",
    description="Storage only grows, in multiples of 10 GB. The same size is a no-op (200); a "
    "smaller size is refused with 409 FAILED_PRECONDITION naming the current size.",
)
def resize_storage(
    name: str, body: ResizeStorageRequest, state: StateDep, caller: CallerDep
) -> RegistryView:
    return registry_view(state, registries.resize_storage(state, caller, name, body.storage_gb))
