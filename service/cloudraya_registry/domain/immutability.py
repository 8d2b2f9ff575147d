"""Tag immutability (``Registry.tag_immutability``, read per request): once a tag names a
manifest it keeps naming it, and pulls of it keep working. Moving or deleting the tag,
deleting a tagged manifest, or unlinking a blob a tagged manifest uses is refused; re-pushing
the identical manifest is allowed. Tags matching one of ``tag_immutability_exclusions`` (globs
such as ``latest`` or ``dev-*``) stay mutable: they protect nothing.

Each rule is a check step (see :mod:`changes`): the data plane's routes list them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Manifest, ManifestReference, Tag
from cloudraya_registry.domain.changes import (
    BlobRemoved,
    ManifestPushed,
    ManifestRemoved,
    TagRemoved,
    step_for,
)
from cloudraya_registry.domain.errors import ImmutableTag

if TYPE_CHECKING:
    from cloudraya_registry.domain.registries import RegistryInfo
    from cloudraya_registry.state import ServiceState


def _refusal(registry: RegistryInfo, message: str, tags: list[str]) -> ImmutableTag:
    return ImmutableTag(
        f"{message}: registry {registry.name} has tag immutability enabled", tags=tags
    )


def _immutable(registry: RegistryInfo, tags: Iterable[str]) -> list[str]:
    """The tags of ``tags`` that immutability holds, sorted."""
    return sorted(tag for tag in tags if registry.is_immutable(tag))


@step_for(ManifestPushed)
def tags_stay(_state: ServiceState, _session: Session, change: ManifestPushed) -> None:
    if not change.registry.tag_immutability:
        return
    for move in change.tag_moves:
        if not change.registry.is_immutable(move.tag):
            continue
        if move.current is not None and move.current != move.target:
            raise _refusal(
                change.registry,
                f"tag {move.tag!r} of {change.repository} is immutable and already points to "
                f"{move.current}",
                [move.tag],
            )


@step_for(TagRemoved)
def tags_remain(_state: ServiceState, _session: Session, change: TagRemoved) -> None:
    if change.registry.is_immutable(change.tag):
        raise _refusal(
            change.registry,
            f"tag {change.tag!r} of {change.repository} is immutable and cannot be deleted",
            [change.tag],
        )


@step_for(ManifestRemoved)
def tagged_manifests_remain(
    _state: ServiceState, session: Session, change: ManifestRemoved
) -> None:
    if not change.registry.tag_immutability:
        return
    tags = _immutable(
        change.registry,
        session.scalars(select(Tag.name).where(Tag.manifest_id == change.manifest_id)),
    )
    if tags:
        raise _refusal(
            change.registry,
            f"manifest {change.digest} of {change.repository} is tagged "
            f"{', '.join(repr(t) for t in tags)} and immutable tags cannot be removed",
            tags,
        )
    # A platform manifest of a tagged index is part of what that immutable tag names.
    parent_tags = _immutable(
        change.registry,
        session.scalars(
            select(Tag.name)
            .join(ManifestReference, ManifestReference.manifest_id == Tag.manifest_id)
            .where(
                Tag.repository_id == change.repository_id,
                ManifestReference.digest == change.digest,
                ManifestReference.kind == "manifest",
            )
        ),
    )
    if parent_tags:
        raise _refusal(
            change.registry,
            f"manifest {change.digest} of {change.repository} belongs to the index tagged "
            f"{', '.join(repr(t) for t in parent_tags)} and immutable tags cannot change",
            parent_tags,
        )


@step_for(BlobRemoved)
def tagged_content_remains(_state: ServiceState, session: Session, change: BlobRemoved) -> None:
    """A blob a tagged image needs stays linked: its config, a layer, the manifest bytes, or
    those of a platform manifest of a tagged index."""
    if not change.registry.tag_immutability:
        return
    in_repository = Manifest.repository_id == change.repository_id
    needing = or_(
        Manifest.digest == change.digest,
        Manifest.id.in_(
            select(ManifestReference.manifest_id).where(ManifestReference.digest == change.digest)
        ),
    )
    needing_ids = select(Manifest.id).where(in_repository, needing)
    indexes_of_them = select(ManifestReference.manifest_id).where(
        ManifestReference.kind == "manifest",
        ManifestReference.digest.in_(select(Manifest.digest).where(in_repository, needing)),
    )
    tags = _immutable(
        change.registry,
        session.scalars(
            select(Tag.name).where(
                Tag.repository_id == change.repository_id,
                Tag.manifest_id.in_(needing_ids) | Tag.manifest_id.in_(indexes_of_them),
            )
        ),
    )
    if tags:
        raise _refusal(
            change.registry,
            f"blob {change.digest} of {change.repository} is part of the image tagged "
            f"{', '.join(repr(t) for t in tags)}, and immutable tags must keep pulling",
            tags,
        )
