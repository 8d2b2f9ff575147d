"""The audit log records every control-plane change with actor, source address and outcome."""

from __future__ import annotations

from tests.service.test_control_projects import create_project_token
from tests.support.service import RegistryService


def _events(service: RegistryService, name: str, **params) -> list[dict]:
    with service.api() as api:
        response = api.get(f"/registries/{name}/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def test_every_change_is_recorded_newest_first_without_secrets(
    control_service: RegistryService,
) -> None:
    created = control_service.create_registry("dev-registry")
    with control_service.api() as api:
        api.put("/registries/dev-registry/storage", json={"storage_gb": 20})
        api.put("/registries/dev-registry/storage", json={"storage_gb": 10})  # refused
        api.patch("/registries/dev-registry/settings", json={"scan_on_push": True})
        reset = api.post("/registries/dev-registry/password").json()
        api.post("/registries/dev-registry/password/verify", json={"password": "wrong"})
        api.delete("/registries/dev-registry?confirm=wrong")  # refused

    events = _events(control_service, "dev-registry")
    summary = [(e["action"], e["outcome"]) for e in events]
    assert summary == [
        ("registry.delete", "failure"),
        ("registry.password.reset", "success"),
        ("registry.settings.update", "success"),
        ("registry.storage.resize", "failure"),
        ("registry.storage.resize", "success"),
        ("registry.create", "success"),
    ]
    for event in events:
        assert event["actor"] == "admin"
        assert event["source_ip"] == "127.0.0.1"
        assert event["target"] == "dev-registry"
    assert events[4]["details"] == {"from_gb": 10, "to_gb": 20}
    assert "dev-registry has 20 GB" in events[3]["details"]["reason"]
    assert events[2]["details"] == {"scan_on_push": True}
    text = str(events)
    assert created["password"] not in text
    assert reset["password"] not in text


def test_audit_log_outlives_the_registry(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        assert api.delete("/registries/dev-registry?confirm=dev-registry").status_code == 204
        never = api.get("/registries/never-existed/audit")
    actions = [e["action"] for e in _events(control_service, "dev-registry")]
    assert actions == ["registry.delete", "registry.create"]
    assert never.status_code == 404


def test_actor_is_the_token_name(control_service: RegistryService) -> None:
    token = create_project_token(control_service, "team-b", name="deploy-bot")
    with control_service.api(token=token) as api:
        assert api.post("/registries", json={"name": "bot-registry"}).status_code == 201
        events = api.get("/registries/bot-registry/audit").json()["events"]
    assert [(e["actor"], e["action"]) for e in events] == [("deploy-bot", "registry.create")]


def test_audit_pages_with_limit_and_before(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry")
    with control_service.api() as api:
        for size in (20, 30, 40, 50):
            api.put("/registries/dev-registry/storage", json={"storage_gb": size})
        first = api.get("/registries/dev-registry/audit", params={"limit": 2}).json()
        second = api.get(
            "/registries/dev-registry/audit", params={"limit": 2, "before": first["next_before"]}
        ).json()
        third = api.get(
            "/registries/dev-registry/audit", params={"limit": 2, "before": second["next_before"]}
        ).json()
        bad = api.get("/registries/dev-registry/audit", params={"limit": 0})
    sizes = [e["details"].get("to_gb") for e in first["events"] + second["events"]]
    assert sizes == [50, 40, 30, 20]
    assert [e["action"] for e in third["events"]] == ["registry.create"]
    assert third["next_before"] is None
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "limit: must be at least 1 (got '0')"
