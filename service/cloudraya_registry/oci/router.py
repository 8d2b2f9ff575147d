"""Dispatch of ``/v2/...`` requests: find the route of the path's API area and method, run its
policy steps around its handler, and turn every failure into an OCI error body.

Repository names contain slashes, so the path is matched here (areas in order, the repository
name greedy) rather than by framework routes, on the raw path as the client sent it.
"""

from __future__ import annotations

import logging
import re

import fastapi
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cloudraya_registry.db.locks import UploadLocks
from cloudraya_registry.domain.changes import run_follow_ups
from cloudraya_registry.domain.errors import DomainError
from cloudraya_registry.endpoints import registry_of_host
from cloudraya_registry.executors import in_thread
from cloudraya_registry.faults import STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS, storage_full
from cloudraya_registry.oci import token
from cloudraya_registry.oci.auth import Authenticator
from cloudraya_registry.oci.context import Context, DataPlaneServices
from cloudraya_registry.oci.errors import API_VERSION_HEADER, OciError, error_response, from_domain
from cloudraya_registry.oci.names import parse_repository_name
from cloudraya_registry.oci.numbers import byte_count
from cloudraya_registry.oci.routes import ROUTES
from cloudraya_registry.request_log import ROUTE_TEMPLATE_KEY
from cloudraya_registry.state import ServiceState
from cloudraya_registry.storage import UploadMissingError

log = logging.getLogger(__name__)

# Path after /v2/ -> API area (and its parameters); the first match wins.
_AREAS: list[tuple[str, re.Pattern[str]]] = [
    ("base", re.compile(r"^$")),
    ("catalog", re.compile(r"^_catalog/?$")),
    ("tags", re.compile(r"^(?P<name>.+)/tags/list$")),
    ("manifest", re.compile(r"^(?P<name>.+)/manifests/(?P<reference>[^/]+)$")),
    ("uploads", re.compile(r"^(?P<name>.+)/blobs/uploads/?$")),
    ("upload", re.compile(r"^(?P<name>.+)/blobs/uploads/(?P<upload_id>[^/]+)$")),
    ("blob", re.compile(r"^(?P<name>.+)/blobs/(?P<digest>[^/]+)$")),
    ("referrers", re.compile(r"^(?P<name>.+)/referrers/(?P<digest>[^/]+)$")),
]
# How logs and metrics name each area's route (the path with its parameters unfilled).
_TEMPLATES = {
    "base": "/v2/",
    "catalog": "/v2/_catalog",
    "tags": "/v2/{name}/tags/list",
    "manifest": "/v2/{name}/manifests/{reference}",
    "uploads": "/v2/{name}/blobs/uploads/",
    "upload": "/v2/{name}/blobs/uploads/{upload_id}",
    "blob": "/v2/{name}/blobs/{digest}",
    "referrers": "/v2/{name}/referrers/{digest}",
}
_DRAIN_LIMIT_BYTES = 8 * 1024 * 1024
TOKEN_PATH = "/auth/token"


