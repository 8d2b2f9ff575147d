"""Signing in with an API token and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from cloudraya_registry.ui.rendering import (
    UI_PREFIX,
    UiRoute,
    redirect,
    render,
    session_of,
    state_of,
    ui_url,
)
from cloudraya_registry.ui.session import sign_in, sign_out

PUBLIC = {"x-ui-public": True}

router = APIRouter(route_class=UiRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a dashboard path: never an open redirect to another site."""
    if target and target.startswith(f"{UI_PREFIX}/") and "//" not in target and "\\" not in target:
        return target
    return ui_url("registries")


@router.get(UI_PREFIX, openapi_extra=PUBLIC)
@router.get(f"{UI_PREFIX}/", openapi_extra=PUBLIC)
def home(request: Request) -> Response:
    if session_of(request).signed_in:
        return redirect(ui_url("registries"))
    return redirect(ui_url("login"))


@router.get(f"{UI_PREFIX}/login", openapi_extra=PUBLIC)
def login_form(request: Request, next: str | None = None) -> Response:
    if session_of(request).signed_in:
        return redirect(_safe_next(next))
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post(f"{UI_PREFIX}/login", openapi_extra=PUBLIC)
def login(
    request: Request,
    token: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    fresh = sign_in(request, state_of(request), token)
    if fresh is None:
        message = (
            "Enter an API token of your project."
            if not token.strip()
            else "That API token is not valid. Check that you copied all of it; "
            "`cloudraya-registry token create` issues a new one."
        )
        return render(
            request, "login.html", {"next": _safe_next(next), "error": message}, status_code=401
        )
    request.state.ui_session = fresh
    fresh.add_flash("success", f"Signed in as {fresh.owner.token_name}.")  # type: ignore[union-attr]
    return redirect(_safe_next(next))


@router.post(f"{UI_PREFIX}/logout", openapi_extra=PUBLIC)
def logout(request: Request) -> Response:
    fresh = sign_out(request, session_of(request))
    fresh.add_flash("success", "You are signed out.")
    request.state.ui_session = fresh
    return redirect(ui_url("login"))
