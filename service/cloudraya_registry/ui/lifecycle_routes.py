"""Lifecycle and access pages of a registry: the retention policy with its dry run, and the
scoped credentials (list, create with the password shown once, revoke). Every action goes to
the domain layer the JSON API uses (via :mod:`actions`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from cloudraya_registry.domain.errors import DomainError, InvalidArgument, NotFound
from cloudraya_registry.domain.retention import DEFAULT_SCHEDULE, SCHEDULES
from cloudraya_registry.domain.scoped_credentials import ACCESS_LEVELS, NAME_RULE
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
EXAMPLE_RULES = [
    {"repository_pattern": "**", "keep_last_pushed": 10, "keep_tag_patterns": ["v*"]},
]

router = APIRouter(route_class=UiRoute, include_in_schema=False)

Text = Annotated[str, Form(max_length=20_000)]


def _caller(request: Request):
    return session_of(request).caller(request)


# -- retention ---------------------------------------------------------------------------------
def _retention_page(
    request: Request,
    name: str,
    *,
    rules_text: str | None = None,
    schedule: str | None = None,
    plan=None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    policy = actions.find_retention_policy(state, caller, name)
    if rules_text is None:
        rules = [r.to_json() for r in policy.rules] if policy else EXAMPLE_RULES
        rules_text = json.dumps(_compact(rules), indent=2)
    if plan is None and policy is not None and error is None:
        plan = actions.retention_dry_run(state, caller, name, None)
    return render(
        request,
        "retention.html",
        {
            "registry": registry,
            "policy": policy,
            "rules_text": rules_text,
            "schedule": schedule or (policy.schedule if policy else DEFAULT_SCHEDULE),
            "schedules": SCHEDULES,
            "plan": plan,
            "form_error": error,
        },
        status_code=status_code,
    )


def _compact(rules: list[dict]) -> list[dict]:
    return [{k: v for k, v in rule.items() if v not in (None, [])} for rule in rules]


def _parse_rules(text: str) -> list[dict]:
    try:
        rules = json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"rules: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(rules, list):
        raise InvalidArgument("rules: give a JSON list of rule objects")
    return rules


@router.get(f"{REGISTRY}/retention")
def retention_page(request: Request, name: str) -> Response:
    return _retention_page(request, name)


@router.post(f"{REGISTRY}/retention")
def save_retention(
    request: Request,
    name: str,
    rules: Text = "",
    schedule: Annotated[str, Form(max_length=20)] = DEFAULT_SCHEDULE,
    action: Annotated[str, Form(max_length=20)] = "preview",
) -> Response:
    state, caller = state_of(request), _caller(request)
    try:
        parsed = actions.parse_retention_rules(_parse_rules(rules))
        if action == "save":
            actions.set_retention_policy(state, caller, name, parsed, schedule)
            session_of(request).add_flash(
                "success", f"Retention policy saved ({schedule}). Below: what a run deletes now."
            )
            return redirect(ui_url("registries", name, "retention"))
        plan = actions.retention_dry_run(state, caller, name, parsed)
    except NotFound:
        raise
    except DomainError as exc:
        return _retention_page(
            request,
            name,
            rules_text=rules,
            schedule=schedule,
            error=exc.message,
            status_code=status_of(exc),
        )
    return _retention_page(request, name, rules_text=rules, schedule=schedule, plan=plan)


@router.post(f"{REGISTRY}/retention/run")
def run_retention(request: Request, name: str) -> Response:
    try:
        result = actions.run_retention(state_of(request), _caller(request), name)
    except NotFound:
        raise
    except DomainError as exc:
        return _retention_page(request, name, error=exc.message, status_code=status_of(exc))
    session_of(request).add_flash(
        "success",
        f"Retention ran: {result.plan.artifact_count} artifacts deleted "
        f"({result.plan.size_bytes} bytes).",
    )
    return redirect(ui_url("registries", name, "retention"))


@router.post(f"{REGISTRY}/retention/delete")
def delete_retention(request: Request, name: str) -> Response:
    actions.remove_retention_policy(state_of(request), _caller(request), name)
    session_of(request).add_flash("success", "Retention policy removed; nothing is cleaned up.")
    return redirect(ui_url("registries", name, "retention"))


# -- scoped credentials ------------------------------------------------------------------------
def _credentials_page(
    request: Request, name: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    state, caller = state_of(request), _caller(request)
    return render(
        request,
        "credentials.html",
        {
            "registry": actions.get_registry(state, caller, name),
            "credentials": actions.list_scoped_credentials(state, caller, name),
            "access_levels": ACCESS_LEVELS,
            "name_rule": NAME_RULE,
            "form_error": error,
        },
        status_code=status_code,
    )


@router.get(f"{REGISTRY}/credentials")
def credentials_page(request: Request, name: str) -> Response:
    return _credentials_page(request, name)


def _expiry(raw: str) -> dt.datetime | None:
    if not raw.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidArgument(
            f"expires at: {raw!r} is not a date and time (YYYY-MM-DDTHH:MM, UTC)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@router.post(f"{REGISTRY}/credentials")
def create_credential(
    request: Request,
    name: str,
    credential: Annotated[str, Form(max_length=100)] = "",
    access: Annotated[str, Form(max_length=10)] = "pull",
    repositories: Annotated[str, Form(max_length=5000)] = "",
    expires_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    state, caller = state_of(request), _caller(request)
    globs = formatting.listed(repositories)
    try:
        issued = actions.create_scoped_credential(
            state, caller, name, credential.strip(), access, globs or None, _expiry(expires_at)
        )
    except NotFound:
        raise
    except DomainError as exc:
        return _credentials_page(request, name, error=exc.message, status_code=status_of(exc))
    registry = actions.get_registry(state, caller, name)
    return render(request, "credential_issued.html", {"registry": registry, "issued": issued})


@router.post(f"{REGISTRY}/credentials/{{credential}}/revoke")
def revoke_credential(request: Request, name: str, credential: str) -> Response:
    actions.revoke_scoped_credential(state_of(request), _caller(request), name, credential)
    session_of(request).add_flash(
        "success",
        f"Credential {name}+{credential} revoked: its password and tokens no longer work.",
    )
    return redirect(ui_url("registries", name, "credentials"))
