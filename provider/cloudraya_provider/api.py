"""What the control-plane API answers: its errors and its records (no HTTP in here).

Resource code and the gRPC layer import these without loading the HTTP client, so a plugin
process that only serves the schema starts quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """A control-plane call failed; the message is safe to show to users."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class NotFound(ApiError):
    """The registry (or the object asked for) does not exist for this token."""


class Unreachable(ApiError):
    """The service could not be reached (connection refused, DNS, timeout)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class OutcomeUnknown(Unreachable):
    """A call that changes something was sent, but no answer came back (timeout, lost
    connection, gateway error): the service may or may not have done it."""


@dataclass(frozen=True)
class RegistryInfo:
    """A registry as the service reports it."""

    name: str
    endpoint: str
    username: str
    storage_gb: int
    used_bytes: int
    tag_immutability: bool
    scan_on_push: bool
    repository_count: int
    password_updated_at: str | None
    created_at: str

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> RegistryInfo:
        storage = body.get("storage") or {}
        settings = body.get("settings") or {}
        return cls(
            name=body["name"],
            endpoint=body["endpoint"],
            username=body.get("username") or body["name"],
            storage_gb=int(storage.get("total_gb", 0)),
            used_bytes=int(storage.get("used_bytes", 0)),
            tag_immutability=bool(settings.get("tag_immutability", False)),
            scan_on_push=bool(settings.get("scan_on_push", False)),
            repository_count=int(body.get("repository_count", 0)),
            password_updated_at=body.get("password_updated_at"),
            created_at=body.get("created_at", ""),
        )


@dataclass(frozen=True)
class Settings:
    tag_immutability: bool
    scan_on_push: bool
    tag_immutability_exclusions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopedCredential:
    """A scoped credential as the service reports it; `password` only right after it was
    created or rotated (the service never reveals it again)."""

    registry: str
    name: str
    username: str
    access: str
    repositories: tuple[str, ...] | None
    expires_at: str | None
    password_updated_at: str
    password: str | None = None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> ScopedCredential:
        repositories = body.get("repositories")
        return cls(
            registry=body["registry"],
            name=body["name"],
            username=body["username"],
            access=body["access"],
            repositories=tuple(repositories) if repositories is not None else None,
            expires_at=body.get("expires_at"),
            password_updated_at=body.get("password_updated_at", ""),
            password=body.get("password"),
        )


@dataclass(frozen=True)
class Credential:
    """A password the service just set; `password` is plaintext and must stay secret."""

    username: str
    password: str
    password_updated_at: str
    endpoint: str | None = None  # `<host>/<name>`; None from a service that does not say
