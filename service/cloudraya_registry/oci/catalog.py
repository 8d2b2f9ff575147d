"""``GET /v2/_catalog``: the repositories of the caller's own registry only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudraya_registry.db.models import Repository
from cloudraya_registry.oci.auth import Caller
from cloudraya_registry.oci.pagination import next_link, page_params
from cloudraya_registry.oci.streaming import in_thread

if TYPE_CHECKING:
    from cloudraya_registry.oci.router import DataPlane


def _repositories(
    plane: DataPlane, caller: Caller, n: int | None, last: str | None
) -> tuple[list[str], bool]:
    prefix = caller.registry.name + "/"
    with plane.state.db.read() as session:
        query = (
            select(Repository.name)
            .where(Repository.registry_id == caller.registry.id)
            .order_by(Repository.name)
        )
        if last is not None:
            path = last[len(prefix) :] if last.startswith(prefix) else last
            query = query.where(Repository.name > path)
        if n is not None:
            query = query.limit(n + 1)
        names = [prefix + name for name in session.scalars(query)]
    if n is not None and len(names) > n:
        return names[:n], True
    return names, False


async def list_catalog(plane: DataPlane, request: Request, caller: Caller) -> Response:
    n, last = page_params(request)
    if n == 0:
        return JSONResponse({"repositories": []})
    names, more = await in_thread(_repositories, plane, caller, n, last)
    headers = next_link("/v2/_catalog", n, names[-1]) if more and n else {}
    return JSONResponse({"repositories": names}, headers=headers)
