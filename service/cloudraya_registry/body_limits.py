"""How large a request body may be where bodies are small by nature, checked before anything
else reads it (authentication included): the token endpoint, the control plane and the
dashboard's forms. Blob uploads stream and manifests have their own 4 MiB bound.

A body announced larger is refused from its ``Content-Length`` alone, unread, by
:class:`AnnouncedBodyLimit`; a body without a length is read only up to the limit (Starlette's
request body limit, which FastAPI applies per router, and the token endpoint's own reader).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_REQUEST_BODY_BYTES = 64 * 1024
_MAX_LENGTH_DIGITS = 18


def too_large(limit: int = MAX_REQUEST_BODY_BYTES, where: str = "this endpoint") -> str:
    return (
        f"request body is larger than {limit} bytes ({limit // 1024} KiB), the most {where} accepts"
    )


def announced_length(scope: Scope) -> int | None:
    """The Content-Length of a request; None when absent, -1 when not a sane byte count."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.strip()
            if not text.isdigit() or len(text) > _MAX_LENGTH_DIGITS:
                return -1
            return int(text)
    return None


class AnnouncedBodyLimit:
    """Answers 413 (in the format of the path's API) when ``Content-Length`` is over the limit.

    ``refusals`` maps a path prefix to the response for it; other paths pass untouched.
    """

    def __init__(
        self,
        app: ASGIApp,
        refusals: dict[str, Callable[[], Response]],
        limit: int = MAX_REQUEST_BODY_BYTES,
    ) -> None:
        self.app = app
        self.refusals = refusals
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            refusal = next((r for p, r in self.refusals.items() if path.startswith(p)), None)
            length = announced_length(scope) if refusal is not None else None
            if refusal is not None and length is not None and (length > self.limit or length < 0):
                response = refusal()
                response.headers["Connection"] = "close"  # the body stays unread
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
