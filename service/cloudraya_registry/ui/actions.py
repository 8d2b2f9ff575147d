"""What the dashboard asks of the control plane: each call goes to the handler the JSON API
uses, so every rule (grow-only storage, typed-name deletion, immutability ...) is enforced,
audited and worded in exactly one place.

Form values arrive as strings; they become the handlers' request models here, and a model
refusal becomes the same sentence the JSON API would answer with.
"""

from __future__ import annotations

from fastapi import BackgroundTasks
from pydantic import ValidationError

from cloudraya_registry.controlplane import (
    audit_log,
    credentials,
    push_command,
    registries,
    repositories,
    settings,
    storage,
)
from cloudraya_registry.controlplane.deps import Caller
from cloudraya_registry.controlplane.views import RegistryView
from cloudraya_registry.errors import ApiError, invalid_argument, validation_message
from cloudraya_registry.scanning import api as scanning_api
from cloudraya_registry.scanning.severity import LEVELS
from cloudraya_registry.state import ServiceState


def _invalid(exc: ValidationError) -> ApiError:
    message, problems = validation_message(list(exc.errors()))
    return invalid_argument(message, problems=problems)


def list_registries(state: ServiceState, caller: Caller) -> list[RegistryView]:
    return registries.list_registries(state, caller).registries


def get_registry(state: ServiceState, caller: Caller, name: str) -> RegistryView:
    return registries.get_registry(name, state, caller)


def recent_activity(state: ServiceState, caller: Caller, name: str, limit: int = 8):
    return audit_log.read_audit_log(name, state, caller, limit=limit, before=None).events


def list_repositories(state: ServiceState, caller: Caller, name: str):
    return repositories.list_repositories(name, state, caller).repositories


def list_artifacts(state: ServiceState, caller: Caller, name: str, repository: str):
    return repositories.list_artifacts(name, repository, state, caller).artifacts


def severity_levels() -> tuple[str, ...]:
    """Severities, most severe first."""
    return tuple(LEVELS)


def vulnerability_report(
    state: ServiceState, caller: Caller, name: str, repository: str, reference: str
):
    return scanning_api.get_vulnerabilities(name, repository, reference, state, caller)


def request_scan(state: ServiceState, caller: Caller, name: str, repository: str, ref: str):
    return scanning_api.request_scan(name, repository, ref, state, caller)


def update_settings(
    state: ServiceState, caller: Caller, name: str, tag_immutability: bool, scan_on_push: bool
):
    body = settings.UpdateSettingsRequest(
        tag_immutability=tag_immutability, scan_on_push=scan_on_push
    )
    return settings.update_settings(name, body, state, caller)


def parse_storage_gb(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise invalid_argument(
            f"storage_gb: must be a whole number of GB, a multiple of 10 (got {raw!r})"
        )
    return int(text)


def resize_storage(state: ServiceState, caller: Caller, name: str, raw_gb: str) -> RegistryView:
    try:
        body = storage.ResizeStorageRequest(storage_gb=parse_storage_gb(raw_gb))
    except ValidationError as exc:
        raise _invalid(exc) from None
    return storage.resize_storage(name, body, state, caller)


def reset_password(state: ServiceState, caller: Caller, name: str):
    """A generated password (the documented reset); shown once by the caller's page."""
    return credentials.reset_password(name, state, caller, None)


def push_commands(state: ServiceState, caller: Caller, name: str, repository: str, tag: str):
    return push_command.push_command(name, state, caller, repository=repository, tag=tag)


def delete_repository(
    state: ServiceState, caller: Caller, name: str, repository: str, background: BackgroundTasks
) -> None:
    repositories.delete_repository(name, repository, state, caller, background)


def delete_registry(
    state: ServiceState, caller: Caller, name: str, confirm: str, background: BackgroundTasks
) -> None:
    registries.delete_registry(name, state, caller, background, confirm)
