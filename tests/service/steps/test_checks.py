"""The checks routes run inside the committing transaction, each tried alone."""

from __future__ import annotations

import pytest
from cloudraya_registry.domain import immutability, quota
from cloudraya_registry.domain.changes import (
    BlobAdded,
    ManifestPushed,
    ManifestRemoved,
    TagMove,
    TagRemoved,
)
from cloudraya_registry.domain.errors import ImmutableTag, QuotaExceeded

from tests.service.steps.conftest import REPOSITORY, UNIT, World

FULL = f"step-registry/{REPOSITORY}"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def _pushed(world: World, *moves: TagMove, created: bool = True) -> ManifestPushed:
    return ManifestPushed(world.registry, FULL, 1, DIGEST_B, 100, created, moves)


def test_blob_fits_refuses_a_new_blob_past_the_quota_and_names_the_sizes(world: World) -> None:
    world.add_blob(b"x" * (6 * UNIT))
    with world.state.db.write() as session:
        quota.blob_fits(
            world.state, session, BlobAdded(world.registry, FULL, 1, DIGEST_A, 3 * UNIT)
        )
        with pytest.raises(QuotaExceeded) as refused:
            quota.blob_fits(
                world.state, session, BlobAdded(world.registry, FULL, 1, DIGEST_B, 5 * UNIT)
            )
    assert refused.value.details == {
        "used_bytes": 6 * UNIT,
        "total_bytes": 10 * UNIT,
        "total_gb": 10,
        "blob_bytes": 5 * UNIT,
    }


def test_blob_fits_lets_content_the_registry_holds_in_for_free(world: World) -> None:
    held = world.add_blob(b"y" * (9 * UNIT))
    with world.state.db.write() as session:
        quota.blob_fits(world.state, session, BlobAdded(world.registry, FULL, 1, held, 9 * UNIT))


def test_tags_stay_refuses_moving_a_tag_only_with_immutability_on(world: World) -> None:
    move = TagMove("v1", DIGEST_A, DIGEST_B)
    with world.state.db.read() as session:
        immutability.tags_stay(world.state, session, _pushed(world, move))  # setting off
    world.set_immutability(True)
    with world.state.db.read() as session:
        with pytest.raises(ImmutableTag) as refused:
            immutability.tags_stay(world.state, session, _pushed(world, move))
        # a new tag, and a re-push of what the tag names, are fine
        immutability.tags_stay(world.state, session, _pushed(world, TagMove("v2", None, DIGEST_B)))
        immutability.tags_stay(
            world.state, session, _pushed(world, TagMove("v1", DIGEST_B, DIGEST_B))
        )
    assert refused.value.details == {"tags": ["v1"]}
    assert DIGEST_A in refused.value.message


def test_tags_remain_refuses_deleting_a_tag_with_immutability_on(world: World) -> None:
    change = TagRemoved(world.registry, FULL, 1, "v1")
    with world.state.db.read() as session:
        immutability.tags_remain(world.state, session, change)
    world.set_immutability(True)
    change = TagRemoved(world.registry, FULL, 1, "v1")
    with world.state.db.read() as session, pytest.raises(ImmutableTag):
        immutability.tags_remain(world.state, session, change)


def test_tagged_manifests_remain_protects_tagged_manifests_only(world: World) -> None:
    tagged, tagged_digest, _ = world.push_image("v1", b"one")
    untagged, untagged_digest, _ = world.push_image(None, b"two")
    world.set_immutability(True)

    def removal(manifest_id: int, digest: str) -> ManifestRemoved:
        return ManifestRemoved(world.registry, FULL, 1, manifest_id, digest)

    with world.state.db.read() as session:
        with pytest.raises(ImmutableTag) as refused:
            immutability.tagged_manifests_remain(
                world.state, session, removal(tagged.manifest_id, tagged_digest)
            )
        immutability.tagged_manifests_remain(
            world.state, session, removal(untagged.manifest_id, untagged_digest)
        )
    assert refused.value.details == {"tags": ["v1"]}
