"""The web dashboard (``/ui``): server-rendered pages over the domain layer the JSON API uses.

Integration: ``ui.mount(app, state)`` once, after the other routers. Pages are excluded from
the OpenAPI document; static files are served under ``/ui/static``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse, Response

from cloudraya_registry.body_limits import MAX_REQUEST_BODY_BYTES, too_large

if TYPE_CHECKING:
    import fastapi

    from cloudraya_registry.state import ServiceState

UI_PREFIX = "/ui"


def too_large_page() -> Response:
    """Before any session is read: a plain page for a form far larger than any the UI has."""
    from markupsafe import escape

    from cloudraya_registry.ui.rendering import PAGE_HEADERS

    text = escape(too_large(where="a dashboard form"))
    return HTMLResponse(
        f"<!doctype html><title>Request too large</title><h1>Request too large</h1><p>{text}."
        '</p><p><a href="/ui/registries">Back to the registries</a></p>',
        status_code=413,
        headers=PAGE_HEADERS,
    )


def mount(app: fastapi.FastAPI, state: ServiceState) -> None:
    """Add the dashboard routes and its static files to ``app``."""
    from starlette.staticfiles import StaticFiles

    from cloudraya_registry.ui import (
        artifact_routes,
        auth_routes,
        fallback,
        lifecycle_routes,
        registry_routes,
    )
    from cloudraya_registry.ui.rendering import PACKAGE_DIR, STATIC_PREFIX
    from cloudraya_registry.ui.session import SessionStore

    # The routes read the state from app.state.service, like the control plane does.
    app.state.ui_sessions = SessionStore(state.db)
    app.mount(STATIC_PREFIX, StaticFiles(directory=PACKAGE_DIR / "static"), name="ui-static")
    for module in (auth_routes, artifact_routes, registry_routes, lifecycle_routes, fallback):
        app.include_router(module.router, max_body_size=MAX_REQUEST_BODY_BYTES)
