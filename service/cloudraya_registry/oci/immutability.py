"""Tag immutability on the push and delete paths (``Registry.tag_immutability``, read per request).

With immutability on, a tag once pointed at a manifest keeps pointing at it: moving it, deleting
it, or deleting a tagged manifest is refused. Re-pushing the identical manifest is allowed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Manifest, ManifestReference, Tag
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.registry_access import RegistryInfo


def _denied(registry: RegistryInfo, message: str, tags: list[str]) -> OciError:
    return OciError(
        "DENIED",
        f"{message}: registry {registry.name} has tag immutability enabled",
        detail={"tags": tags},
    )


def check_tag_push(
    registry: RegistryInfo, repository: str, tag: str, current_digest: str | None, new_digest: str
) -> None:
    if registry.tag_immutability and current_digest is not None and current_digest != new_digest:
        raise _denied(
            registry,
            f"tag {tag!r} of {repository} is immutable and already points to {current_digest}",
            [tag],
        )


def check_tag_delete(registry: RegistryInfo, repository: str, tag: str) -> None:
    if registry.tag_immutability:
        raise _denied(
            registry, f"tag {tag!r} of {repository} is immutable and cannot be deleted", [tag]
        )


def check_manifest_delete(
    session: Session, registry: RegistryInfo, repository: str, manifest_id: int, digest: str
) -> None:
    if not registry.tag_immutability:
        return
    tags = sorted(session.scalars(select(Tag.name).where(Tag.manifest_id == manifest_id)))
    if tags:
        raise _denied(
            registry,
            f"manifest {digest} of {repository} is tagged {', '.join(repr(t) for t in tags)} "
            "and immutable tags cannot be removed",
            tags,
        )
    # A platform manifest of a tagged index is part of what that immutable tag names.
    repository_id = session.scalar(select(Manifest.repository_id).where(Manifest.id == manifest_id))
    parent_tags = sorted(
        session.scalars(
            select(Tag.name)
            .join(ManifestReference, ManifestReference.manifest_id == Tag.manifest_id)
            .where(
                Tag.repository_id == repository_id,
                ManifestReference.digest == digest,
                ManifestReference.kind == "manifest",
            )
        )
    )
    if parent_tags:
        raise _denied(
            registry,
            f"manifest {digest} of {repository} belongs to the index tagged "
            f"{', '.join(repr(t) for t in parent_tags)} and immutable tags cannot change",
            parent_tags,
        )
