"""Vulnerability scanning of pushed images (Manage Registry: Vulnerability Scanning).

Integration points for the service:

- :func:`mount` adds the API routes and runs the scan pool for the app's lifetime;
- :func:`on_manifest_pushed` is called by the data plane after a manifest is stored;
- :func:`cloudraya_registry.scanning.cli.register` adds ``vulndb`` to the command line.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import fastapi

    from cloudraya_registry.scanning.worker import ScanPool
    from cloudraya_registry.state import ServiceState

_pool: ScanPool | None = None


def start(state: ServiceState) -> None:
    """Start the background scan pool (the schema migrations create the scanner's tables)."""
    global _pool
    from cloudraya_registry.scanning.worker import ScanPool

    if _pool is not None:
        return
    _pool = ScanPool(state)
    _pool.start()


def stop() -> None:
    """Stop the pool; scans cut short go back to the queue for the next start."""
    global _pool
    if _pool is not None:
        _pool.stop()
        _pool = None


def wake_pool() -> None:
    if _pool is not None:
        _pool.wake()


def on_manifest_pushed(state: ServiceState, manifest_id: int) -> None:
    """Cheap and non-blocking: wakes the pool, which queues the manifest on scan-on-push."""
    del state
    if _pool is not None:
        _pool.pushed(manifest_id)


def mount(app: fastapi.FastAPI, state: ServiceState) -> None:
    """Add the scanning routes under ``/api/v1`` and run the pool with the app's lifespan."""
    from fastapi import APIRouter

    from cloudraya_registry.scanning.api import router as scanning_router
    from cloudraya_registry.scanning.limits import ScanLimits
    from cloudraya_registry.scanning.worker import pool_size_from_env

    # a bad CLOUDRAYA_SCAN_* setting stops the service at start-up with a clear message
    ScanLimits.from_env()
    pool_size_from_env()

    router = APIRouter(prefix="/api/v1")
    router.include_router(scanning_router)
    before = len(app.router.routes)
    app.include_router(router)
    # ahead of the control plane's `{repository:path}` routes, which would swallow these paths
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added

    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: fastapi.FastAPI):
        async with outer(app_) as value:
            start(state)
            try:
                yield value
            finally:
                stop()

    app.router.lifespan_context = lifespan
