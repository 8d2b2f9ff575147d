"""Artifacts: manifests (images, indexes, other artifacts) and the tags that name them.

:func:`resolve` is the one place a tag or digest becomes a manifest, for pulls, scans and the
dashboard alike. Pushes and deletes compute their change, let the calling route's checks
refuse it inside the transaction (see :mod:`changes`), then apply it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from cloudraya_registry.db.locks import LockKey, lock_for_transaction
from cloudraya_registry.db.models import (
    Blob,
    Manifest,
    ManifestReference,
    Repository,
    RepositoryBlob,
    Tag,
    as_utc,
    utcnow,
)
from cloudraya_registry.domain import blobs, registries, repositories
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.changes import (
    Check,
    ManifestPushed,
    ManifestRemoved,
    ManifestStored,
    TagMove,
    TagRemoved,
)
from cloudraya_registry.domain.errors import ManifestNotFound, ReferencedContentMissing
from cloudraya_registry.domain.manifest_format import ManifestInvalid, ParsedManifest
from cloudraya_registry.domain.media_types import artifact_kind
from cloudraya_registry.domain.names import is_digest_reference
from cloudraya_registry.domain.scan_states import ScanStatus

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

_IN_CHUNK = 500  # digests per IN (...) list


class NamedRegistry(Protocol):
    id: int
    name: str


@dataclass(frozen=True)
class ScanDetails:
    status: str
    reason: str | None
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class ArtifactDetails:
    digest: str
    media_type: str
    type: str
    artifact_type: str | None
    tags: list[str]
    size_bytes: int
    pushed_at: dt.datetime
    last_pulled_at: dt.datetime | None
    pull_count: int
    scan: ScanDetails


# -- reads ---------------------------------------------------------------------------------
def find_by_digest(session: Session, repository_id: int, digest: str) -> Manifest | None:
    return session.scalar(
        select(Manifest).where(Manifest.repository_id == repository_id, Manifest.digest == digest)
    )


def resolve(
    connection: Session | Connection,
    registry: NamedRegistry,
    repository: str,
    reference: str,
    *columns: InstrumentedAttribute,
) -> Any:
    """The manifest a tag or digest names in ``repository`` (a path inside ``registry``).

    One prebuilt query. Without ``columns`` it returns the entity (``connection`` must then be
    a Session); with them just those columns as a row, which a plain connection can read.
    """
    params = {"registry": registry.id, "repository": repository, "reference": reference}
    query = _resolve_query(columns, is_digest_reference(reference))
    found = connection.execute(query, params).first()
    if found is None:
        exists = connection.execute(_REPOSITORY_EXISTS, params).first()
        if exists is None:
            raise repositories.unknown(registry.name, repository)
        raise manifest_unknown(f"{registry.name}/{repository}", reference)
    return found if columns else found[0]


@functools.cache
def _resolve_query(columns: tuple[InstrumentedAttribute, ...], by_digest: bool):
    query = (select(*columns) if columns else select(Manifest)).select_from(Manifest)
    query = query.join(Repository, Repository.id == Manifest.repository_id).where(
        Repository.registry_id == bindparam("registry"),
        Repository.name == bindparam("repository"),
    )
    if by_digest:
        return query.where(Manifest.digest == bindparam("reference"))
    return query.join(
        Tag, (Tag.manifest_id == Manifest.id) & (Tag.repository_id == Repository.id)
    ).where(Tag.name == bindparam("reference"))


_REPOSITORY_EXISTS = select(Repository.id).where(
    Repository.registry_id == bindparam("registry"), Repository.name == bindparam("repository")
)


def manifest_unknown(full_name: str, reference: str) -> ManifestNotFound:
    what = "manifest" if is_digest_reference(reference) else "tag"
    return ManifestNotFound(
        f"{what} {reference} is not in repository {full_name}",
        name=full_name,
        reference=reference,
    )


def list_for_repository(
    state: ServiceState, actor: Actor, registry_name: str, repository: str
) -> list[ArtifactDetails]:
    """The repository's artifacts with their tags, newest push first (index children folded)."""
    state.pull_counts.flush(state)  # this process's latest pulls are part of the answer
    with state.db.read() as session:
        registry = registries.load(session, actor, registry_name)
        repo = repositories.load(session, registry.id, registry_name, repository)
        manifests = repositories.top_level_manifests(session, [repo.id])
        tags: dict[int, list[str]] = defaultdict(list)
        for manifest_id, tag in session.execute(
            select(Tag.manifest_id, Tag.name).where(Tag.repository_id == repo.id).order_by(Tag.name)
        ):
            tags[manifest_id].append(tag)
    manifests.sort(key=lambda m: (as_utc(m.pushed_at), m.id), reverse=True)
    return [
        ArtifactDetails(
            digest=m.digest,
            media_type=m.media_type,
            type=artifact_kind(m.media_type, m.artifact_type),
            artifact_type=m.artifact_type,
            tags=tags[m.id],
            size_bytes=int(m.total_size or 0),
            pushed_at=as_utc(m.pushed_at),
            last_pulled_at=as_utc(m.last_pulled_at) if m.last_pulled_at else None,
            pull_count=int(m.pull_count or 0),
            scan=ScanDetails(
                status=(m.scan_status or ScanStatus.NOT_SCANNED).value,
                reason=m.scan_reason,
                summary=m.scan_summary,
            ),
        )
        for m in manifests
    ]


