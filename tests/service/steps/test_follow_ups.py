"""The follow-up steps routes run after a success, each tried alone."""

from __future__ import annotations

from cloudraya_registry.db.models import Manifest
from cloudraya_registry.domain.changes import ContentDeleted, ManifestServed, ManifestStored
from cloudraya_registry.oci.policies import housekeeping, pull_stats, scan_on_push

from tests.service.steps.conftest import World


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def pushed(self, manifest_id: int) -> None:
        self.calls.append(manifest_id)

    def collect_garbage_soon(self, reason: str) -> None:
        self.calls.append(reason)


def test_scan_on_push_hands_only_new_manifests_to_the_pool(world: World) -> None:
    pool = _Recorder()
    world.state.scan_pool = pool  # type: ignore[assignment]
    scan_on_push.notify(world.state, ManifestStored(7, created=True))
    scan_on_push.notify(world.state, ManifestStored(8, created=False))
    assert pool.calls == [7]


def test_pull_stats_count_a_served_manifest(world: World) -> None:
    stored, _, _ = world.push_image("v1")
    for _ in range(3):
        pull_stats.count(world.state, ManifestServed(stored.manifest_id))
    with world.state.db.read() as session:
        manifest = session.get(Manifest, stored.manifest_id)
        assert manifest is not None
        assert manifest.pull_count == 3
        assert manifest.last_pulled_at is not None


def test_deleted_content_asks_for_a_garbage_collection(world: World) -> None:
    housekeeping_ = _Recorder()
    world.state.housekeeping = housekeeping_  # type: ignore[assignment]
    housekeeping.collect_garbage_soon(world.state, ContentDeleted("manifest x"))
    assert housekeeping_.calls == ["manifest x"]
