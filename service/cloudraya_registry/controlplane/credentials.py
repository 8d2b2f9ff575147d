"""The registry credential: password reset and verification (Reset Registry Password).

A reset bumps ``credential_version``; the data plane refuses bearer tokens issued under an
older version, so the old password and every token derived from it stop working at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import Field

from cloudraya_registry.controlplane.auditing import record_success
from cloudraya_registry.controlplane.deps import CallerDep, StateDep, load_registry
from cloudraya_registry.controlplane.schemas import NewPassword
from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.db.models import utcnow
from cloudraya_registry.errors import error_responses
from cloudraya_registry.security.passwords import (
    MAX_PASSWORD_LENGTH,
    generate_password,
    hash_password,
    verify_password,
)

router = APIRouter(tags=["credentials"])


class ResetPasswordRequest(Strict):
    password: NewPassword | None = Field(
        default=None, description="The new password; generated (32 characters) when absent."
    )


class CredentialView(Strict):
    username: str
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
    "data-plane bearer token issued from it stop working immediately.",
)
def reset_password(
    name: str,
    state: StateDep,
    caller: CallerDep,
    body: Annotated[ResetPasswordRequest | None, Body()] = None,
) -> CredentialView:
    given = body.password if body else None
    password = given or generate_password()
    password_hash = hash_password(password)
    with state.db.write() as session:
        registry = load_registry(session, caller, name, lock=True)
        now = utcnow()
        registry.password_hash = password_hash
        registry.credential_version = registry.credential_version + 1
        registry.password_updated_at = now
        registry.updated_at = now
        record_success(
            session,
            caller,
            "registry.password.reset",
            name,
            details={
                "password": "given" if given else "generated",
                "credential_version": registry.credential_version,
            },
        )
    return CredentialView(username=registry.name, password=password, password_updated_at=now)


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
    with state.db.read() as session:
        password_hash = load_registry(session, caller, name).password_hash
    if len(body.password) > MAX_PASSWORD_LENGTH or not _encodable(body.password):
        return VerifyPasswordResult(valid=False)
    return VerifyPasswordResult(valid=verify_password(password_hash, body.password))


def _encodable(text: str) -> bool:
    """JSON can carry lone surrogates; no stored password contains one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
