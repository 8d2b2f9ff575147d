"""Scoped credentials of a registry: pull or push logins for CI, clusters and teams."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import AfterValidator, Field

from cloudraya_registry.controlplane.deps import CallerDep, NoStore, StateDep
from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.domain import scoped_credentials
from cloudraya_registry.domain.globs import REPOSITORY_GLOB_RULE
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["scoped credentials"])

Access = Literal["pull", "push"]


def _in_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone, for example 2027-01-31T00:00:00Z")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


Expiry = Annotated[dt.datetime, AfterValidator(_in_utc)]


class CreateCredentialRequest(Strict):
    name: str = Field(description=f"Credential name: {scoped_credentials.NAME_RULE}.")
    access: Access = Field(description="`pull`, or `push` (which includes pull). Never delete.")
    repositories: list[str] | None = Field(
        default=None,
        description=f"Repository globs it may act on ({REPOSITORY_GLOB_RULE}); all when absent.",
    )
    expires_at: Expiry | None = Field(
        default=None,
        description="When it stops working (RFC 3339 with a time zone); never when absent.",
    )


class CredentialView(Strict):
    registry: str
    name: str
    username: str = Field(description="`<registry>+<name>`, for `docker login`.")
    access: Access
    repositories: list[str] | None
    expires_at: Timestamp | None
    created_at: Timestamp
    password_updated_at: Timestamp


class IssuedCredentialView(CredentialView):
    password: str = Field(description="The password in plain text, returned only here.")


class CredentialList(Strict):
    credentials: list[CredentialView]


def _view(details: scoped_credentials.CredentialDetails) -> CredentialView:
    return CredentialView.model_validate(details, from_attributes=True)


def _issued(issued: scoped_credentials.IssuedCredential) -> IssuedCredentialView:
    return IssuedCredentialView(**_view(issued.details).model_dump(), password=issued.password)


@router.get(
    "/registries/{name}/credentials",
    response_model=CredentialList,
    responses=error_responses(401, 404),
    summary="List a registry's scoped credentials (never their passwords)",
)
def list_credentials(name: str, state: StateDep, caller: CallerDep) -> CredentialList:
    found = scoped_credentials.list_all(state, caller, name)
    return CredentialList(credentials=[_view(d) for d in found])


@router.post(
    "/registries/{name}/credentials",
    status_code=201,
    response_model=IssuedCredentialView,
    responses=error_responses(400, 401, 404, 409),
    summary="Create a scoped credential",
    description="The password is generated and returned once (`Cache-Control: no-store`).",
    dependencies=[NoStore],
)
def create_credential(
    name: str, body: CreateCredentialRequest, state: StateDep, caller: CallerDep
) -> IssuedCredentialView:
    issued = scoped_credentials.create(
        state, caller, name, body.name, body.access, body.repositories, body.expires_at
    )
    return _issued(issued)


@router.get(
    "/registries/{name}/credentials/{credential}",
    response_model=CredentialView,
    responses=error_responses(401, 404),
    summary="Read a scoped credential",
)
def get_credential(
    name: str, credential: str, state: StateDep, caller: CallerDep
) -> CredentialView:
    return _view(scoped_credentials.get(state, caller, name, credential))


@router.post(
    "/registries/{name}/credentials/{credential}/rotate",
    response_model=IssuedCredentialView,
    responses=error_responses(401, 404),
    summary="Give a scoped credential a new password",
    description="The old password and every token issued from it stop working at once.",
    dependencies=[NoStore],
)
def rotate_credential(
    name: str, credential: str, state: StateDep, caller: CallerDep
) -> IssuedCredentialView:
    return _issued(scoped_credentials.rotate(state, caller, name, credential))


@router.delete(
    "/registries/{name}/credentials/{credential}",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Revoked."}, **error_responses(401, 404)},
    summary="Revoke a scoped credential",
    description="Its password and every bearer token issued from it stop working at once.",
)
def revoke_credential(name: str, credential: str, state: StateDep, caller: CallerDep) -> Response:
    scoped_credentials.revoke(state, caller, name, credential)
    return Response(status_code=204)
