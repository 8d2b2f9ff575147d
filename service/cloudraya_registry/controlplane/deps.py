"""What every control-plane handler needs: the service state and the acting caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.api_tokens import find_token_owner
from cloudraya_registry.errors import ApiError, ErrorCode
from cloudraya_registry.state import ServiceState

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token of the project: `Authorization: Bearer <token>`.",
)


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


def current_caller(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The project a request acts in, the token name (the audit actor) and the client address."""
    if credentials is None or not credentials.credentials:
        raise _unauthorized("an API token is required: send `Authorization: Bearer <token>`")
    with state.db.read() as session:
        owner = find_token_owner(session, credentials.credentials)
    if owner is None:
        raise _unauthorized("the API token is not valid")
    if owner.expired():
        when = owner.expires_at.isoformat().replace("+00:00", "Z") if owner.expires_at else ""
        raise _unauthorized(
            f"the API token expired at {when}; create a new one (`cloudraya-registry token "
            "create` or POST /api/v1/tokens with another token)"
        )
    client = request.client
    return Actor(owner.project_id, owner.token_name, client.host if client else None)


CallerDep = Annotated[Actor, Depends(current_caller)]


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, ErrorCode.UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def no_store(response: Response) -> None:
    """For responses that carry a secret (a password, a token): never cached anywhere."""
    response.headers["Cache-Control"] = "no-store"


NoStore = Depends(no_store)
