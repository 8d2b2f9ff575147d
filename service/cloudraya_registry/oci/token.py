"""``/auth/token``: the Docker token endpoint (GET with Basic auth, or the OAuth2 password POST).

A token grants only the requested scopes the registry's credentials allow; scopes for other
registries are dropped (the token then carries no access for them).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudraya_registry.domain.registries import RegistryInfo
from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.auth import TOKEN_LIFETIME_SECONDS, FailedCredential, decode_basic
from cloudraya_registry.oci.context import DataPlaneServices
from cloudraya_registry.oci.errors import OciError

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

_MAX_FORM_BYTES = 64 * 1024


def _scopes(values: list[str]) -> list[str]:
    return [scope for value in values for scope in value.split() if scope]


def _login(
    state: ServiceState,
    services: DataPlaneServices,
    username: str,
    password: str,
    source_ip: str | None,
) -> RegistryInfo:
    failure: FailedCredential | None = None
    recent_failures = services.throttle.check(source_ip, username)
    with state.db.read() as session:
        try:
            registry = services.auth.check_password(session, username, password)
        except FailedCredential as error:
            failure = error
        else:
            services.throttle.succeeded(source_ip, username, recent_failures)
            return registry
    services.throttle.failed(source_ip, username)
    with state.db.write() as session:
        services.auth.record_failure(
            session, failure, username=username, target="/auth/token", source_ip=source_ip
        )
    raise OciError(
        "UNAUTHORIZED",
        "authentication failed: log in with the registry's name as username and its password",
        headers={"WWW-Authenticate": f'Basic realm="{state.public_host}"'},
    )


async def issue(state: ServiceState, services: DataPlaneServices, request: Request) -> Response:
    source_ip = request.client.host if request.client else None
    if request.method == "POST":
        raw = await request.body()
        if len(raw) > _MAX_FORM_BYTES:
            raise OciError("UNSUPPORTED", "token request form is too large", status=400)
        form = {k: v for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if (form.get("grant_type") or [""])[0] != "password":
            raise OciError(
                "UNSUPPORTED",
                "only grant_type=password is supported; or use GET with Basic credentials",
                status=400,
            )
        username = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        scopes = _scopes(form.get("scope") or [])
    else:
        authorization = request.headers.get("authorization", "")
        if not authorization.lower().startswith("basic "):
            raise OciError(
                "UNAUTHORIZED",
                "a token needs the registry's credentials: send HTTP Basic auth with the "
                "registry's name as username and its password",
                headers={"WWW-Authenticate": f'Basic realm="{state.public_host}"'},
            )
        try:
            username, password = decode_basic(authorization[6:].strip())
        except FailedCredential:
            raise OciError("UNAUTHORIZED", "malformed Basic credentials") from None
        scopes = _scopes(request.query_params.getlist("scope"))
    registry = await in_thread(_login, state, services, username, password, source_ip)
    token, _access = services.auth.issue_token(registry, scopes)
    issued = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return JSONResponse(
        {
            "token": token,
            "access_token": token,
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "issued_at": issued,
        },
        headers={"Cache-Control": "no-store"},
    )
