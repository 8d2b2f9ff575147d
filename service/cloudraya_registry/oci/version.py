"""``GET /v2/``: the API version check clients make before (and to trigger) logging in."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from cloudraya_registry.oci.context import Context


async def api_version(ctx: Context) -> Response:
    return Response(media_type="application/json") if ctx.head else JSONResponse({})
