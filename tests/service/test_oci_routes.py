"""The data plane's route table: every route is authorised first, and the push-path policies
are where they must be (a missing one would be a silent hole)."""

from __future__ import annotations

from cloudraya_registry.domain import immutability, quota
from cloudraya_registry.domain.changes import (
    BlobAdded,
    BlobRemoved,
    ManifestPushed,
    ManifestRemoved,
    ManifestServed,
    ManifestStored,
    TagRemoved,
    UploadOpened,
    handles,
)
from cloudraya_registry.oci.policies import auth, pull_stats, scan_on_push
from cloudraya_registry.oci.routes import ROUTES

AUTH_STEPS = {auth.pull, auth.push, auth.delete, auth.catalog, auth.any_credential}


def test_every_route_starts_with_exactly_one_authorisation_step() -> None:
    for key, route in ROUTES.items():
        assert route.before, key
        assert route.before[0] in AUTH_STEPS, key
        assert sum(step in AUTH_STEPS for step in route.before) == 1, key


def test_writes_need_push_or_delete_and_reads_need_pull() -> None:
    for (area, method), route in ROUTES.items():
        step = route.before[0]
        if method == "DELETE" and area != "upload":
            assert step is auth.delete, (area, method)
        elif method in ("POST", "PUT", "PATCH") or area in ("upload", "uploads"):
            assert step is auth.push, (area, method)
        elif area not in ("base", "catalog"):
            assert step is auth.pull, (area, method)


def test_every_route_that_adds_content_checks_the_quota() -> None:
    for key in (("uploads", "POST"), ("upload", "PUT")):
        assert quota.blob_fits in ROUTES[key].checks, key
    assert quota.manifest_fits in ROUTES[("manifest", "PUT")].checks
    assert quota.upload_sessions_fit in ROUTES[("uploads", "POST")].checks


def test_manifest_routes_keep_immutable_tags() -> None:
    assert immutability.tags_stay in ROUTES[("manifest", "PUT")].checks
    deletes = ROUTES[("manifest", "DELETE")].checks
    assert immutability.tags_remain in deletes
    assert immutability.tagged_manifests_remain in deletes
    assert immutability.tagged_content_remains in ROUTES[("blob", "DELETE")].checks


def test_pulls_are_counted_on_get_and_pushes_wake_the_scanner() -> None:
    assert pull_stats.count in ROUTES[("manifest", "GET")].follow_ups
    assert pull_stats.count not in ROUTES[("manifest", "HEAD")].follow_ups
    assert scan_on_push.notify in ROUTES[("manifest", "PUT")].follow_ups


def test_each_step_handles_the_change_its_route_produces() -> None:
    expected = {
        quota.blob_fits: BlobAdded,
        quota.manifest_fits: ManifestPushed,
        quota.upload_sessions_fit: UploadOpened,
        immutability.tagged_content_remains: BlobRemoved,
        immutability.tags_stay: ManifestPushed,
        immutability.tags_remain: TagRemoved,
        immutability.tagged_manifests_remain: ManifestRemoved,
        pull_stats.count: ManifestServed,
        scan_on_push.notify: ManifestStored,
    }
    for step, kind in expected.items():
        assert handles(step) is kind, step
