"""Input field types shared by several control-plane requests."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from cloudraya_registry.domain.registries import MAX_STORAGE_GB, MIN_STORAGE_GB, STORAGE_STEP_GB
from cloudraya_registry.security.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_RULE,
    password_problem,
)


def _acceptable_password(value: str) -> str:
    problem = password_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


NewPassword = Annotated[
    str,
    Field(
        description=f"Printable characters without spaces; {PASSWORD_RULE}.",
        json_schema_extra={"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH},
    ),
    AfterValidator(_acceptable_password),
]

StorageGb = Annotated[
    int,
    Field(
        strict=True,
        ge=MIN_STORAGE_GB,
        le=MAX_STORAGE_GB,
        multiple_of=STORAGE_STEP_GB,
        description=(
            f"Allocated storage in GB: a whole number, a multiple of {STORAGE_STEP_GB}, "
            f"from {MIN_STORAGE_GB} to {MAX_STORAGE_GB}."
        ),
    ),
]
