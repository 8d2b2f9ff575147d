"""ASGI middleware: a request id for every request and one structured log line per response.

Logged: request id, method, route template, status, duration, bytes in/out, client address.
Never logged: headers (Authorization among them), query strings, bodies. Pure ASGI (not
BaseHTTPMiddleware) so streamed blob bodies pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("cloudraya_registry.http")

REQUEST_ID_HEADER = b"x-request-id"
_CLIENT_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        bytes_in = 0
        bytes_out = 0

        async def counting_receive() -> Message:
            nonlocal bytes_in
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status, bytes_out
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    h for h in message.get("headers", []) if h[0].lower() != REQUEST_ID_HEADER
                ]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                bytes_out += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        finally:
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "route": route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "bytes_in": bytes_in,
                    "bytes_out": bytes_out,
                    "client_ip": client[0] if client else None,
                },
            )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == REQUEST_ID_HEADER and _CLIENT_REQUEST_ID.match(value):
            return value.decode()
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route with its parameters unfilled, e.g. ``/api/v1/registries/{name}``.

    Rebuilt from the path and the matched path parameters, because routes of included
    routers do not know their prefix. Unmatched paths are not logged verbatim.
    """
    if "endpoint" not in scope:
        return "<unmatched>"
    template = scope.get("path", "")
    params = scope.get("path_params") or {}
    for name, value in sorted(params.items(), key=lambda item: -len(str(item[1]))):
        value = str(value)
        if not value:
            continue
        head, sep, tail = template.rpartition("/" + value)
        if sep:
            template = f"{head}/{{{name}}}{tail}"
    return template
