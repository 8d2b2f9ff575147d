"""The web dashboard (``/ui``): server-rendered pages over the domain layer the JSON API uses.

Integration: ``ui.mount(app, state)`` once, after the other routers. Pages are excluded from
the OpenAPI document; static files are served under ``/ui/static``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import fastapi

    from cloudraya_registry.state import ServiceState


def mount(app: fastapi.FastAPI, state: ServiceState) -> None:
    """Add the dashboard routes and its static files to ``app``."""
    from starlette.staticfiles import StaticFiles

    from cloudraya_registry.ui import artifact_routes, auth_routes, fallback, registry_routes
    from cloudraya_registry.ui.rendering import PACKAGE_DIR, STATIC_PREFIX
    from cloudraya_registry.ui.session import SessionStore

    # The routes read the state from app.state.service, like the control plane does.
    app.state.ui_sessions = SessionStore(state.db)
    app.mount(STATIC_PREFIX, StaticFiles(directory=PACKAGE_DIR / "static"), name="ui-static")
    for module in (auth_routes, artifact_routes, registry_routes, fallback):
        app.include_router(module.router)
