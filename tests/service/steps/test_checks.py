"""The checks routes run inside the committing transaction, each tried alone."""

from __future__ import annotations

import pytest
from cloudraya_registry.domain import content, immutability, quota
from cloudraya_registry.domain.changes import (
    BlobAdded,
    BlobRemoved,
    ManifestPushed,
    ManifestRemoved,
    TagMove,
    TagRemoved,
    UploadOpened,
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


def test_blob_fits_counts_unfinished_uploads_but_not_the_blob_own_session(world: World) -> None:
    other = world.open_upload(b"u" * (4 * UNIT))
    own = world.open_upload(b"o" * (5 * UNIT))
    with world.state.db.write() as session:
        # 4 kB elsewhere + 5 kB of this very upload: 9 of 10 kB, and it fits
        quota.blob_fits(
            world.state, session, BlobAdded(world.registry, FULL, 1, DIGEST_A, 5 * UNIT, own)
        )
        with pytest.raises(QuotaExceeded) as refused:
            quota.blob_fits(
                world.state, session, BlobAdded(world.registry, FULL, 1, DIGEST_B, 7 * UNIT, other)
            )
    assert "unfinished uploads" in refused.value.message
    assert refused.value.details["used_bytes"] == 5 * UNIT


def test_manifest_fits_charges_new_manifests_only(world: World) -> None:
    world.add_blob(b"x" * (9 * UNIT))
    new = ManifestPushed(world.registry, FULL, 1, DIGEST_B, 2 * UNIT, True, ())
    with world.state.db.write() as session, pytest.raises(QuotaExceeded) as refused:
        quota.manifest_fits(world.state, session, new)
    assert "manifest does not fit" in refused.value.message
    _, digest, _ = world.push_image("v1", b"l")
    again = ManifestPushed(world.registry, FULL, 1, digest, 2 * UNIT, False, ())
    with world.state.db.write() as session:
        quota.manifest_fits(world.state, session, again)  # already held: free


def test_upload_sessions_fit_caps_unfinished_uploads_per_registry(world: World) -> None:
    opened = UploadOpened(world.registry, FULL, 1)
    for _ in range(3):  # the world's --max-open-uploads
        with world.state.db.write() as session:
            quota.upload_sessions_fit(world.state, session, opened)
        world.open_upload()
    with world.state.db.write() as session, pytest.raises(QuotaExceeded) as refused:
        quota.upload_sessions_fit(world.state, session, opened)
    assert refused.value.details == {"open_uploads": 3, "max_open_uploads": 3}


def test_tagged_content_remains_keeps_what_a_tagged_image_needs(world: World) -> None:
    _, tagged_digest, tagged_layer = world.push_image("v1", b"kept")
    _, _, loose_layer = world.push_image(None, b"loose")
    world.set_immutability(True)
    with world.state.db.read() as session:
        repository_id = world.repository_id(session)
        for needed in (tagged_layer, tagged_digest):
            with pytest.raises(ImmutableTag) as refused:
                immutability.tagged_content_remains(
                    world.state, session, BlobRemoved(world.registry, FULL, repository_id, needed)
                )
            assert refused.value.details == {"tags": ["v1"]}
        immutability.tagged_content_remains(
            world.state, session, BlobRemoved(world.registry, FULL, repository_id, loose_layer)
        )


def test_a_refused_upload_start_is_the_answer_even_when_its_data_cannot_be_dropped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(session, change) -> None:
        raise QuotaExceeded("no more uploads here")

    def storage_down(upload_id: str) -> None:
        raise OSError("storage unavailable")

    monkeypatch.setattr(world.state.blob_store, "delete_upload", storage_down)
    with pytest.raises(QuotaExceeded, match="no more uploads here"):
        content.open_upload(world.state, world.registry, REPOSITORY, refuse)
