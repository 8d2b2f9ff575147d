"""Retention policies: the dry run lists exactly what a run deletes, the run deletes just that
(tags, manifests, then storage), and immutable tags survive it."""

from __future__ import annotations

import pytest
from cloudraya_registry.domain.retention import run_due

from tests.service.oci_helpers import (
    OCI_MANIFEST,
    OciClient,
    make_image,
    registry_with_client,
    sha256,
)
from tests.support.inprocess import InProcessService

REGISTRY = "keep-registry"
POLICY = {
    "rules": [
        {
            "repository_pattern": "app",
            "keep_last_pushed": 3,
            "keep_tag_patterns": ["v*"],
            "untagged_older_than_days": 0,
        }
    ],
    "schedule": "manual",
}
RELEASES = ["v1.0.0", "v1.1.0", "v2.0.0"]
BUILDS = [f"build-{n}" for n in range(1, 9)]


def _push(client: OciClient, repository: str, reference: str | None = None, **kwargs):
    image = make_image(300, 200, **kwargs)
    response = client.push_image(f"{REGISTRY}/{repository}", image, reference)
    assert response.status_code == 201, response.text
    return image


@pytest.fixture
def filled(service: InProcessService) -> dict:
    """12 tags in `app` (3 releases, rc-1, 8 builds), two untagged manifests, a signature of
    build-1 and one of build-8, and an untagged manifest in `tools/lint` no rule matches."""
    client = registry_with_client(service, REGISTRY)
    images = {tag: _push(client, "app", tag) for tag in [*RELEASES, "rc-1", *BUILDS]}
    untagged = [_push(client, "app"), _push(client, "app")]
    signatures = {
        tag: _push(
            client,
            "app",
            subject=(images[tag].digest, len(images[tag].manifest), OCI_MANIFEST),
            artifact_type="application/vnd.example.signature",
        )
        for tag in ("build-1", "build-8")
    }
    outside = _push(client, "tools/lint")
    with service.api() as api:
        settings = {"tag_immutability": True, "tag_immutability_exclusions": ["build-*"]}
        assert api.patch(f"/registries/{REGISTRY}/settings", json=settings).status_code == 200
        assert api.put(f"/registries/{REGISTRY}/retention-policy", json=POLICY).status_code == 200
    return {
        "client": client,
        "images": images,
        "untagged": untagged,
        "signatures": signatures,
        "outside": outside,
    }


def _expected_deletions(filled: dict) -> set[str]:
    images = filled["images"]
    return (
        {images[f"build-{n}"].digest for n in range(1, 6)}
        | {image.digest for image in filled["untagged"]}
        | {filled["signatures"]["build-1"].digest}
    )


def test_dry_run_lists_exactly_what_the_policy_deletes_and_changes_nothing(
    service: InProcessService, filled: dict
) -> None:
    with service.api() as api:
        before = api.get(f"/registries/{REGISTRY}").json()["storage"]["used_bytes"]
        response = api.post(f"/registries/{REGISTRY}/retention-policy/dry-run")
        after = api.get(f"/registries/{REGISTRY}").json()["storage"]["used_bytes"]
    assert response.status_code == 200, response.text
    plan = response.json()
    assert {d["digest"] for d in plan["deletions"]} == _expected_deletions(filled)
    assert plan["artifact_count"] == 8
    assert sorted(t for d in plan["deletions"] for t in d["tags"]) == sorted(
        f"build-{n}" for n in range(1, 6)
    )
    assert plan["protected_tags"] == ["app:rc-1"]
    assert plan["matched_repositories"] == ["app"]
    assert plan["size_bytes"] > 0 and "8 artifacts" in plan["message"]
    assert before == after
    tags = filled["client"].http.get(f"/v2/{REGISTRY}/app/tags/list").json()["tags"]
    assert len(tags) == 12


def test_run_deletes_the_dry_run_set_frees_storage_and_keeps_immutable_tags(
    service: InProcessService, filled: dict
) -> None:
    client: OciClient = filled["client"]
    with service.api() as api:
        used_before = api.get(f"/registries/{REGISTRY}").json()["storage"]["used_bytes"]
        planned = api.post(f"/registries/{REGISTRY}/retention-policy/dry-run").json()
        ran = api.post(f"/registries/{REGISTRY}/retention-policy/run")
        used_after = api.get(f"/registries/{REGISTRY}").json()["storage"]["used_bytes"]
        audit = api.get(f"/registries/{REGISTRY}/audit", params={"limit": 100}).json()
    assert ran.status_code == 200, ran.text
    assert {d["digest"] for d in ran.json()["deletions"]} == {
        d["digest"] for d in planned["deletions"]
    }
    tags = client.http.get(f"/v2/{REGISTRY}/app/tags/list").json()["tags"]
    assert sorted(tags) == sorted([*RELEASES, "rc-1", "build-6", "build-7", "build-8"])
    for digest in _expected_deletions(filled):
        assert client.get_manifest(f"{REGISTRY}/app", digest).status_code == 404
    deleted_layer = filled["images"]["build-1"].layers[0]
    assert client.get_blob(f"{REGISTRY}/app", sha256(deleted_layer)).status_code == 404
    kept = filled["images"]["build-8"]
    assert client.get_manifest(f"{REGISTRY}/app", "build-8").content == kept.manifest
    signature = filled["signatures"]["build-8"]
    assert client.get_manifest(f"{REGISTRY}/app", signature.digest).status_code == 200
    assert (
        client.get_manifest(f"{REGISTRY}/tools/lint", filled["outside"].digest).status_code == 200
    )
    freed = sum(
        image.total_size + len(image.manifest)
        for image in [
            *(filled["images"][f"build-{n}"] for n in range(1, 6)),
            *filled["untagged"],
            filled["signatures"]["build-1"],
        ]
    )
    assert used_before - used_after == freed
    removed = [e for e in audit["events"] if e["action"] == "retention.delete"]
    assert len(removed) == 8
    assert all(e["outcome"] == "success" for e in removed)
    stored = service.stored_blob_digests()
    assert sha256(deleted_layer) not in stored
    assert sha256(kept.layers[0]) in stored


