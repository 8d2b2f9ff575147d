"""Registries list and Registry Detail: credentials, storage, repositories, settings, push
command, password change, resize and delete (Manage Registry, Delete Registry pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from cloudraya_registry.domain.audit import LABELS as ACTION_LABELS
from cloudraya_registry.domain.errors import DomainError, NotFound
from cloudraya_registry.domain.registries import MIN_STORAGE_GB, STORAGE_STEP_GB
from cloudraya_registry.errors import status_of
from cloudraya_registry.ui import actions, formatting
from cloudraya_registry.ui.rendering import (
    UI_PREFIX,
    UiRoute,
    redirect,
    render,
    session_of,
    state_of,
    ui_url,
)

REGISTRY = f"{UI_PREFIX}/registries/{{name}}"

router = APIRouter(route_class=UiRoute, include_in_schema=False)

Checkbox = Annotated[str | None, Form(max_length=10)]


def _caller(request: Request):
    return session_of(request).caller(request)


def _storage(request: Request, registry) -> dict:
    total = state_of(request).config.capacity_bytes(registry.storage.total_gb)
    return {"used": registry.storage.used_bytes, "total": total}


@router.get(f"{UI_PREFIX}/registries")
def registry_list(request: Request) -> Response:
    found = actions.list_registries(state_of(request), _caller(request))
    return render(
        request,
        "registries.html",
        {
            "registries": [(r, _storage(request, r)) for r in found],
            "storage_unit": state_of(request).config.storage_unit_bytes,
        },
    )


def _detail(request: Request, name: str, *, status_code: int = 200, **extra) -> Response:
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    repositories = actions.list_repositories(state, caller, name)
    context = {
        "registry": registry,
        "activity": actions.recent_activity(state, caller, name),
        "action_labels": ACTION_LABELS,
        "storage": _storage(request, registry),
        "repositories": repositories,
        "free_gb": MIN_STORAGE_GB,
        "step_gb": STORAGE_STEP_GB,
        "form_error": None,
        **extra,
    }
    return render(request, "registry.html", context, status_code=status_code)


@router.get(REGISTRY)
def registry_detail(request: Request, name: str) -> Response:
    return _detail(request, name)


def _refused_form(request: Request, name: str, form: str, exc: DomainError) -> Response:
    """The detail page again, with the refusal next to the form that caused it."""
    return _detail(
        request, name, status_code=status_of(exc), form_error={"form": form, "text": exc.message}
    )


@router.post(f"{REGISTRY}/settings")
def save_settings(
    request: Request,
    name: str,
    tag_immutability: Checkbox = None,
    scan_on_push: Checkbox = None,
    exclusions: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        saved = actions.update_settings(
            state_of(request),
            _caller(request),
            name,
            tag_immutability=tag_immutability is not None,
            scan_on_push=scan_on_push is not None,
            tag_immutability_exclusions=formatting.listed(exclusions),
        )
    except NotFound:
        raise
    except DomainError as exc:
        return _refused_form(request, name, "settings", exc)
    on_off = {True: "on", False: "off"}
    session_of(request).add_flash(
        "success",
        f"Settings saved: tag immutability {on_off[saved.tag_immutability]}, "
        f"scan on push {on_off[saved.scan_on_push]}. They apply to the next push.",
    )
    return redirect(ui_url("registries", name) + "#settings")


@router.post(f"{REGISTRY}/storage")
def resize_storage(
    request: Request, name: str, storage_gb: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    state, caller = state_of(request), _caller(request)
    before = actions.get_registry(state, caller, name).storage.total_gb
    try:
        after = actions.resize_storage(state, caller, name, storage_gb)
    except NotFound:
        raise
    except DomainError as exc:
        return _refused_form(request, name, "storage", exc)
    total = after.storage.total_gb
    text = (
        f"Storage is now {total} GB (was {before} GB)."
        if total != before
        else f"Storage stays at {total} GB: nothing changed."
    )
    session_of(request).add_flash("success", text)
    return redirect(ui_url("registries", name) + "#storage")


@router.post(f"{REGISTRY}/password")
def change_password(request: Request, name: str) -> Response:
    state, caller = state_of(request), _caller(request)
    credential = actions.reset_password(state, caller, name)
    registry = actions.get_registry(state, caller, name)
    return render(request, "password.html", {"registry": registry, "credential": credential})


@router.get(f"{REGISTRY}/push-command")
def push_command(
    request: Request, name: str, repository: str = "my-app", tag: str = "v1.0.0"
) -> Response:
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    error = None
    try:
        commands = actions.push_commands_for(state, caller, name, repository, tag)
    except NotFound:
        raise
    except DomainError as exc:
        error, commands = exc.message, None
    return render(
        request,
        "push_command.html",
        {
            "registry": registry,
            "repository": repository,
            "tag": tag,
            "commands": commands,
            "error": error,
        },
        status_code=400 if error else 200,
    )


@router.get(f"{REGISTRY}/delete")
def delete_registry_form(request: Request, name: str) -> Response:
    return _delete_page(request, name)


def _delete_page(request: Request, name: str, error: str | None = None, status: int = 200):
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    repositories = actions.list_repositories(state, caller, name)
    return render(
        request,
        "delete_registry.html",
        {"registry": registry, "repositories": repositories, "error": error},
        status_code=status,
    )


@router.post(f"{REGISTRY}/delete")
def delete_registry(
    request: Request,
    name: str,
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        actions.delete_registry(state_of(request), _caller(request), name, confirm)
    except NotFound:
        raise
    except DomainError as exc:
        return _delete_page(request, name, error=exc.message, status=status_of(exc))
    session_of(request).add_flash(
        "success", f"Registry {name} and everything in it were deleted permanently."
    )
    return redirect(ui_url("registries"))
