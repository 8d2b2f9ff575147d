"""Vulnerability scanning of pushed images (Manage Registry: Vulnerability Scanning).

Integration points for the service:

- :func:`mount` adds the API routes under ``/api/v1``;
- :class:`~cloudraya_registry.scanning.worker.ScanPool` runs scans in the background for the
  app's lifetime (``ServiceState.scan_pool``); the data plane's scan-on-push step hands it
  each newly pushed manifest;
- :func:`cloudraya_registry.scanning.cli.register` adds ``vulndb`` to the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import fastapi


def mount(app: fastapi.FastAPI) -> None:
    """Add the scanning routes under ``/api/v1``."""
    from fastapi import APIRouter

    from cloudraya_registry.body_limits import MAX_REQUEST_BODY_BYTES
    from cloudraya_registry.scanning.api import router as scanning_router

    router = APIRouter(prefix="/api/v1", max_body_size=MAX_REQUEST_BODY_BYTES)
    router.include_router(scanning_router)
    before = len(app.router.routes)
    app.include_router(router)
    # ahead of the control plane's `{repository:path}` routes, which would swallow these paths
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added
