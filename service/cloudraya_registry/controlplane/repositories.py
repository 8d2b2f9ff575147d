"""Repositories and their artifacts (Manage Registry: Repository List, Artifact List)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Response
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudraya_registry.controlplane.auditing import record_success, refusals_audited
from cloudraya_registry.controlplane.deps import CallerDep, StateDep, load_registry
from cloudraya_registry.controlplane.naming import is_repository_name
from cloudraya_registry.controlplane.purge import (
    collect_garbage_later,
    digests_of,
    purge_unreferenced,
)
from cloudraya_registry.controlplane.views import Strict, Timestamp, as_utc
from cloudraya_registry.db.models import (
    Manifest,
    ManifestReference,
    Registry,
    Repository,
    Tag,
    utcnow,
)
from cloudraya_registry.errors import error_responses, failed_precondition, not_found

router = APIRouter(tags=["repositories"])

INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
IMAGE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    }
)
IMAGE_CONFIG_TYPES = frozenset(
    {
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.container.image.v1+json",
    }
)


class RepositorySummary(Strict):
    name: str = Field(description="Path inside the registry, e.g. `my-app` or `team/api`.")
    artifact_count: int = Field(
        description="Top-level artifacts: tagged manifests and untagged ones no index holds."
    )
    pull_count: int
    updated_at: Timestamp


class RepositoryList(Strict):
    repositories: list[RepositorySummary]


ScanStatusName = Literal["not_scanned", "queued", "running", "done", "failed", "unsupported"]


class ScanView(Strict):
    status: ScanStatusName
    reason: str | None
    summary: dict[str, Any] | None


class ArtifactView(Strict):
    digest: str
    media_type: str
    type: Literal["image", "index", "artifact"]
    artifact_type: str | None
    tags: list[str]
    size_bytes: int = Field(description="Config plus layers; for an index the sum over it.")
    pushed_at: Timestamp
    last_pulled_at: Timestamp | None
    pull_count: int
    scan: ScanView


class ArtifactList(Strict):
    artifacts: list[ArtifactView]


def artifact_kind(media_type: str, artifact_type: str | None) -> str:
    if media_type in INDEX_MEDIA_TYPES:
        return "index"
    if media_type in IMAGE_MEDIA_TYPES and (
        artifact_type is None or artifact_type in IMAGE_CONFIG_TYPES
    ):
        return "image"
    return "artifact"


def _top_level_manifests(session: Session, repository_ids: list[int]) -> list[Manifest]:
    """Tagged manifests plus untagged ones that are not a child of an index in the repository."""
    if not repository_ids:
        return []
    manifests = session.scalars(
        select(Manifest).where(Manifest.repository_id.in_(repository_ids))
    ).all()
    tagged = set(
        session.scalars(select(Tag.manifest_id).where(Tag.repository_id.in_(repository_ids)))
    )
    children = set(
        session.execute(
            select(Manifest.repository_id, ManifestReference.digest)
            .join(ManifestReference, ManifestReference.manifest_id == Manifest.id)
            .where(Manifest.repository_id.in_(repository_ids), ManifestReference.kind == "manifest")
        )
        .tuples()
        .all()
    )
    return [m for m in manifests if m.id in tagged or (m.repository_id, m.digest) not in children]


@router.get(
    "/registries/{name}/repositories",
    response_model=RepositoryList,
    responses=error_responses(401, 404),
    summary="List a registry's repositories",
)
def list_repositories(name: str, state: StateDep, caller: CallerDep) -> RepositoryList:
    with state.db.read() as session:
        registry = load_registry(session, caller, name)
        repositories = session.scalars(
            select(Repository)
            .where(Repository.registry_id == registry.id)
            .order_by(Repository.name)
        ).all()
        ids = [r.id for r in repositories]
        top_level = _top_level_manifests(session, ids)
        counts: dict[int, int] = defaultdict(int)
        latest: dict[int, dt.datetime] = {}
        for manifest in top_level:
            counts[manifest.repository_id] += 1
        pulls = (
            dict(
                session.execute(
                    select(Manifest.repository_id, func.coalesce(func.sum(Manifest.pull_count), 0))
                    .where(Manifest.repository_id.in_(ids))
                    .group_by(Manifest.repository_id)
                )
                .tuples()
                .all()
            )
            if ids
            else {}
        )
        for repo_id, pushed in (
            session.execute(
                select(Manifest.repository_id, func.max(Manifest.pushed_at))
                .where(Manifest.repository_id.in_(ids))
                .group_by(Manifest.repository_id)
            )
            .tuples()
            .all()
            if ids
            else []
        ):
            latest[repo_id] = as_utc(pushed)
        for repo_id, tagged in (
            session.execute(
                select(Tag.repository_id, func.max(Tag.updated_at))
                .where(Tag.repository_id.in_(ids))
                .group_by(Tag.repository_id)
            )
            .tuples()
            .all()
            if ids
            else []
        ):
            latest[repo_id] = max(latest.get(repo_id, as_utc(tagged)), as_utc(tagged))
        return RepositoryList(
            repositories=[
                RepositorySummary(
                    name=r.name,
                    artifact_count=counts[r.id],
                    pull_count=int(pulls.get(r.id, 0)),
                    updated_at=max(as_utc(r.updated_at), latest.get(r.id, as_utc(r.updated_at))),
                )
                for r in repositories
            ]
        )


def _load_repository(session: Session, registry: Registry, repository: str) -> Repository:
    found = None
    if is_repository_name(repository):
        found = session.scalar(
            select(Repository).where(
                Repository.registry_id == registry.id, Repository.name == repository
            )
        )
    if found is None:
        raise not_found(f"repository {repository!r} not found in registry {registry.name!r}")
    return found


@router.get(
    "/registries/{name}/repositories/{repository:path}/artifacts",
    response_model=ArtifactList,
    responses=error_responses(401, 404),
    summary="List a repository's artifacts",
    description="Images, indexes and other artifacts with their tags, newest push first. "
    "Platform manifests held by an index are folded into it.",
)
def list_artifacts(name: str, repository: str, state: StateDep, caller: CallerDep) -> ArtifactList:
    with state.db.read() as session:
        registry = load_registry(session, caller, name)
        repo = _load_repository(session, registry, repository)
        manifests = _top_level_manifests(session, [repo.id])
        tags: dict[int, list[str]] = defaultdict(list)
        for manifest_id, tag in session.execute(
            select(Tag.manifest_id, Tag.name).where(Tag.repository_id == repo.id).order_by(Tag.name)
        ).tuples():
            tags[manifest_id].append(tag)
        manifests.sort(key=lambda m: (as_utc(m.pushed_at), m.id), reverse=True)
        return ArtifactList(
            artifacts=[
                ArtifactView(
                    digest=m.digest,
                    media_type=m.media_type,
                    type=artifact_kind(m.media_type, m.artifact_type),
                    artifact_type=m.artifact_type,
                    tags=tags[m.id],
                    size_bytes=int(m.total_size or 0),
                    pushed_at=m.pushed_at,
                    last_pulled_at=m.last_pulled_at,
                    pull_count=int(m.pull_count or 0),
                    scan=ScanView(
                        status=m.scan_status.value if m.scan_status else "not_scanned",
                        reason=m.scan_reason,
                        summary=m.scan_summary,
                    ),
                )
                for m in manifests
            ]
        )


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
def delete_repository(
    name: str, repository: str, state: StateDep, caller: CallerDep, background: BackgroundTasks
) -> Response:
    target = f"{name}/{repository}"
    with (
        refusals_audited(state, caller, "repository.delete", name, target=target),
        state.db.write() as session,
    ):
        registry = load_registry(session, caller, name, lock=True)
        repo = _load_repository(session, registry, repository)
        tag_count = (
            session.scalar(
                select(func.count()).select_from(Tag).where(Tag.repository_id == repo.id)
            )
            or 0
        )
        if registry.tag_immutability and tag_count:
            raise failed_precondition(
                f"repository {repository!r} holds {tag_count} tag(s) and tag_immutability "
                f"is on for registry {name!r}; turn tag_immutability off in the registry "
                "settings to delete it",
                tag_count=tag_count,
            )
        record_success(
            session,
            caller,
            "repository.delete",
            name,
            target=f"{name}/{repository}",
            details={"tag_count": tag_count},
        )
        digests = digests_of(session, [repo.id])
        session.delete(repo)
        registry.updated_at = utcnow()
    purge_unreferenced(state, digests)
    collect_garbage_later(state, background, reason=f"repository {name}/{repository} deleted")
    return Response(status_code=204)
