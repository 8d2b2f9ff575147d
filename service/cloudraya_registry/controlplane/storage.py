"""Storage allocation: grow-only, in steps of 10 GB, effective at once (Resize Registry Storage)."""

from __future__ import annotations

from fastapi import APIRouter

from cloudraya_registry.controlplane.auditing import record_success, refusals_audited
from cloudraya_registry.controlplane.deps import CallerDep, StateDep, load_registry
from cloudraya_registry.controlplane.schemas import STORAGE_STEP_GB, StorageGb
from cloudraya_registry.controlplane.views import RegistryView, Strict, registry_view
from cloudraya_registry.db.models import utcnow
from cloudraya_registry.errors import error_responses, failed_precondition

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
    with (
        refusals_audited(state, caller, "registry.storage.resize", name),
        state.db.write() as session,
    ):
        registry = load_registry(session, caller, name, lock=True)
        current = registry.storage_gb
        if body.storage_gb < current:
            raise failed_precondition(
                f"storage can only grow in steps of {STORAGE_STEP_GB} GB: {name} has "
                f"{current} GB; requested {body.storage_gb} GB",
                current_gb=current,
                requested_gb=body.storage_gb,
            )
        if body.storage_gb > current:
            registry.storage_gb = body.storage_gb
            registry.updated_at = utcnow()
            record_success(
                session,
                caller,
                "registry.storage.resize",
                name,
                details={"from_gb": current, "to_gb": body.storage_gb},
            )
            session.flush()
        return registry_view(session, state, registry)
