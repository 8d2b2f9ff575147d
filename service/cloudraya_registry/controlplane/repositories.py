"""Repositories and their artifacts (Manage Registry: Repository List, Artifact List)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.controlplane.views import (
    ArtifactView,
    RepositorySummary,
    Strict,
    artifact_view,
    repository_view,
)
from cloudraya_registry.domain import artifacts, repositories
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["repositories"])


class RepositoryList(Strict):
    repositories: list[RepositorySummary]


class ArtifactList(Strict):
    artifacts: list[ArtifactView]


@router.get(
    "/registries/{name}/repositories",
    response_model=RepositoryList,
    responses=error_responses(401, 404),
    summary="List a registry's repositories",
)
def list_repositories(name: str, state: StateDep, caller: CallerDep) -> RepositoryList:
    return RepositoryList(
        repositories=[repository_view(r) for r in repositories.summaries(state, caller, name)]
    )


@router.get(
    "/registries/{name}/repositories/{repository:path}/artifacts",
    response_model=ArtifactList,
    responses=error_responses(401, 404),
    summary="List a repository's artifacts",
    description="Images, indexes and other artifacts with their tags, newest push first. "
    "Platform manifests held by an index are folded into it.",
)
def list_artifacts(name: str, repository: str, state: StateDep, caller: CallerDep) -> ArtifactList:
    found = artifacts.list_for_repository(state, caller, name, repository)
    return ArtifactList(artifacts=[artifact_view(a) for a in found])


@router.delete(
    "/registries/{name}/repositories/{repository:path}",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Deleted."}, **error_responses(401, 404, 409)},
    summary="Delete a repository and its images",
    description="Removes the repository's manifests and tags; blobs nothing else references "
    "are removed from disk. While the registry's `tag_immutability` setting is on, a "
    "repository that still holds tags is refused with 409 FAILED_PRECONDITION (immutable "
    "tags must not disappear); turn the setting off first to delete it.",
)
def delete_repository(name: str, repository: str, state: StateDep, caller: CallerDep) -> Response:
    repositories.delete(state, caller, name, repository)
    return Response(status_code=204)
