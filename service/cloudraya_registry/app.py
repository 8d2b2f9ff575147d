"""The ASGI application: control plane, data plane, health, errors and request logging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from cloudraya_registry import oci, operations, scanning, ui
from cloudraya_registry.body_limits import AnnouncedBodyLimit, too_large
from cloudraya_registry.controlplane import API_PREFIX, control_plane_router
from cloudraya_registry.errors import ErrorCode, error_response, install_error_handlers
from cloudraya_registry.housekeeping import Housekeeping
from cloudraya_registry.metrics import process_stopped
from cloudraya_registry.oci.token import too_large_form
from cloudraya_registry.request_log import RequestLogMiddleware
from cloudraya_registry.scanning.worker import ScanPool
from cloudraya_registry.state import ServiceState

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
API_DESCRIPTION = """\
Control plane of the CloudRaya Container Registry service.

Every request needs `Authorization: Bearer <api token>`; a token sees only its project's
registries (another project's registry answers 404). Every error answers
`{"error": {"code", "message", "details"?}}` with codes INVALID_ARGUMENT (400; 413 for a body
over 64 KiB), UNAUTHORIZED (401), NOT_FOUND (404), ALREADY_EXISTS (409), FAILED_PRECONDITION
(400/409), METHOD_NOT_ALLOWED (405), RESOURCE_EXHAUSTED (507: the storage is full) and INTERNAL
(500). Answers carrying a password or token say `Cache-Control: no-store`. Times are RFC 3339 in
UTC.
"""


@asynccontextmanager
async def _background_work(app: FastAPI) -> AsyncIterator[None]:
    """The worker pools, scan pool and housekeeping run exactly as long as the app serves."""
    state: ServiceState = app.state.service
    io_pool = ThreadPoolExecutor(state.config.io_threads, thread_name_prefix="io")
    asyncio.get_running_loop().set_default_executor(io_pool)
    state.scan_pool = ScanPool(state)
    state.housekeeping = Housekeeping(state)
    state.scan_pool.start(requeue_interrupted=not state.worker_process)
    state.housekeeping.start()
    try:
        yield
    finally:
        state.housekeeping.stop()
        state.scan_pool.stop()
        state.housekeeping = state.scan_pool = None
        state.password_checks.shutdown()
        process_stopped()


def create_app(state: ServiceState) -> FastAPI:
    app = FastAPI(
        title="CloudRaya Container Registry",
        version="1.0.0",
        description=API_DESCRIPTION,
        openapi_url=OPENAPI_PATH,
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=_background_work,
    )
    app.state.service = state
    install_error_handlers(app)
    oci.mount(app, state)  # the innermost middleware: the ones added below wrap it too
    app.add_middleware(
        AnnouncedBodyLimit,
        refusals={
            "/auth/token": lambda: too_large_form().response(),
            f"{API_PREFIX}/": lambda: error_response(
                413, ErrorCode.INVALID_ARGUMENT, too_large(where=API_PREFIX)
            ),
            ui.UI_PREFIX: ui.too_large_page,
        },
    )
    app.add_middleware(RequestLogMiddleware, metrics=state.metrics)
    operations.mount(app, state)
    app.include_router(control_plane_router())
    scanning.mount(app)
    ui.mount(app, state)
    app.openapi = lambda: _control_plane_openapi(app)  # type: ignore[method-assign]
    if state.config.trusted_proxies:
        # X-Forwarded-For/-Proto only from the configured proxies; from anyone else they are
        # ignored, so a client cannot choose the address throttles and the audit log see.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(state.config.trusted_proxies))
    return app


def _control_plane_openapi(app: FastAPI) -> dict[str, Any]:
    """The document of the JSON API only; FastAPI's 422 entries are replaced by our 400s."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema["paths"] = {
            path: item
            for path, item in schema.get("paths", {}).items()
            if path.startswith(API_PREFIX) or path in operations.PATHS
        }
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                operation.get("responses", {}).pop("422", None)
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
    return app.openapi_schema
