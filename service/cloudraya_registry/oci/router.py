"""Dispatch of ``/v2/...`` requests to the handler of each API area, after name and access checks.

Repository names contain slashes, so the path is matched here (longest name first) rather than
by framework routes; every failure becomes an OCI error body, never a framework default.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import fastapi
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from cloudraya_registry.oci import blobs, catalog, manifests, referrers, tags, token, uploads
from cloudraya_registry.oci.auth import Authenticator, Caller, FailedCredential
from cloudraya_registry.oci.errors import API_VERSION_HEADER, OciError, error_response
from cloudraya_registry.oci.names import RepositoryName, parse_repository_name
from cloudraya_registry.oci.streaming import in_thread
from cloudraya_registry.oci.throttle import FailureThrottle
from cloudraya_registry.state import ServiceState
from cloudraya_registry.storage import UploadMissingError

log = logging.getLogger(__name__)

_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("tags", re.compile(r"^(?P<name>.+)/tags/list$")),
    ("manifest", re.compile(r"^(?P<name>.+)/manifests/(?P<reference>[^/]+)$")),
    ("uploads", re.compile(r"^(?P<name>.+)/blobs/uploads/?$")),
    ("upload", re.compile(r"^(?P<name>.+)/blobs/uploads/(?P<upload_id>[^/]+)$")),
    ("blob", re.compile(r"^(?P<name>.+)/blobs/(?P<digest>[^/]+)$")),
    ("referrers", re.compile(r"^(?P<name>.+)/referrers/(?P<digest>[^/]+)$")),
]


@dataclass
class Context:
    """Everything a handler needs about one authorised request."""

    plane: DataPlane
    request: Request
    caller: Caller
    repo: RepositoryName
    params: dict[str, str]

    @property
    def state(self) -> ServiceState:
        return self.plane.state

    @property
    def registry(self):
        return self.caller.registry


Handler = Callable[[Context], Awaitable[Response]]

# (area, method) -> (handler, action the caller needs)
_HANDLERS: dict[tuple[str, str], tuple[Handler, str]] = {
    ("tags", "GET"): (tags.list_tags, "pull"),
    ("manifest", "GET"): (manifests.get_manifest, "pull"),
    ("manifest", "HEAD"): (manifests.get_manifest, "pull"),
    ("manifest", "PUT"): (manifests.put_manifest, "push"),
    ("manifest", "DELETE"): (manifests.delete_manifest, "delete"),
    ("uploads", "POST"): (uploads.start_upload, "push"),
    ("upload", "GET"): (uploads.upload_status, "push"),
    ("upload", "PATCH"): (uploads.patch_upload, "push"),
    ("upload", "PUT"): (uploads.finish_upload, "push"),
    ("upload", "DELETE"): (uploads.cancel_upload, "push"),
    ("blob", "GET"): (blobs.get_blob, "pull"),
    ("blob", "HEAD"): (blobs.get_blob, "pull"),
    ("blob", "DELETE"): (blobs.delete_blob, "delete"),
    ("referrers", "GET"): (referrers.list_referrers, "pull"),
}
GC_DELAY_SECONDS = 2.0
_DRAIN_LIMIT_BYTES = 8 * 1024 * 1024
_SCOPE_ACTIONS = {"pull": "pull", "push": "pull,push", "delete": "delete"}
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class DataPlane:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.auth = Authenticator(state)
        self.throttle = FailureThrottle()
        self.upload_locks = uploads.UploadLocks()
        self._gc_task: asyncio.Task | None = None

    def collect_garbage_soon(self) -> None:
        """Run the garbage collector shortly after data-plane deletes (bursts coalesce)."""
        if self._gc_task is not None and not self._gc_task.done():
            return
        self._gc_task = asyncio.get_running_loop().create_task(self._collect_garbage())

    async def _collect_garbage(self) -> None:
        from cloudraya_registry.gc import collect_garbage

        await asyncio.sleep(GC_DELAY_SECONDS)
        try:
            await in_thread(collect_garbage, self.state)
        except Exception:
            log.exception("garbage collection after a delete failed; it runs again later")

    def install(self, app: fastapi.FastAPI) -> None:
        for path in ("/v2", "/v2/"):
            app.router.add_route(path, self.handle, methods=_METHODS, include_in_schema=False)
        app.router.add_route(
            "/v2/{rest:path}", self.handle, methods=_METHODS, include_in_schema=False
        )
        app.router.add_route(
            "/auth/token", self.handle_token, methods=["GET", "POST"], include_in_schema=False
        )

    async def handle_token(self, request: Request) -> Response:
        try:
            return await token.issue(self, request)
        except OciError as error:
            return error.response()

    async def handle(self, request: Request) -> Response:
        head = request.method == "HEAD"
        try:
            response = await self._dispatch(request)
        except OciError as error:
            response = error.response(head=head)
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
        except Exception:
            log.exception("data-plane request failed: %s %s", request.method, request.url.path)
            response = error_response(
                "UNKNOWN", "internal error; the request was not completed", 500, head=head
            )
        response.headers.update(API_VERSION_HEADER)
        return response

    async def _dispatch(self, request: Request) -> Response:
        rest = request.url.path[len("/v2") :].lstrip("/")
        method = request.method
        if rest == "":
            if method not in ("GET", "HEAD"):
                raise _method_not_allowed(["GET", "HEAD"])
            await self._authorise(request, None, "pull", base=True)
            return JSONResponse({}) if method == "GET" else Response(media_type="application/json")
        if rest.rstrip("/") == "_catalog":
            if method != "GET":
                raise _method_not_allowed(["GET"])
            caller = await self._authorise(request, None, "pull")
            return await catalog.list_catalog(self, request, caller)
        for area, pattern in _ROUTES:
            match = pattern.match(rest)
            if match is None:
                continue
            params = match.groupdict()
            repo = parse_repository_name(params.pop("name"))
            entry = _HANDLERS.get((area, method))
            if entry is None:
                allowed = sorted(m for (a, m) in _HANDLERS if a == area)
                raise _method_not_allowed(allowed)
            handler, action = entry
            caller = await self._authorise(request, repo, action)
            return await handler(Context(self, request, caller, repo, params))
        raise OciError(
            "NAME_UNKNOWN",
            f"no data-plane endpoint at /v2/{rest}; see the OCI distribution spec for the API",
            detail={"path": f"/v2/{rest}"},
        )

    async def _authorise(
        self, request: Request, repo: RepositoryName | None, action: str, *, base: bool = False
    ) -> Caller:
        if repo is not None:
            scope = f"repository:{repo.full}:{_SCOPE_ACTIONS[action]}"
        else:
            scope = None if base else "registry:catalog:*"
        source_ip = request.client.host if request.client else None
        target = repo.full if repo else request.url.path
        return await in_thread(
            self._authorise_sync,
            request.headers.get("authorization"),
            repo,
            action,
            scope,
            target,
            source_ip,
        )

    def _authorise_sync(
        self,
        authorization: str | None,
        repo: RepositoryName | None,
        action: str,
        scope: str | None,
        target: str,
        source_ip: str | None,
    ) -> Caller:
        failure: FailedCredential | None = None
        caller: Caller | None = None
        username = _basic_username(authorization)
        self.throttle.check(source_ip, username)
        with self.state.db.read() as session:
            try:
                caller = self.auth.identify(session, authorization)
            except FailedCredential as error:
                failure = error
        if failure is not None:
            if failure.method == "basic":
                self.throttle.failed(source_ip, username)
            with self.state.db.write() as session:
                self.auth.record_failure(
                    session, failure, username=username, target=target, source_ip=source_ip
                )
            raise OciError(
                "UNAUTHORIZED",
                f"authentication failed: {failure.reason}; log in with the registry's name as "
                "username and its password",
                headers=self.auth.challenge(
                    scope, "invalid_token" if failure.method == "bearer" else None
                ),
            )
        if caller is not None and caller.method == "basic":
            self.throttle.succeeded(source_ip, username)
        if caller is None:
            raise OciError(
                "UNAUTHORIZED",
                "authentication required: log in with the registry's name as username and its "
                "password",
                headers=self.auth.challenge(scope),
            )
        if repo is None and scope is None:
            return caller  # the base endpoint: any valid credential
        if caller.may(repo.full if repo else None, action):
            return caller
        if repo is not None and repo.registry != caller.registry.name:
            self._record_foreign_use(caller, repo, target, source_ip)
            raise OciError(
                "DENIED",
                f"credentials of registry {caller.registry.name!r} grant access only to "
                f"repositories under {caller.registry.name}/; not to {repo.full}",
                detail={"name": repo.full},
            )
        raise OciError(
            "UNAUTHORIZED",
            f"the token does not grant {action} on {repo.full if repo else 'the catalog'}; "
            "request a token for this scope",
            headers=self.auth.challenge(scope, "insufficient_scope"),
        )

    def _record_foreign_use(
        self, caller: Caller, repo: RepositoryName, target: str, source_ip: str | None
    ) -> None:
        from cloudraya_registry.oci.registry_access import load_registry

        with self.state.db.write() as session:
            registry = load_registry(session, repo.registry)
            if registry is None:
                return
            self.auth.record_failure(
                session,
                FailedCredential(
                    registry, caller.method, f"credentials of registry {caller.registry.name}"
                ),
                username=caller.registry.name,
                target=target,
                source_ip=source_ip,
            )


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
    if length is not None and length.isdigit() and int(length) > _DRAIN_LIMIT_BYTES:
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


def _basic_username(authorization: str | None) -> str | None:
    import base64

    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0][:255] or None


def _method_not_allowed(allowed: list[str]) -> OciError:
    return OciError(
        "UNSUPPORTED",
        f"method not allowed here; allowed: {', '.join(allowed)}",
        status=405,
        headers={"Allow": ", ".join(allowed)},
    )
