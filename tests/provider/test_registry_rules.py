"""Registry rules: naming, grow-only storage, replacement, identity, password drift, deletion."""

from __future__ import annotations

import httpx
import pytest
from cloudraya_provider.framework import (
    UNKNOWN,
    CheckContext,
    Operation,
    PartialFailure,
    PropertyChange,
    ResourceError,
)
from cloudraya_provider.naming import NAME_PATTERN, auto_name
from cloudraya_provider.registry import Registry

from .fakes import FakeService

CTX = CheckContext(resource_name="dev", random_seed=b"seed-1")


class Recorder:
    """An Operation whose messages to the user are kept for the test."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []
        self.op = Operation(
            urn="urn:test", say=lambda severity, text: self.said.append((severity, text))
        )

    def warnings(self) -> list[str]:
        return [text for severity, text in self.said if severity == "warning"]


OP = Operation()


def created(fake: FakeService, **inputs) -> tuple[Registry, str, dict, dict]:
    registry = Registry(fake.client())
    checked = registry.check(CTX, {}, {"name": "dev-registry", **inputs})
    assert checked.failures == []
    id, state = registry.create(checked.inputs, OP)
    return registry, id, state, checked.inputs


def reasons(result) -> list[str]:
    return [failure.reason for failure in result.failures]


# --- naming --------------------------------------------------------------------------------


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


def test_invalid_name_fails_check_with_the_rule_in_program_notation():
    result = Registry(FakeService().client()).check(CTX, {}, {"name": "Dev_Registry"})
    [failure] = result.failures
    assert failure.property == "name"
    assert '"Dev_Registry" is not a valid registry name' in failure.reason
    assert "3-63 lowercase letters, digits and hyphens" in failure.reason


def test_a_name_another_registry_holds_fails_check_and_suggests_import():
    fake = FakeService()
    fake.client().create_registry("taken-registry", storage_gb=10, password="Other-Passw0rd-1")
    result = Registry(fake.client()).check(CTX, {}, {"name": "taken-registry"})
    [failure] = result.failures
    assert failure.property == "name"
    assert "taken-registry already exists" in failure.reason
    assert "pulumi import cloudraya:index:Registry" in failure.reason
    assert fake.calls("POST") == ["POST /api/v1/registries"]  # only the set-up


def test_renaming_onto_a_name_in_use_fails_check_naming_the_swap():
    fake = FakeService()
    registry, _, _, inputs = created(fake)
    fake.client().create_registry("prod-registry", storage_gb=10, password="Other-Passw0rd-1")
    result = registry.check(CTX, inputs, {**inputs, "name": "prod-registry"})
    [failure] = result.failures
    assert "prod-registry already exists" in failure.reason
    assert "swapping names" in failure.reason


def test_renaming_a_registry_that_holds_images_fails_check_and_says_how():
    fake = FakeService()
    registry, _, _, inputs = created(fake)
    fake.registries["dev-registry"].repositories = ["my-app", "tools/base"]

    result = registry.check(CTX, inputs, {**inputs, "name": "dev-registry-2"})

    [failure] = result.failures
    assert failure.property == "name"
    assert "holds 2 repositories (my-app, tools/base)" in failure.reason
    assert "forceDestroy: true and the name dev-registry" in failure.reason
    forced = {**inputs, "forceDestroy": True}
    assert registry.check(CTX, forced, {**forced, "name": "dev-registry-2"}).failures == []


def test_renaming_an_empty_registry_replaces_it_create_before_delete():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    assert registry.check(CTX, inputs, {**inputs, "name": "dev-registry-2"}).failures == []
    diff = registry.diff(id, state, inputs, {**inputs, "name": "dev-registry-2"})
    assert diff.changes == {"name": PropertyChange("update", replace=True)}
    assert diff.delete_before_replace is False


# --- storage -------------------------------------------------------------------------------


def test_check_fills_defaults():
    inputs = Registry(FakeService().client()).check(CTX, {}, {"name": "dev-registry"}).inputs
    assert inputs == {"name": "dev-registry", "storageGb": 10, "forceDestroy": False}


@pytest.mark.parametrize("storage", [0, 5, 15, 25, 100_010])
def test_storage_must_be_a_multiple_of_ten_up_to_the_maximum(storage):
    result = Registry(FakeService().client()).check(
        CTX, {}, {"name": "dev-r", "storageGb": storage}
    )
    [failure] = result.failures
    assert failure.property == "storageGb"
    assert f"storageGb {storage} is not allowed" in failure.reason
    assert "a multiple of 10 from 10 to 100000" in failure.reason


@pytest.mark.parametrize(("value", "shown"), [(True, "a boolean"), ("20", "a string")])
def test_storage_of_the_wrong_kind_is_named_in_program_notation(value, shown):
    result = Registry(FakeService().client()).check(CTX, {}, {"name": "dev-r", "storageGb": value})
    [reason] = reasons(result)
    assert "storageGb must be a whole number of GB" in reason
    assert "True" not in reason


def test_shrinking_storage_fails_check_with_current_size_and_rule():
    olds = {"name": "dev-registry", "storageGb": 30, "forceDestroy": False}
    result = Registry(FakeService().client()).check(CTX, olds, {**olds, "storageGb": 20})
    [failure] = result.failures
    assert failure.property == "storageGb"
    assert "dev-registry has 30 GB" in failure.reason
    assert "can only grow" in failure.reason


def test_unsetting_storage_says_null_means_the_default():
    olds = {"name": "dev-registry", "storageGb": 20, "forceDestroy": False}
    result = Registry(FakeService().client()).check(CTX, olds, {**olds, "storageGb": None})
    [reason] = reasons(result)
    assert "storageGb is null (not set), which means the default 10 GB" in reason
    assert "storageGb 10 is not allowed" not in reason
    assert "None" not in reason


def test_storage_resized_elsewhere_is_a_diff_not_a_check_failure():
    # During refresh the engine diffs the refreshed state (here 40 GB) against the old inputs.
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.registries["dev-registry"].storage_gb = 40
    refreshed = registry.read(id, state, inputs, OP)
    assert refreshed.state["storageGb"] == 40
    assert refreshed.inputs["storageGb"] == 10  # the program's size, so Check still passes
    assert registry.check(CTX, refreshed.inputs, dict(inputs)).failures == []
    diff = registry.diff(id, refreshed.state, refreshed.inputs, inputs)
    assert diff.changes == {"storageGb": PropertyChange("update")}
    assert diff.replaces == []


def test_update_refuses_to_shrink_a_registry_resized_elsewhere_before_changing_anything():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.registries["dev-registry"].storage_gb = 40
    refreshed = registry.read(id, state, inputs, OP)
    news = {**inputs, "password": "Changed-Passw0rd-1"}
    recorder = Recorder()

    registry.preview_update(id, refreshed.state, refreshed.inputs, news, recorder.op)
    [warning] = recorder.warnings()
    assert "dev-registry has 40 GB" in warning and "`pulumi up` will refuse" in warning

    writes_before = len(fake.calls("POST")) + len(fake.calls("PUT"))
    with pytest.raises(ResourceError) as refused:
        registry.update(id, refreshed.state, refreshed.inputs, news, OP)
    assert "dev-registry has 40 GB" in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert len(fake.calls("POST")) + len(fake.calls("PUT")) == writes_before
    assert fake.registries["dev-registry"].password != "Changed-Passw0rd-1"


def test_growing_storage_is_an_in_place_update():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    news = {**inputs, "storageGb": 40}

    diff = registry.diff(id, state, inputs, news)
    assert diff.changes == {"storageGb": PropertyChange("update")}
    assert diff.replaces == []

    updated = registry.update(id, state, inputs, news, OP)
    assert updated["storageGb"] == 40
    assert fake.registries["dev-registry"].storage_gb == 40


def test_unknown_storage_is_reported_as_a_possible_update():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    diff = registry.diff(id, state, inputs, {**inputs, "storageGb": UNKNOWN})
    assert diff.changes == {"storageGb": PropertyChange("update")}


# --- passwords -----------------------------------------------------------------------------


def test_generated_password_is_made_by_the_provider_and_works():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    assert state["password"] == fake.registries["dev-registry"].password
    assert len(state["password"]) == 32
    assert registry.diff(id, state, inputs, dict(inputs)).changes == {}


def test_a_generated_password_reset_elsewhere_leaves_the_outputs_with_a_warning():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.registries["dev-registry"].password = "Reset-Elsewhere-1"
    recorder = Recorder()

    refreshed = registry.read(id, state, inputs, recorder.op)

    assert "password" not in refreshed.state
    [warning] = recorder.warnings()
    assert "no longer works" in warning and state["password"] not in warning
    assert registry.diff(id, refreshed.state, refreshed.inputs, dict(inputs)).changes == {}


def test_an_explicit_password_reset_elsewhere_is_drift_and_update_sets_it_again():
    fake = FakeService()
    registry, id, state, inputs = created(fake, password="Explicit-Passw0rd-1")
    fake.registries["dev-registry"].password = "Reset-Elsewhere-1"

    refreshed = registry.read(id, state, inputs, OP)
    assert "password" not in refreshed.state
    diff = registry.diff(id, refreshed.state, refreshed.inputs, dict(inputs))
    assert diff.changes == {"password": PropertyChange("update")}

    restored = registry.update(id, refreshed.state, refreshed.inputs, dict(inputs), OP)
    assert restored["password"] == "Explicit-Passw0rd-1"
    assert fake.registries["dev-registry"].password == "Explicit-Passw0rd-1"


# --- identity ------------------------------------------------------------------------------


def test_read_import_and_refresh_yield_matching_inputs():
    fake = FakeService()
    registry, id, _, _ = created(fake)
    imported = registry.read("dev-registry", {}, {}, OP)
    assert imported.inputs == {"name": "dev-registry", "storageGb": 10, "forceDestroy": False}
    checked = registry.check(CTX, imported.inputs, {"name": "dev-registry"})
    assert registry.diff(id, imported.state, imported.inputs, checked.inputs).changes == {}


def test_read_of_a_registry_deleted_elsewhere_removes_it():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    del fake.registries["dev-registry"]
    assert registry.read(id, state, inputs, OP) is None


def recreate_elsewhere(fake: FakeService) -> None:
    """Delete dev-registry and create another registry of the same name (someone else's)."""
    del fake.registries["dev-registry"]
    fake.client().create_registry("dev-registry", storage_gb=10, password="Someone-Else-1")


def test_a_registry_recreated_elsewhere_under_the_name_is_not_ours():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    recreate_elsewhere(fake)

    assert registry.read(id, state, inputs, Recorder().op) is None
    with pytest.raises(ResourceError) as refused:
        registry.update(id, state, inputs, {**inputs, "storageGb": 20}, OP)
    assert "not the registry this stack created" in str(refused.value)
    assert fake.registries["dev-registry"].storage_gb == 10

    recorder = Recorder()
    registry.delete(id, {**state, "forceDestroy": True}, recorder.op)
    assert "dev-registry" in fake.registries
    assert "left as it is" in recorder.warnings()[0]


# --- deletion ------------------------------------------------------------------------------


def test_delete_of_a_registry_holding_images_fails_and_deletes_nothing():
    fake = FakeService()
    registry, id, state, _ = created(fake)
    fake.registries["dev-registry"].repositories = ["my-app"]

    with pytest.raises(ResourceError) as failure:
        registry.delete(id, state, OP)

    assert "still holds 1 repository (my-app)" in str(failure.value)
    assert "forceDestroy" in str(failure.value)
    assert "dev-registry" in fake.registries
    assert not fake.calls("DELETE")


def test_force_destroy_deletes_with_the_exact_name_as_confirmation():
    fake = FakeService()
    registry, id, state, _ = created(fake, forceDestroy=True)
    fake.registries["dev-registry"].repositories = ["my-app"]

    registry.delete(id, state, OP)

    assert "dev-registry" not in fake.registries
    [delete] = [r for r in fake.requests if r.method == "DELETE"]
    assert delete.url.params["confirm"] == "dev-registry"


def test_update_that_fails_half_way_reports_what_was_applied():
    fake = FakeService()
    registry, id, state, inputs = created(fake)
    fake.fail("POST", r".*/password", httpx.Response(400, json={"error": {"code": "X"}}))
    news = {**inputs, "storageGb": 20, "password": "New-Passw0rd-123"}

    with pytest.raises(PartialFailure) as failure:
        registry.update(id, state, inputs, news, OP)

    assert failure.value.state["storageGb"] == 20
    assert failure.value.inputs["storageGb"] == 20
    assert "password" not in failure.value.inputs
    assert failure.value.state["password"] == state["password"]
    assert "set password" in failure.value.reason
