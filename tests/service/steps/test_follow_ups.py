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


def _pulls(world: World, manifest_id: int) -> tuple[int, object]:
    with world.state.db.read() as session:
        manifest = session.get(Manifest, manifest_id)
        assert manifest is not None
        return manifest.pull_count, manifest.last_pulled_at


def test_pull_stats_count_in_memory_and_are_written_in_one_batch(world: World) -> None:
    stored, _, _ = world.push_image("v1")
    other, _, _ = world.push_image("v2", b"other")
    for _ in range(3):
        pull_stats.count(world.state, ManifestServed(stored.manifest_id))
    pull_stats.count(world.state, ManifestServed(other.manifest_id))
    assert _pulls(world, stored.manifest_id) == (0, None)  # the pull path wrote nothing
    assert world.state.pull_counts.flush(world.state) == 2  # both manifests, one transaction
    count, last = _pulls(world, stored.manifest_id)
    assert count == 3 and last is not None
    assert _pulls(world, other.manifest_id)[0] == 1


def test_pull_stats_a_failed_write_keeps_the_counts_for_the_next(world: World) -> None:
    stored, _, _ = world.push_image("v1")
    pull_stats.count(world.state, ManifestServed(stored.manifest_id))
    real_write = world.state.db.write

    def failing_write():
        raise OSError(28, "No space left on device")

    world.state.db.write = failing_write  # type: ignore[method-assign]
    assert world.state.pull_counts.flush(world.state) == 0
    world.state.db.write = real_write  # type: ignore[method-assign]
    pull_stats.count(world.state, ManifestServed(stored.manifest_id))
    assert world.state.pull_counts.flush(world.state) == 1
    assert _pulls(world, stored.manifest_id)[0] == 2


def test_deleted_content_asks_for_a_garbage_collection(world: World) -> None:
    housekeeping_ = _Recorder()
    world.state.housekeeping = housekeeping_  # type: ignore[assignment]
    housekeeping.collect_garbage_soon(world.state, ContentDeleted("manifest x"))
    assert housekeeping_.calls == ["manifest x"]
