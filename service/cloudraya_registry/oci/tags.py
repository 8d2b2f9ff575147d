"""``GET /v2/<name>/tags/list`` with ``n``/``last`` pagination."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from cloudraya_registry.db.models import Tag
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.metadata import find_repository
from cloudraya_registry.oci.pagination import next_link, page_params
from cloudraya_registry.oci.streaming import in_thread

if TYPE_CHECKING:
    from cloudraya_registry.oci.router import Context


def _tags(ctx: Context, n: int | None, last: str | None) -> tuple[list[str], bool]:
    with ctx.state.db.read() as session:
        repository = find_repository(session, ctx.registry.id, ctx.repo.path)
        if repository is None:
            raise OciError(
                "NAME_UNKNOWN",
                f"repository {ctx.repo.full} is not known",
                detail={"name": ctx.repo.full},
            )
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
        return JSONResponse({"name": ctx.repo.full, "tags": []})
    names, more = await in_thread(_tags, ctx, n, last)
    headers = next_link(f"/v2/{ctx.repo.full}/tags/list", n, names[-1]) if more and n else {}
    return JSONResponse({"name": ctx.repo.full, "tags": names}, headers=headers)
