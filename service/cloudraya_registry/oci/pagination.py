"""``n``/``last`` pagination with an RFC 5988 ``Link`` header, shared by tags and catalog."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from cloudraya_registry.oci.errors import OciError

MAX_PAGE = 10_000
MAX_LAST_LENGTH = 255


def page_params(request: Request) -> tuple[int | None, str | None]:
    raw_n = request.query_params.get("n")
    n: int | None = None
    if raw_n is not None and raw_n != "":
        if not raw_n.isascii() or not raw_n.isdigit():
            raise OciError(
                "UNSUPPORTED",
                f"n={raw_n[:40]!r} is not a non-negative integer",
                status=400,
                detail={"n": raw_n[:40]},
            )
        # Any page larger than MAX_PAGE is MAX_PAGE (without parsing a huge number).
        n = MAX_PAGE if len(raw_n) > 6 else min(int(raw_n), MAX_PAGE)
    last = request.query_params.get("last") or None
    if last is not None and len(last) > MAX_LAST_LENGTH:
        raise OciError(
            "UNSUPPORTED",
            f"last= is {len(last)} characters; names and tags are at most {MAX_LAST_LENGTH}",
            status=400,
        )
    return n, last


def next_link(path: str, n: int, last: str) -> dict[str, str]:
    return {"Link": f'<{path}?{urlencode({"n": n, "last": last})}>; rel="next"'}
