"""Registry rules: naming, grow-only storage, replacement, guarded deletion, partial failures."""

from __future__ import annotations

import httpx
import pytest
from cloudraya_provider.framework import (
    UNKNOWN,
    CheckContext,
    PartialFailure,
    PropertyChange,
    ResourceError,
)
from cloudraya_provider.naming import NAME_PATTERN, auto_name
from cloudraya_provider.registry import Registry

from .fakes import FakeService

CTX = CheckContext(resource_name="dev", random_seed=b"seed-1")


def created(fake: FakeService, **inputs) -> tuple[Registry, str, dict, dict]:
    registry = Registry(fake.client())
    checked = registry.check(CTX, {}, {"name": "dev-registry", **inputs})
    assert checked.failures == []
    id, state = registry.create(checked.inputs)
    return registry, id, state, checked.inputs


def test_auto_name_is_valid_deterministic_and_derived_from_the_resource_name():
    first = Registry(FakeService().client()).check(CTX, {}, {}).inputs["name"]
    again = Registry(FakeService().client()).check(CTX, {}, {}).inputs["name"]
    assert first == again
    assert first.startswith("dev-") and len(first) == len("dev-") + 7
    assert NAME_PATTERN.match(first)


@pytest.mark.parametrize("resource_name", ["My_App.Registry", "9lives", "x" * 80, "---"])
def test_auto_name_is_valid_for_any_resource_name(resource_name):
    assert NAME_PATTERN.match(auto_name(resource_name, b"seed"))


def test_auto_name_is_kept_when_the_resource_already_has_one():
    registry = Registry(FakeService().client())
    result = registry.check(CTX, {"name": "dev-1234567", "storageGb": 10}, {})
    assert result.inputs["name"] == "dev-1234567"


def test_engine_autonaming_proposal_is_used_and_disable_requires_a_name():
    registry = Registry(FakeService().client())
    proposed = CheckContext("dev", b"s", proposed_name="team-dev", autonaming="enforce")
    assert registry.check(proposed, {}, {}).inputs["name"] == "team-dev"
    disabled = CheckContext("dev", b"s", autonaming="disable")
    assert [f.property for f in registry.check(disabled, {}, {}).failures] == ["name"]


def test_invalid_name_fails_check_with_the_rule():
    result = Registry(FakeService().client()).check(CTX, {}, {"name": "Dev_Registry"})
    [failure] = result.failures
    assert failure.property == "name"
    assert "3-63 lowercase letters, digits and hyphens" in failure.reason


def test_check_fills_defaults():
    inputs = Registry(FakeService().client()).check(CTX, {}, {"name": "dev-registry"}).inputs
    assert inputs == {"name": "dev-registry", "storageGb": 10, "forceDestroy": False}


@pytest.mark.parametrize("storage", [0, 5, 15, 25])
def test_storage_must_be_a_multiple_of_ten(storage):
    result = Registry(FakeService().client()).check(
        CTX, {}, {"name": "dev-r", "storageGb": storage}
    )
    [failure] = result.failures
    assert failure.property == "storageGb"
    assert "steps of 10 GB" in failure.reason


def test_shrinking_storage_fails_check_with_current_size_and_rule():
    olds = {"name": "dev-registry", "storageGb": 30, "forceDestroy": False}
    result = Registry(FakeService().client()).check(CTX, olds, {**olds, "storageGb": 20})
    [failure] = result.failures
    assert failure.property == "storageGb"
    assert "dev-registry has 30 GB" in failure.reason
    assert "can only grow" in failure.reason


def test_non_multiple_growth_fails_check_with_current_size():
    olds = {"name": "dev-registry", "storageGb": 20, "forceDestroy": False}
    result = Registry(FakeService().client()).check(CTX, olds, {**olds, "storageGb": 25})
    [failure] = result.failures
    assert "dev-registry has 20 GB" in failure.reason
    assert "multiple of 10" in failure.reason


def test_diff_never_fails_so_refresh_can_show_a_resize_done_elsewhere():
    # During refresh the engine diffs the refreshed state (here 40 GB) against the old inputs.
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.registries["dev-registry"].storage_gb = 40
    refreshed = registry.read(id, state, inputs)
    diff = registry.diff(id, refreshed.state, refreshed.inputs, inputs)
    assert diff.changes == {"storageGb": PropertyChange("update")}
    assert diff.replaces == []


def test_growing_storage_is_an_in_place_update():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    news = {**inputs, "storageGb": 40}

    diff = registry.diff(id, state, inputs, news)
    assert diff.changes == {"storageGb": PropertyChange("update")}
    assert diff.replaces == []

    updated = registry.update(id, state, inputs, news)
    assert updated["storageGb"] == 40
    assert fake.registries["dev-registry"].storage_gb == 40


def test_renaming_replaces_create_before_delete():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    diff = registry.diff(id, state, inputs, {**inputs, "name": "dev-registry-2"})
    assert diff.changes == {"name": PropertyChange("update", replace=True)}
    assert diff.delete_before_replace is False


def test_no_changes_when_inputs_match_and_password_was_generated():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    assert "password" in state  # the generated password is kept as an output
    assert registry.diff(id, state, inputs, dict(inputs)).changes == {}


def test_unknown_storage_is_reported_as_a_possible_update():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    diff = registry.diff(id, state, inputs, {**inputs, "storageGb": UNKNOWN})
    assert diff.changes == {"storageGb": PropertyChange("update")}


def test_read_reports_drift_and_import_yields_matching_inputs():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.registries["dev-registry"].storage_gb = 50

    refreshed = registry.read(id, state, inputs)
    assert refreshed.state["storageGb"] == 50
    assert refreshed.inputs["storageGb"] == 50

    imported = registry.read("dev-registry", {}, {})
    checked = registry.check(CTX, imported.inputs, {"name": "dev-registry", "storageGb": 50})
    assert registry.diff(id, imported.state, imported.inputs, checked.inputs).changes == {}


def test_read_of_a_registry_deleted_elsewhere_removes_it():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    del fake.registries["dev-registry"]
    assert registry.read(id, state, inputs) is None


def test_delete_of_a_registry_holding_images_fails_and_deletes_nothing():
    fake = FakeService()
    registry, id, state, _ = created(fake)
    fake.registries["dev-registry"].repositories = ["my-app"]

    with pytest.raises(ResourceError) as failure:
        registry.delete(id, state)

    assert "still holds 1 repository (my-app)" in str(failure.value)
    assert "forceDestroy" in str(failure.value)
    assert "dev-registry" in fake.registries
    assert not fake.calls("DELETE")


def test_force_destroy_deletes_with_the_exact_name_as_confirmation():
    fake = FakeService()
    registry, id, state, _ = created(fake, forceDestroy=True)
    fake.registries["dev-registry"].repositories = ["my-app"]

    registry.delete(id, state)

    assert "dev-registry" not in fake.registries
    [delete] = [r for r in fake.requests if r.method == "DELETE"]
    assert delete.url.params["confirm"] == "dev-registry"


def test_update_that_fails_half_way_reports_what_was_applied():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.fail("POST", r".*/password", httpx.Response(500, json={}))
    news = {**inputs, "storageGb": 20, "password": "New-Passw0rd-123"}

    with pytest.raises(PartialFailure) as failure:
        registry.update(id, state, inputs, news)

    assert failure.value.state["storageGb"] == 20
    assert failure.value.inputs["storageGb"] == 20
    assert "password" not in failure.value.inputs
    assert "set password" in failure.value.reason
