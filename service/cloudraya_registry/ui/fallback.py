"""Any other ``/ui`` path: an HTML 404 page (mounted last, after every dashboard route)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cloudraya_registry.ui.rendering import UI_PREFIX, UiRoute, error_page

router = APIRouter(route_class=UiRoute, include_in_schema=False)


@router.api_route(f"{UI_PREFIX}/{{rest:path}}", methods=["GET", "POST"])
def not_found(request: Request, rest: str) -> Response:
    del rest
    return error_page(
        request, 404, "Not found", f"There is no dashboard page at {request.url.path}."
    )
