"""Repositories of a registry (Manage Registry: Repository List), created on first push."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import (
    Manifest,
    ManifestReference,
    Repository,
    Tag,
    as_utc,
    utcnow,
)
from cloudraya_registry.db.session import dialect_insert, dialect_of
from cloudraya_registry.domain import audit, purge, registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.errors import FailedPrecondition, RepositoryNotFound
from cloudraya_registry.domain.names import is_repository_path

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState


@dataclass(frozen=True)
class RepositorySummary:
    name: str
    artifact_count: int
    pull_count: int
    updated_at: dt.datetime


# Statements of the push path are built once (building one costs more than running it).
_FIND = select(Repository).where(
    Repository.registry_id == bindparam("registry"), Repository.name == bindparam("path")
)
_ID = _FIND.with_only_columns(Repository.id)
_TOUCH = (
    update(Repository)
    .where(Repository.id == bindparam("repository"))
    .values(updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


@functools.cache
def _ensure_statement(dialect: str):
    return (
        dialect_insert(dialect)(Repository)
        .values(
            registry_id=bindparam("registry"),
            name=bindparam("path"),
            created_at=bindparam("now"),
            updated_at=bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=["registry_id", "name"])
    )


def find(session: Session, registry_id: int, path: str) -> Repository | None:
    return session.scalar(_FIND, {"registry": registry_id, "path": path})


def load(session: Session, registry_id: int, registry_name: str, path: str) -> Repository:
    found = find(session, registry_id, path) if is_repository_path(path) else None
    if found is None:
        raise unknown(registry_name, path)
    return found


def unknown(registry_name: str, path: str) -> RepositoryNotFound:
    return RepositoryNotFound(
        f"repository {path!r} not found in registry {registry_name!r}",
        name=f"{registry_name}/{path}",
    )


def ensure_id(session: Session, registry_id: int, path: str) -> int:
    """The repository's id, its row created on first push (safe against a concurrent creator)."""
    params = {"registry": registry_id, "path": path}
    session.execute(_ensure_statement(dialect_of(session)), {**params, "now": utcnow()})
    return session.execute(_ID, params).scalar_one()


def touch(session: Session, repository_id: int) -> None:
    session.execute(_TOUCH, {"repository": repository_id, "now": utcnow()})


def top_level_manifests(session: Session, repository_ids: list[int]) -> list[Manifest]:
    """Tagged manifests plus untagged ones that are not a child of an index in the repository.

    These are a repository's artifacts: a platform manifest of an index is part of the index.
    """
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
        ).all()
    )
    return [m for m in manifests if m.id in tagged or (m.repository_id, m.digest) not in children]


def summaries(state: ServiceState, actor: Actor, registry_name: str) -> list[RepositorySummary]:
    """Each repository with its artifact count, pulls and last change, by name."""
    state.pull_counts.flush(state)  # this process's latest pulls are part of the answer
    with state.db.read() as session:
        registry = registries.load(session, actor, registry_name)
        repositories = session.scalars(
            select(Repository)
            .where(Repository.registry_id == registry.id)
            .order_by(Repository.name)
        ).all()
        ids = [r.id for r in repositories]
        if not ids:
            return []
        counts: dict[int, int] = defaultdict(int)
        for manifest in top_level_manifests(session, ids):
            counts[manifest.repository_id] += 1
        pulls = dict(
            session.execute(
                select(Manifest.repository_id, func.coalesce(func.sum(Manifest.pull_count), 0))
                .where(Manifest.repository_id.in_(ids))
                .group_by(Manifest.repository_id)
            ).all()
        )
        latest = {r.id: as_utc(r.updated_at) for r in repositories}
        for query in (
            select(Manifest.repository_id, func.max(Manifest.pushed_at))
            .where(Manifest.repository_id.in_(ids))
            .group_by(Manifest.repository_id),
            select(Tag.repository_id, func.max(Tag.updated_at))
            .where(Tag.repository_id.in_(ids))
            .group_by(Tag.repository_id),
        ):
            for repo_id, when in session.execute(query):
                latest[repo_id] = max(latest[repo_id], as_utc(when))
        return [
            RepositorySummary(
                name=r.name,
                artifact_count=counts[r.id],
                pull_count=int(pulls.get(r.id, 0)),
                updated_at=latest[r.id],
            )
            for r in repositories
        ]


def delete(state: ServiceState, actor: Actor, registry_name: str, path: str) -> None:
    """Remove a repository, its manifests and tags; unshared blobs go at once.

    While tag immutability is on, a repository that still holds tags is refused: immutable tags
    must not disappear (turn the setting off first).
    """
    target = f"{registry_name}/{path}"
    with (
        audit.refusals_recorded(
            state, actor, AuditAction.REPOSITORY_DELETE, registry_name, target=target
        ),
        state.db.write() as session,
    ):
        registry = registries.load(session, actor, registry_name, lock=True)
        repository = load(session, registry.id, registry_name, path)
        tag_count = (
            session.scalar(
                select(func.count()).select_from(Tag).where(Tag.repository_id == repository.id)
            )
            or 0
        )
        if registry.tag_immutability and tag_count:
            raise FailedPrecondition(
                f"repository {path!r} holds {tag_count} tag(s) and tag_immutability "
                f"is on for registry {registry_name!r}; turn tag_immutability off in the registry "
                "settings to delete it",
                tag_count=tag_count,
            )
        audit.record_change(
            session,
            actor,
            AuditAction.REPOSITORY_DELETE,
            registry_name,
            target=target,
            details={"tag_count": tag_count},
        )
        digests = purge.digests_of(session, [repository.id])
        session.delete(repository)
        registry.updated_at = utcnow()
    purge.remove_unreferenced(state, digests)
    state.collect_garbage_soon(f"repository {target} deleted")
