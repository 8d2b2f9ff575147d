"""RegistryPassword: rotation by keepers, reset-elsewhere detection, import, docker config."""

from __future__ import annotations

import base64
import json

import httpx
from cloudraya_provider.docker_config import docker_config_json, registry_host
from cloudraya_provider.framework import CheckContext, Operation, PropertyChange
from cloudraya_provider.registry_password import RegistryPassword

from .fakes import HOST, FakeService

CTX = CheckContext(resource_name="dev-password")

OP = Operation()


def setup_password(keepers=None):
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    resource = RegistryPassword(fake.client())
    news = {"registry": "dev-registry"}
    if keepers is not None:
        news["keepers"] = keepers
    inputs = resource.check(CTX, {}, news).inputs
    id, state = resource.create(inputs, OP)
    return fake, resource, id, state, inputs


def test_docker_config_json_is_keyed_by_registry_host_with_basic_auth():
    document = json.loads(
        docker_config_json(f"{HOST}/dev-registry", "dev-registry", "Pw-123456789a")
    )
    assert list(document["auths"]) == [HOST]
    entry = document["auths"][HOST]
    assert entry["username"] == "dev-registry"
    assert entry["password"] == "Pw-123456789a"
    assert base64.b64decode(entry["auth"]).decode() == "dev-registry:Pw-123456789a"


def test_registry_host_strips_path_and_scheme():
    assert registry_host("registry.example.com:443/team/dev") == "registry.example.com:443"
    assert registry_host("https://registry.example.com/dev") == "registry.example.com"


def test_create_sets_a_new_password_the_service_accepts():
    fake, _, id, state, _ = setup_password({"rotation": "1"})
    assert id == "dev-registry"
    assert state["password"] == fake.registries["dev-registry"].password
    auth = json.loads(state["dockerConfigJson"])["auths"][HOST]
    assert auth["password"] == state["password"]
    assert state["username"] == "dev-registry"
    assert state["endpoint"] == f"{HOST}/dev-registry"


def test_create_is_one_request_to_the_service():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    resource = RegistryPassword(fake.client())
    resource.create(resource.check(CTX, {}, {"registry": "dev-registry"}).inputs, OP)
    assert fake.calls()[1:] == ["POST /api/v1/registries/dev-registry/password"]


def test_a_service_that_does_not_name_the_endpoint_is_asked_for_it():
    fake = FakeService()
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    fake.fail(
        "POST",
        "/api/v1/registries/dev-registry/password",
        httpx.Response(
            200,
            json={
                "username": "dev-registry",
                "password": "Older-Service-Passw0rd",
                "password_updated_at": "2026-01-01T00:00:01Z",
            },
        ),
    )
    resource = RegistryPassword(fake.client())
    inputs = resource.check(CTX, {}, {"registry": "dev-registry"}).inputs
    _, state = resource.create(inputs, OP)
    assert state["endpoint"] == f"{HOST}/dev-registry"
    assert json.loads(state["dockerConfigJson"])["auths"][HOST]["username"] == "dev-registry"


def test_changing_keepers_rotates_in_place():
    fake, resource, id, state, inputs = setup_password({"rotation": "1"})
    news = {**inputs, "keepers": {"rotation": "2"}}
    diff = resource.diff(id, state, inputs, news)
    assert diff.changes == {"keepers": PropertyChange("update")}

    rotated = resource.update(id, state, inputs, news, OP)
    assert rotated["password"] != state["password"]
    assert rotated["password"] == fake.registries["dev-registry"].password


def test_no_diff_when_nothing_changed():
    _, resource, id, state, inputs = setup_password({"rotation": "1"})
    assert resource.diff(id, state, inputs, dict(inputs)).changes == {}


def test_password_reset_elsewhere_is_seen_by_read_and_rotated_by_the_next_update():
    fake, resource, id, state, inputs = setup_password()
    fake.client().set_password("dev-registry", None)  # out of band

    refreshed = resource.read(id, state, inputs, OP)
    assert "password" not in refreshed.state
    assert "dockerConfigJson" not in refreshed.state

    diff = resource.diff(id, refreshed.state, refreshed.inputs, dict(inputs))
    assert diff.changes == {"password": PropertyChange("update")}

    rotated = resource.update(id, refreshed.state, refreshed.inputs, dict(inputs), OP)
    assert rotated["password"] == fake.registries["dev-registry"].password
    again = resource.read(id, rotated, inputs, OP)
    assert resource.diff(id, again.state, again.inputs, dict(inputs)).changes == {}


def test_valid_password_survives_refresh_unchanged():
    _, resource, id, state, inputs = setup_password({"a": "b"})
    assert resource.read(id, state, inputs, OP).state == state


def test_import_has_no_diff_against_a_matching_program():
    fake = FakeService()
    fake.client().create_registry("legacy-registry", storage_gb=10, password="Initial-Passw0rd-1")
    resource = RegistryPassword(fake.client())

    imported = resource.read("legacy-registry", {}, {}, OP)
    checked = resource.check(CTX, imported.inputs, {"registry": "legacy-registry"})

    assert (
        resource.diff("legacy-registry", imported.state, imported.inputs, checked.inputs).changes
        == {}
    )
    assert fake.calls("POST") == ["POST /api/v1/registries"]  # importing never rotates


def test_weak_explicit_password_fails_check_without_echoing_it():
    result = RegistryPassword(FakeService().client()).check(
        CTX, {}, {"registry": "dev-registry", "password": "short"}
    )
    [failure] = result.failures
    assert failure.property == "password"
    assert "short" not in failure.reason
    assert "12-128" in failure.reason
