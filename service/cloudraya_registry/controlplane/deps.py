"""What every control-plane handler needs: the service state, the caller and its registry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Registry
from cloudraya_registry.errors import ApiError, ErrorCode, explain_pattern, not_found
from cloudraya_registry.security.api_tokens import find_token_owner
from cloudraya_registry.state import ServiceState

REGISTRY_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$"
REGISTRY_NAME_RULE = (
    "3 to 63 characters: lower-case letters, digits and hyphens, starting with a letter "
    "and not ending with a hyphen"
)
_REGISTRY_NAME = re.compile(explain_pattern(REGISTRY_NAME_PATTERN, REGISTRY_NAME_RULE))

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token of the project: `Authorization: Bearer <token>`.",
)


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


@dataclass(frozen=True)
class Caller:
    """The project a request acts in, the token name (the audit actor) and the client address."""

    project_id: int
    actor: str
    source_ip: str | None


def current_caller(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("an API token is required: send `Authorization: Bearer <token>`")
    with state.db.read() as session:
        owner = find_token_owner(session, credentials.credentials)
    if owner is None:
        raise _unauthorized("the API token is not valid")
    client = request.client
    return Caller(owner.project_id, owner.token_name, client.host if client else None)


CallerDep = Annotated[Caller, Depends(current_caller)]


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, ErrorCode.UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def is_registry_name(name: str) -> bool:
    return _REGISTRY_NAME.fullmatch(name) is not None


def find_registry(session: Session, caller: Caller, name: str) -> Registry | None:
    if not is_registry_name(name):
        return None
    return session.scalar(
        select(Registry).where(Registry.name == name, Registry.project_id == caller.project_id)
    )


def load_registry(session: Session, caller: Caller, name: str, *, lock: bool = False) -> Registry:
    """The caller's registry ``name``; another project's registry is as absent as a missing one."""
    if not is_registry_name(name):
        raise not_found(f"registry {name!r} not found")
    query = select(Registry).where(Registry.name == name, Registry.project_id == caller.project_id)
    if lock:
        query = query.with_for_update()
    registry = session.scalar(query)
    if registry is None:
        raise not_found(f"registry {name!r} not found")
    return registry
