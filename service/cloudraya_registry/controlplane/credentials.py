"""The registry credential: password reset and verification (Reset Registry Password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, NoStore, StateDep
from cloudraya_registry.controlplane.schemas import NewPassword
from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.domain import credentials
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["credentials"])


class ResetPasswordRequest(Strict):
    password: NewPassword | None = Field(
        default=None, description="The new password; generated (32 characters) when absent."
    )


class CredentialView(Strict):
    username: str
    endpoint: str = Field(description="`<host>/<name>`: where the password logs in.")
    password: str = Field(description="The new password in plain text, returned only here.")
    password_updated_at: Timestamp


class VerifyPasswordRequest(Strict):
    password: str = Field(max_length=4096, description="The password to check.")


class VerifyPasswordResult(Strict):
    valid: bool


@router.post(
    "/registries/{name}/password",
    response_model=CredentialView,
    responses=error_responses(400, 401, 404),
    summary="Reset a registry's password",
    description="Sets the given or a generated password. The old password and every "
    "data-plane bearer token issued from it stop working immediately. The answer carries the "
    "password: `Cache-Control: no-store`.",
    dependencies=[NoStore],
)
def reset_password(
    name: str,
    state: StateDep,
    caller: CallerDep,
    body: Annotated[ResetPasswordRequest | None, Body()] = None,
) -> CredentialView:
    credential = credentials.reset_password(state, caller, name, body.password if body else None)
    return CredentialView(
        username=credential.username,
        endpoint=state.endpoint_of(credential.username),
        password=credential.password,
        password_updated_at=credential.password_updated_at,
    )


@router.post(
    "/registries/{name}/password/verify",
    response_model=VerifyPasswordResult,
    responses=error_responses(400, 401, 404),
    summary="Check whether a password is the registry's current one",
    description="Answers `valid: false` for a wrong password (not an error, not audited).",
)
def verify_registry_password(
    name: str, body: VerifyPasswordRequest, state: StateDep, caller: CallerDep
) -> VerifyPasswordResult:
    return VerifyPasswordResult(
        valid=credentials.is_current_password(state, caller, name, body.password)
    )
