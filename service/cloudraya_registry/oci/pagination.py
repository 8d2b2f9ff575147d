"""``n``/``last`` pagination with an RFC 5988 ``Link`` header, shared by tags and catalog."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from cloudraya_registry.oci.errors import OciError

MAX_PAGE = 10_000


def page_params(request: Request) -> tuple[int | None, str | None]:
    raw_n = request.query_params.get("n")
    n: int | None = None
    if raw_n is not None and raw_n != "":
        if not raw_n.isdigit():
            raise OciError(
                "UNSUPPORTED",
                f"n={raw_n!r} is not a non-negative integer",
                status=400,
                detail={"n": raw_n},
            )
        n = min(int(raw_n), MAX_PAGE)
    last = request.query_params.get("last") or None
    return n, last


def next_link(path: str, n: int, last: str) -> dict[str, str]:
    return {"Link": f'<{path}?{urlencode({"n": n, "last": last})}>; rel="next"'}
