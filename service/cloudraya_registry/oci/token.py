"""``/auth/token``: the Docker token endpoint (GET with Basic auth, or the OAuth2 password POST).

A token grants only the requested scopes the registry's credentials allow; scopes for other
registries are dropped (the token then carries no access for them). A scoped credential's token
grants no more than the credential does, and lives no longer than it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudraya_registry.body_limits import MAX_REQUEST_BODY_BYTES, too_large
from cloudraya_registry.oci.auth import (
    TOKEN_LIFETIME_SECONDS,
    Authenticator,
    FailedCredential,
    Login,
    decode_basic,
)
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.streaming import read_body

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


def _scopes(values: list[str], host_registry: str | None) -> list[str]:
    """Requested scopes; at a registry's own host their repositories are inside it."""
    scopes = [scope for value in values for scope in value.split() if scope]
    if host_registry is None:
        return scopes
    return [_within(scope, host_registry) for scope in scopes]


def _within(scope: str, registry: str) -> str:
    kind, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if kind != "repository" or not sep or not sep2:
        return scope
    return f"repository:{registry}/{name}:{actions}"


async def _login(
    state: ServiceState,
    auth: Authenticator,
    username: str,
    password: str,
    source_ip: str | None,
) -> Login:
    try:
        return await auth.login(username, password, source_ip)
    except FailedCredential as failure:
        await auth.refused(failure, username=username, target="/auth/token", source_ip=source_ip)
    raise OciError(
        "UNAUTHORIZED",
        "authentication failed: log in with the registry's name as username and its password",
        headers={"WWW-Authenticate": f'Basic realm="{state.public_host}"'},
    )


async def _form(request: Request) -> dict[str, list[str]]:
    """The POSTed form, read only up to the limit (before the credentials are checked)."""
    raw = await read_body(request, MAX_REQUEST_BODY_BYTES)
    if raw is None:
        raise too_large_form()
    return parse_qs(raw.decode("utf-8", "replace"))


def too_large_form() -> OciError:
    return OciError("SIZE_INVALID", too_large(where="/auth/token"), status=413)


async def issue(
    state: ServiceState, auth: Authenticator, request: Request, host_registry: str | None = None
) -> Response:
    source_ip = request.client.host if request.client else None
    if request.method == "POST":
        form = await _form(request)
        if (form.get("grant_type") or [""])[0] != "password":
            raise OciError(
                "UNSUPPORTED",
                "only grant_type=password is supported; or use GET with Basic credentials",
                status=400,
            )
        username = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        scopes = _scopes(form.get("scope") or [], host_registry)
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
        scopes = _scopes(request.query_params.getlist("scope"), host_registry)
    login = await _login(state, auth, username, password, source_ip)
    token, _access = auth.issue_token(login, scopes)
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
