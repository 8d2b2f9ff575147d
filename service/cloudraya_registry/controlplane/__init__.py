"""The JSON control plane (``/api/v1``): one module per concept of the product documentation."""

from __future__ import annotations

from fastapi import APIRouter

from cloudraya_registry.body_limits import MAX_REQUEST_BODY_BYTES
from cloudraya_registry.controlplane import (
    api_tokens,
    audit_log,
    credentials,
    push_command,
    registries,
    repositories,
    retention,
    scoped_credentials,
    settings,
    storage,
)

API_PREFIX = "/api/v1"


def control_plane_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, max_body_size=MAX_REQUEST_BODY_BYTES)
    for module in (
        registries,
        storage,
        settings,
        credentials,
        scoped_credentials,
        retention,
        repositories,
        push_command,
        audit_log,
        api_tokens,
    ):
        router.include_router(module.router)
    return router
