"""A repository's artifacts, an artifact's vulnerabilities, and deleting a repository.

Repository paths contain slashes (``team/api``), so actions on a repository follow a ``/-/``
separator that no repository path can contain (``-`` alone is not a path component).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cloudraya_registry.domain.errors import DomainError, NotFound
from cloudraya_registry.domain.scan_states import IN_PROGRESS
from cloudraya_registry.errors import status_of
from cloudraya_registry.ui import actions
from cloudraya_registry.ui.rendering import (
    UI_PREFIX,
    UiRoute,
    redirect,
    render,
    session_of,
    state_of,
    ui_url,
)

REPOSITORY = f"{UI_PREFIX}/registries/{{name}}/repositories/{{repository:path}}"
ARTIFACT = f"{REPOSITORY}/-/artifacts/{{reference}}"

router = APIRouter(route_class=UiRoute, include_in_schema=False)


def _caller(request: Request):
    return session_of(request).caller(request)


@router.get(f"{REPOSITORY}/-/delete")
def delete_repository_form(request: Request, name: str, repository: str) -> Response:
    return _delete_page(request, name, repository)


def _delete_page(
    request: Request, name: str, repository: str, error: str | None = None, status=200
):
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    artifacts = actions.list_artifacts(state, caller, name, repository)
    return render(
        request,
        "delete_repository.html",
        {"registry": registry, "repository": repository, "artifacts": artifacts, "error": error},
        status_code=status,
    )


@router.post(f"{REPOSITORY}/-/delete")
def delete_repository(request: Request, name: str, repository: str) -> Response:
    try:
        actions.delete_repository(state_of(request), _caller(request), name, repository)
    except NotFound:
        raise
    except DomainError as exc:
        return _delete_page(request, name, repository, error=exc.message, status=status_of(exc))
    session_of(request).add_flash("success", f"Repository {repository} was deleted.")
    return redirect(ui_url("registries", name) + "#repositories")


@router.post(f"{ARTIFACT}/scan")
def scan_artifact(request: Request, name: str, repository: str, reference: str) -> Response:
    report = actions.request_scan(state_of(request), _caller(request), name, repository, reference)
    session_of(request).add_flash(
        "success", f"Scan of {reference} requested; status: {report.status.replace('_', ' ')}."
    )
    return redirect(
        ui_url("registries", name, "repositories", repository, "-", "artifacts", reference)
    )


@router.get(ARTIFACT)
def vulnerabilities(request: Request, name: str, repository: str, reference: str) -> Response:
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    report = actions.vulnerability_report(state, caller, name, repository, reference)
    artifact = next(
        (
            a
            for a in actions.list_artifacts(state, caller, name, repository)
            if a.digest == report.digest
        ),
        None,
    )
    counts = report.counts.model_dump() if report.counts else None
    return render(
        request,
        "vulnerabilities.html",
        {
            "registry": registry,
            "repository": repository,
            "reference": reference,
            "artifact": artifact,
            "report": report,
            "counts": counts,
            "levels": actions.severity_levels(),
            "in_progress": report.status in IN_PROGRESS,
        },
    )


@router.get(REPOSITORY)
def artifacts(request: Request, name: str, repository: str) -> Response:
    state, caller = state_of(request), _caller(request)
    registry = actions.get_registry(state, caller, name)
    found = actions.list_artifacts(state, caller, name, repository)
    return render(
        request,
        "artifacts.html",
        {
            "registry": registry,
            "repository": repository,
            "artifacts": found,
            "levels": actions.severity_levels(),
        },
    )
