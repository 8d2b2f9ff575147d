"""ASGI middleware: a request id for every request, one structured log line per response and
the request metrics (:mod:`cloudraya_registry.metrics`) from the same figures.

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

from cloudraya_registry.metrics import ServiceMetrics

log = logging.getLogger("cloudraya_registry.http")

REQUEST_ID_HEADER = b"x-request-id"
# A handler that matches paths itself (the data plane) names the template it matched here.
ROUTE_TEMPLATE_KEY = "route_template"
_CLIENT_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

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
            seconds = time.perf_counter() - started
            method = scope.get("method", "")
            route = route_template(scope)
            self.metrics.observe_request(method, route, status, seconds, bytes_in, bytes_out)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
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
    named = (scope.get("state") or {}).get(ROUTE_TEMPLATE_KEY)
    if named:
        return named
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
