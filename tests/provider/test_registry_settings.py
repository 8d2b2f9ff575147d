"""RegistrySettings: in-place updates, drift, and restoring the defaults on delete."""

from __future__ import annotations

from cloudraya_provider.framework import CheckContext, Operation, PropertyChange
from cloudraya_provider.registry_settings import RegistrySettings

from .fakes import FakeService

CTX = CheckContext(resource_name="dev-settings")

OP = Operation()


def test_settings_apply_update_in_place_and_reset_on_delete():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    resource = RegistrySettings(fake.client())
    inputs = resource.check(CTX, {}, {"registry": "dev-registry", "scanOnPush": True}).inputs
    assert inputs == {
        "registry": "dev-registry",
        "tagImmutability": False,
        "scanOnPush": True,
    }

    id, state = resource.create(inputs, OP)
    assert fake.registries["dev-registry"].scan_on_push is True

    news = {**inputs, "tagImmutability": True}
    assert resource.diff(id, state, inputs, news).changes == {
        "tagImmutability": PropertyChange("update")
    }
    state = resource.update(id, state, inputs, news, OP)
    assert fake.registries["dev-registry"].tag_immutability is True

    resource.delete(id, state, OP)
    assert fake.registries["dev-registry"].tag_immutability is False
    assert fake.registries["dev-registry"].scan_on_push is False


def test_settings_toggled_elsewhere_show_up_on_read():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    resource = RegistrySettings(fake.client())
    inputs = resource.check(CTX, {}, {"registry": "dev-registry", "scanOnPush": True}).inputs
    id, state = resource.create(inputs, OP)
    fake.registries["dev-registry"].scan_on_push = False

    refreshed = resource.read(id, state, inputs, OP)
    diff = resource.diff(id, refreshed.state, refreshed.inputs, inputs)
    assert diff.changes == {"scanOnPush": PropertyChange("update")}


def test_changing_the_registry_replaces():
    resource = RegistrySettings(FakeService().client())
    old = {"registry": "a-registry", "tagImmutability": False, "scanOnPush": False}
    diff = resource.diff("a-registry", old, old, {**old, "registry": "b-registry"})
    assert diff.replaces == ["registry"]


def test_delete_after_the_registry_is_gone_succeeds():
    RegistrySettings(FakeService().client()).delete("gone-registry", {}, OP)