def test_a_policy_that_matches_nothing_says_so(service: InProcessService) -> None:
    registry_with_client(service, REGISTRY)
    rules = [{"repository_pattern": "nothing/**", "keep_last_pushed": 1}]
    with service.api() as api:
        response = api.post(
            f"/registries/{REGISTRY}/retention-policy/dry-run", json={"rules": rules}
        )
    assert response.status_code == 200
    assert response.json()["artifact_count"] == 0
    assert "matches no repository" in response.json()["message"]


def test_double_star_crosses_slashes_and_single_star_does_not(service: InProcessService) -> None:
    client = registry_with_client(service, REGISTRY)
    old = _push(client, "team/api", "old")
    _push(client, "team/api", "new")
    with service.api() as api:
        single = api.post(
            f"/registries/{REGISTRY}/retention-policy/dry-run",
            json={"rules": [{"repository_pattern": "*", "keep_last_pushed": 1}]},
        ).json()
        double = api.post(
            f"/registries/{REGISTRY}/retention-policy/dry-run",
            json={"rules": [{"repository_pattern": "**", "keep_last_pushed": 1}]},
        ).json()
    assert single["matched_repositories"] == []
    assert [d["digest"] for d in double["deletions"]] == [old.digest]


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ([], "at least one rule"),
        ([{"repository_pattern": "App"}], "not a repository pattern"),
        ([{"keep_last_pushed": 0}], "keep_last_pushed"),
        ([{"keep_tag_patterns": ["v 1"]}], "not a tag pattern"),
        ([{"repository_pattern": "app"}], "set at least one of"),
        ([{"untagged_older_than_days": -1}], "untagged_older_than_days"),
    ],
)
def test_bad_rules_are_refused_with_what_is_allowed(
    service: InProcessService, rules: list, words: str
) -> None:
    registry_with_client(service, REGISTRY)
    with service.api() as api:
        response = api.put(
            f"/registries/{REGISTRY}/retention-policy", json={"rules": rules, "schedule": "daily"}
        )
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]


def test_unknown_schedule_is_refused(service: InProcessService) -> None:
    registry_with_client(service, REGISTRY)
    with service.api() as api:
        response = api.put(
            f"/registries/{REGISTRY}/retention-policy",
            json={"rules": [{"keep_last_pushed": 1}], "schedule": "weekly"},
        )
    assert response.status_code == 400
    assert "hourly" in response.text


def test_scheduled_policies_run_when_due_and_manual_ones_do_not(
    service: InProcessService,
) -> None:
    client = registry_with_client(service, REGISTRY)
    old = _push(client, "app", "old")
    _push(client, "app", "new")
    rules = [{"repository_pattern": "app", "keep_last_pushed": 1}]
    with service.api() as api:
        api.put(
            f"/registries/{REGISTRY}/retention-policy", json={"rules": rules, "schedule": "manual"}
        )
        assert run_due(service.state) == []
        assert client.get_manifest(f"{REGISTRY}/app", old.digest).status_code == 200
        api.put(
            f"/registries/{REGISTRY}/retention-policy", json={"rules": rules, "schedule": "daily"}
        )
        assert run_due(service.state) == [REGISTRY]
        assert run_due(service.state) == []  # not due again for a day
        policy = api.get(f"/registries/{REGISTRY}/retention-policy").json()
    assert client.get_manifest(f"{REGISTRY}/app", old.digest).status_code == 404
    assert policy["last_run_at"] is not None


def test_removed_policy_is_gone(service: InProcessService) -> None:
    registry_with_client(service, REGISTRY)
    with service.api() as api:
        api.put(
            f"/registries/{REGISTRY}/retention-policy", json={"rules": [{"keep_last_pushed": 2}]}
        )
        assert api.delete(f"/registries/{REGISTRY}/retention-policy").status_code == 204
        response = api.get(f"/registries/{REGISTRY}/retention-policy")
    assert response.status_code == 404
    assert "no retention policy" in response.json()["error"]["message"]


def test_a_run_while_another_holds_the_registry_is_refused(service: InProcessService) -> None:
    """Only one run per registry at a time: the lock is in the database (a process lock on
    SQLite), so a second run (here: the API's, while a run holds it) is refused, not doubled."""
    from cloudraya_registry.db.locks import LockKey, try_lock

    client = registry_with_client(service, REGISTRY)
    old = _push(client, "app", "old")
    _push(client, "app", "new")
    rules = [{"repository_pattern": "app", "keep_last_pushed": 1}]
    assert service.state is not None
    with service.api() as api:
        api.put(f"/registries/{REGISTRY}/retention-policy", json={"rules": rules})
        with try_lock(service.state.db, LockKey.RETENTION, REGISTRY) as held:
            assert held
            busy = api.post(f"/registries/{REGISTRY}/retention-policy/run")
            assert run_due(service.state) == []
        assert busy.status_code == 409
        assert "in progress" in busy.json()["error"]["message"]
        assert client.get_manifest(f"{REGISTRY}/app", old.digest).status_code == 200
        assert api.post(f"/registries/{REGISTRY}/retention-policy/run").status_code == 200
    assert client.get_manifest(f"{REGISTRY}/app", old.digest).status_code == 404
