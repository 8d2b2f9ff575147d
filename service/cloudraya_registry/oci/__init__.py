"""The OCI Distribution API (``/v2/...``) and the Docker token endpoint (``/auth/token``)."""

from __future__ import annotations

import fastapi

from cloudraya_registry.state import ServiceState


def mount(app: fastapi.FastAPI, state: ServiceState) -> None:
    """Add the data-plane routes to ``app``; they are plain Starlette routes, not in OpenAPI."""
    from cloudraya_registry.oci.router import DataPlane

    DataPlane(state).install(app)