class DataPlane:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.services = DataPlaneServices(
            auth=Authenticator(state), upload_locks=UploadLocks(state.db)
        )

    def install(self, app: fastapi.FastAPI) -> None:
        """Serve ``/v2`` and ``/auth/token`` ahead of the framework's router.

        The data plane matches its own paths (see ``_dispatch``) and turns every failure into
        an OCI error itself, so its requests skip the framework's route matching over every
        control-plane and dashboard route, which cost more than the data plane's own work on a
        manifest GET. It sits inside the other middlewares: request log, metrics, body limits
        and proxy headers apply as before.
        """
        app.add_middleware(DataPlaneFront, data_plane=self)

    async def handle_token(self, request: Request) -> Response:
        request.scope.setdefault("state", {})[ROUTE_TEMPLATE_KEY] = TOKEN_PATH
        if request.method not in ("GET", "POST"):
            return _method_not_allowed(["GET", "POST"]).response(head=request.method == "HEAD")
        try:
            host_registry = registry_of_host(self.state.config, request.headers.get("host"))
            return await token.issue(self.state, self.services.auth, request, host_registry)
        except (OciError, DomainError) as error:
            response = _oci_error(error).response()
            await _drain_unread_body(request, response)
            return response

    async def handle(self, request: Request) -> Response:
        head = request.method == "HEAD"
        try:
            response = await self._dispatch(request)
        except (OciError, DomainError) as error:
            response = _oci_error(error).response(head=head)
            await _drain_unread_body(request, response)
        except UploadMissingError:
            response = error_response(
                "BLOB_UPLOAD_UNKNOWN",
                "the upload's data is gone (cancelled, finished or abandoned); start a new upload",
                404,
                head=head,
            )
        except IntegrityError:
            # Rows this request relied on vanished under it (e.g. the registry was deleted).
            log.warning("data-plane request lost a race: %s %s", request.method, request.url.path)
            response = error_response(
                "NAME_UNKNOWN",
                "the registry or repository changed while the request ran (deleted?); retry",
                404,
                head=head,
            )
        except ClientDisconnect:
            response = error_response(
                "BLOB_UPLOAD_INVALID", "the client closed the connection mid-request", 400
            )
        except Exception as error:
            if storage_full(error):
                log.error("storage full: %s %s refused", request.method, request.url.path)
                response = error_response(
                    "UNKNOWN", STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS, head=head
                )
                await _drain_unread_body(request, response)
            else:
                log.exception("data-plane request failed: %s %s", request.method, request.url.path)
                response = error_response(
                    "UNKNOWN", "internal error; the request was not completed", 500, head=head
                )
        response.headers.update(API_VERSION_HEADER)
        return response

    async def _dispatch(self, request: Request) -> Response:
        rest = _raw_path(request)[len("/v2") :].lstrip("/")
        for area, pattern in _AREAS:
            match = pattern.match(rest)
            if match is None:
                continue
            request.scope.setdefault("state", {})[ROUTE_TEMPLATE_KEY] = _TEMPLATES[area]
            params = match.groupdict()
            name = params.pop("name", None)
            host_registry = registry_of_host(self.state.config, request.headers.get("host"))
            repo = parse_repository_name(name, host_registry) if name is not None else None
            route = ROUTES.get((area, request.method))
            if route is None:
                allowed = sorted(m for (a, m) in ROUTES if a == area)
                raise _method_not_allowed(allowed)
            ctx = Context(self.state, self.services, request, route, repo, params, host_registry)
            for step in route.before:
                await step(ctx)
            response = await route.handler(ctx)
            if ctx.outcomes and route.follow_ups:
                for outcome in ctx.outcomes:
                    run_follow_ups(route.quick_follow_ups, self.state, outcome)
                    if route.blocking_follow_ups:
                        await in_thread(
                            run_follow_ups, route.blocking_follow_ups, self.state, outcome
                        )
            return response
        raise OciError(
            "NAME_UNKNOWN",
            f"no data-plane endpoint at /v2/{rest}; see the OCI distribution spec for the API",
            detail={"path": f"/v2/{rest}"},
        )


class DataPlaneFront:
    """ASGI middleware handing ``/v2...`` and ``/auth/token`` to the data plane directly."""

    def __init__(self, app: ASGIApp, data_plane: DataPlane) -> None:
        self.app = app
        self.data_plane = data_plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/v2" or path.startswith("/v2/"):
                handler = self.data_plane.handle
            elif path == TOKEN_PATH:
                handler = self.data_plane.handle_token
            else:
                handler = None
            if handler is not None:
                response = await handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _raw_path(request: Request) -> str:
    """The path as sent, still percent-encoded: names, tags and digests are checked on it, so
    ``v1%0A`` is not a tag and ``%2F`` not a separator (no OCI name contains ``%``)."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def _oci_error(error: OciError | DomainError) -> OciError:
    return from_domain(error) if isinstance(error, DomainError) else error


async def _drain_unread_body(request: Request, response: Response) -> None:
    """Read what is left of a refused request's body so the connection can be reused.

    Answering without reading the body would leave bytes in the socket and the connection is
    reset under the client; a large body is not worth reading, so that connection is closed.
    """
    if getattr(request, "_stream_consumed", False):
        return
    length = request.headers.get("content-length")
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    if not chunked and (length is None or length == "0"):
        return
    announced = byte_count(length) if length is not None else None
    if length is not None and (announced is None or announced > _DRAIN_LIMIT_BYTES):
        response.headers["Connection"] = "close"
        return
    drained = 0
    try:
        async for chunk in request.stream():
            drained += len(chunk)
            if drained > _DRAIN_LIMIT_BYTES:
                response.headers["Connection"] = "close"
                return
    except (ClientDisconnect, RuntimeError):
        response.headers["Connection"] = "close"


def _method_not_allowed(allowed: list[str]) -> OciError:
    return OciError(
        "UNSUPPORTED",
        f"method not allowed here; allowed: {', '.join(allowed)}",
        status=405,
        headers={"Allow": ", ".join(allowed)},
    )