# -- push ----------------------------------------------------------------------------------
def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _linked_sizes(session: Session, repository_id: int, digests: Iterable[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for chunk in _chunks(sorted(set(digests))):
        sizes.update(
            session.execute(
                select(Blob.digest, Blob.size)
                .join(RepositoryBlob, RepositoryBlob.digest == Blob.digest)
                .where(RepositoryBlob.repository_id == repository_id, Blob.digest.in_(chunk))
            ).all()
        )
    return sizes


def _child_sizes(session: Session, repository_id: int, digests: Iterable[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for chunk in _chunks(sorted(set(digests))):
        for digest, total, size in session.execute(
            select(Manifest.digest, Manifest.total_size, Manifest.size).where(
                Manifest.repository_id == repository_id, Manifest.digest.in_(chunk)
            )
        ):
            sizes[digest] = total or size
    return sizes


def check_references(
    session: Session, full_name: str, repository_id: int, parsed: ParsedManifest
) -> int:
    """Every referenced blob or child must be in the repository; returns the total size.

    One query per 500 distinct digests, however often a document repeats them.
    """
    if parsed.is_index:
        sizes = _child_sizes(session, repository_id, (c.digest for c in parsed.children))
        total = 0
        for child in parsed.children:
            if child.digest not in sizes:
                raise ReferencedContentMissing(
                    f"child manifest {child.digest} is not in repository {full_name}; push "
                    "it before the index",
                    digest=child.digest,
                )
            total += sizes[child.digest]
        return total
    assert parsed.config is not None
    described = [("config", parsed.config)] + [("layer", d) for d in parsed.layers]
    sizes = _linked_sizes(session, repository_id, (d.digest for _, d in described if not d.foreign))
    total = 0
    for role, descriptor in described:
        if descriptor.foreign:
            total += descriptor.size
            continue
        size = sizes.get(descriptor.digest)
        if size is None:
            raise ReferencedContentMissing(
                f"{role} blob {descriptor.digest} is not in repository {full_name}; upload "
                "it before the manifest",
                digest=descriptor.digest,
            )
        if size != descriptor.size:
            raise ManifestInvalid(
                f"{role} {descriptor.digest} has {size} bytes but the manifest says "
                f"{descriptor.size}",
                digest=descriptor.digest,
                size=size,
            )
        total += size
    return total


def references_of(parsed: ParsedManifest) -> dict[str, str]:
    """Each digest the manifest points at, with its kind (config, layer or manifest)."""
    refs: dict[str, str] = {}
    if parsed.config is not None:
        refs.setdefault(parsed.config.digest, "config")
    for layer in parsed.layers:
        if not layer.foreign:
            refs.setdefault(layer.digest, "layer")
    for child in parsed.children:
        refs.setdefault(child.digest, "manifest")
    return refs


@dataclass(frozen=True)
class IncomingManifest:
    """A manifest document as pushed: its bytes, digest, parsed form and the tags to set."""

    digest: str
    body: bytes
    parsed: ParsedManifest
    tags: list[str]


def store(
    state: ServiceState,
    registry: registries.RegistryInfo,
    repository: str,
    incoming: IncomingManifest,
    check: Check,
) -> ManifestStored:
    """Store the manifest and point its tags at it.

    Two pushes of the same manifest or tag at once can collide on a unique key (PostgreSQL
    runs them in parallel); the loser simply runs again and finds the winner's rows.
    """
    _put_bytes(state, incoming)
    for attempt in range(3):
        try:
            return _store_once(state, registry, repository, incoming, check)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _put_bytes(state: ServiceState, incoming: IncomingManifest) -> None:
    if state.blob_store.stat(incoming.digest) != len(incoming.body):
        state.blob_store.put_bytes(incoming.digest, incoming.body)


def _store_once(
    state: ServiceState,
    registry: registries.RegistryInfo,
    repository: str,
    incoming: IncomingManifest,
    check: Check,
) -> ManifestStored:
    full_name = f"{registry.name}/{repository}"
    digest, parsed, size = incoming.digest, incoming.parsed, len(incoming.body)
    with state.db.write() as session:
        # Shared with other pushes; a collector deleting content waits for us, and we for it.
        lock_for_transaction(session, LockKey.CONTENT, shared=True)
        repo_id = repositories.ensure_id(session, registry.id, repository)
        total = check_references(session, full_name, repo_id, parsed)
        manifest = find_by_digest(session, repo_id, digest)
        current = _current_tags(session, repo_id, incoming.tags)
        moves = tuple(
            TagMove(tag, current.get(tag), digest) for tag in dict.fromkeys(incoming.tags)
        )
        check(
            session,
            ManifestPushed(registry, full_name, repo_id, digest, size, manifest is None, moves),
        )
        now = utcnow()
        created = manifest is None
        if manifest is None:
            manifest = Manifest(
                repository_id=repo_id,
                digest=digest,
                media_type=parsed.media_type,
                artifact_type=parsed.artifact_type,
                subject_digest=parsed.subject.digest if parsed.subject else None,
                size=size,
                total_size=total,
                annotations=parsed.annotations,
                pushed_at=now,
                scan_status=ScanStatus.NOT_SCANNED,
            )
            blobs.ensure(session, digest, size)
            session.add(manifest)
            session.flush()
            references = [
                {"manifest_id": manifest.id, "digest": ref, "kind": kind}
                for ref, kind in references_of(parsed).items()
            ]
            if references:
                session.execute(insert(ManifestReference), references)
        else:
            manifest.pushed_at = now
        blobs.link(session, repo_id, digest)
        # Under the content lock: a collector that removed this content before we took it
        # (an old, unreferenced copy) is done, so the bytes are put back before commit.
        _put_bytes(state, incoming)
        _apply_tag_moves(session, repo_id, manifest.id, moves, now)
        repositories.touch(session, repo_id)
        return ManifestStored(manifest.id, created)


def _current_tags(session: Session, repository_id: int, tags: list[str]) -> dict[str, str]:
    if not tags:
        return {}
    return dict(
        session.execute(
            select(Tag.name, Manifest.digest)
            .join(Manifest, Manifest.id == Tag.manifest_id)
            .where(Tag.repository_id == repository_id, Tag.name.in_(set(tags)))
        ).all()
    )


def _apply_tag_moves(
    session: Session,
    repository_id: int,
    manifest_id: int,
    moves: tuple[TagMove, ...],
    now: dt.datetime,
) -> None:
    for move in moves:
        if move.current == move.target:
            continue
        tag = session.scalar(
            select(Tag).where(Tag.repository_id == repository_id, Tag.name == move.tag)
        )
        if tag is None:
            session.add(Tag(repository_id=repository_id, name=move.tag, manifest_id=manifest_id))
        else:
            tag.manifest_id = manifest_id
            tag.updated_at = now


# -- delete ----------------------------------------------------------------------------------
def remove_tag(
    state: ServiceState, registry: registries.RegistryInfo, repository: str, tag: str, check: Check
) -> None:
    full_name = f"{registry.name}/{repository}"
    with state.db.write() as session:
        repo = repositories.load(session, registry.id, registry.name, repository)
        row = session.scalar(select(Tag).where(Tag.repository_id == repo.id, Tag.name == tag))
        if row is None:
            raise manifest_unknown(full_name, tag)
        check(session, TagRemoved(registry, full_name, repo.id, tag))
        session.delete(row)
        repositories.touch(session, repo.id)


def remove_manifest(
    state: ServiceState,
    registry: registries.RegistryInfo,
    repository: str,
    digest: str,
    check: Check,
) -> None:
    """Drop the manifest, its tags and its own link; the collector drops unused layer links."""
    full_name = f"{registry.name}/{repository}"
    with state.db.write() as session:
        repo = repositories.load(session, registry.id, registry.name, repository)
        manifest = find_by_digest(session, repo.id, digest)
        if manifest is None:
            raise manifest_unknown(full_name, digest)
        check(session, ManifestRemoved(registry, full_name, repo.id, manifest.id, digest))
        session.execute(delete(Tag).where(Tag.manifest_id == manifest.id))
        session.execute(
            delete(ManifestReference).where(ManifestReference.manifest_id == manifest.id)
        )
        session.execute(delete(Manifest).where(Manifest.id == manifest.id))
        blobs.unlink(session, repo.id, digest)
        repositories.touch(session, repo.id)
