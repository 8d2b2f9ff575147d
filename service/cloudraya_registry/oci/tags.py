"""``GET /v2/<name>/tags/list`` with ``n``/``last`` pagination."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from cloudraya_registry.db.models import Tag
from cloudraya_registry.domain import repositories
from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.pagination import next_link, page_params


def _tags(ctx: Context, n: int | None, last: str | None) -> tuple[list[str], bool]:
    with ctx.state.db.read() as session:
        repository = repositories.load(session, ctx.registry.id, ctx.registry.name, ctx.path)
        query = select(Tag.name).where(Tag.repository_id == repository.id).order_by(Tag.name)
        if last is not None:
            query = query.where(Tag.name > last)
        if n is not None:
            query = query.limit(n + 1)
        names = list(session.scalars(query))
    if n is not None and len(names) > n:
        return names[:n], True
    return names, False


async def list_tags(ctx: Context) -> Response:
    n, last = page_params(ctx.request)
    if n == 0:
        return JSONResponse({"name": ctx.repo.sent, "tags": []})
    names, more = await in_thread(_tags, ctx, n, last)
    headers = next_link(f"/v2/{ctx.repo.sent}/tags/list", n, names[-1]) if more and n else {}
    return JSONResponse({"name": ctx.repo.sent, "tags": names}, headers=headers)
