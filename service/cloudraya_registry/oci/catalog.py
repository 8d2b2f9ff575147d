"""``GET /v2/_catalog``: the repositories of the caller's own registry only."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from cloudraya_registry.db.models import Repository
from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.pagination import next_link, page_params


def _repositories(ctx: Context, n: int | None, last: str | None) -> tuple[list[str], bool]:
    registry = ctx.registry
    prefix = "" if ctx.host_registry else registry.name + "/"  # names as the client sends them
    with ctx.state.db.read() as session:
        query = (
            select(Repository.name)
            .where(Repository.registry_id == registry.id)
            .order_by(Repository.name)
        )
        if last is not None:
            path = last[len(prefix) :] if prefix and last.startswith(prefix) else last
            query = query.where(Repository.name > path)
        if n is not None:
            query = query.limit(n + 1)
        names = [prefix + name for name in session.scalars(query)]
    if n is not None and len(names) > n:
        return names[:n], True
    return names, False


async def list_catalog(ctx: Context) -> Response:
    n, last = page_params(ctx.request)
    if n == 0:
        return JSONResponse({"repositories": []})
    names, more = await in_thread(_repositories, ctx, n, last)
    headers = next_link("/v2/_catalog", n, names[-1]) if more and n else {}
    return JSONResponse({"repositories": names}, headers=headers)
