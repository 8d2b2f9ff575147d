"""Control-plane API tokens of the caller's project: list, create (with an expiry), revoke."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, NoStore, StateDep
from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.domain import api_tokens
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["api tokens"])


class TokenView(Strict):
    id: int
    name: str = Field(description="Shown as the actor in audit logs.")
    created_at: Timestamp
    expires_at: Timestamp | None = Field(description="Null: the token never expires.")
    expired: bool


class TokenList(Strict):
    tokens: list[TokenView]


class CreateTokenRequest(Strict):
    name: str = Field(min_length=1, max_length=api_tokens.MAX_NAME_LENGTH)
    expires_in_days: int | None = Field(
        default=api_tokens.DEFAULT_LIFETIME.days,
        ge=1,
        le=api_tokens.MAX_LIFETIME.days,
        description=f"Lifetime in days (default {api_tokens.DEFAULT_LIFETIME.days}); "
        "null: the token never expires.",
    )


class CreatedTokenView(TokenView):
    token: str = Field(description="The token, returned only here.")


def _view(info: api_tokens.TokenInfo) -> TokenView:
    return TokenView.model_validate(info, from_attributes=True)


@router.get(
    "/tokens",
    response_model=TokenList,
    responses=error_responses(401),
    summary="List the project's API tokens",
    description="Names, creation and expiry of every token of the caller's project; never "
    "their values.",
)
def list_tokens(state: StateDep, caller: CallerDep) -> TokenList:
    return TokenList(tokens=[_view(t) for t in api_tokens.list_project(state, caller.project_id)])


@router.post(
    "/tokens",
    status_code=201,
    response_model=CreatedTokenView,
    responses=error_responses(400, 401),
    summary="Create an API token",
    description="A new token of the caller's project, shown once (`Cache-Control: no-store`).",
    dependencies=[NoStore],
)
def create_token(body: CreateTokenRequest, state: StateDep, caller: CallerDep) -> CreatedTokenView:
    days = body.expires_in_days
    lifetime = dt.timedelta(days=days) if days is not None else None
    info, token = api_tokens.create(state, caller, body.name, lifetime)
    return CreatedTokenView(**_view(info).model_dump(), token=token)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Revoked."}, **error_responses(400, 401, 404)},
    summary="Revoke an API token",
    description="The token stops working at once, dashboard sessions signed in with it too. "
    "A token may revoke itself.",
)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], state: StateDep, caller: CallerDep
) -> Response:
    api_tokens.revoke(state, caller.project_id, token_id)
    return Response(status_code=204)
