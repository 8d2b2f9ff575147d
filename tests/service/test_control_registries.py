"""Creating, reading and listing registries, and the rules their names and passwords follow."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.service import RegistryService

STRONG_PASSWORD = "Correct-Horse-42"


def _rfc3339(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"{value} has no UTC offset"
    return parsed


def test_created_registry_has_documented_defaults_and_returns_its_password_once(
    control_service: RegistryService,
) -> None:
    created = control_service.create_registry("dev-registry")

    assert created["name"] == "dev-registry"
    assert created["username"] == "dev-registry"
    assert created["endpoint"] == f"{control_service.host}/dev-registry"
    assert created["storage"] == {"used_bytes": 0, "total_gb": 10}
    assert created["settings"] == {
        "tag_immutability": False,
        "scan_on_push": False,
        "tag_immutability_exclusions": [],
    }
    assert created["repository_count"] == 0
    assert len(created["password"]) >= 12
    for field in ("password_updated_at", "created_at", "updated_at"):
        _rfc3339(created[field])

    with control_service.api() as api:
        read = api.get("/registries/dev-registry")
        listed = api.get("/registries")
    assert read.status_code == 200
    assert "password" not in read.json()
    assert read.json() == {k: v for k, v in created.items() if k != "password"}
    assert listed.status_code == 200
    assert [r["name"] for r in listed.json()["registries"]] == ["dev-registry"]


def test_given_password_and_storage_are_used(control_service: RegistryService) -> None:
    created = control_service.create_registry(
        "prod-registry", password=STRONG_PASSWORD, storage_gb=30
    )
    assert created["password"] == STRONG_PASSWORD
    assert created["storage"]["total_gb"] == 30
    with control_service.api() as api:
        verdict = api.post(
            "/registries/prod-registry/password/verify", json={"password": STRONG_PASSWORD}
        )
    assert verdict.json() == {"valid": True}


def test_list_is_sorted_by_name(control_service: RegistryService) -> None:
    for name in ("staging-registry", "dev-registry", "prod-registry"):
        control_service.create_registry(name)
    with control_service.api() as api:
        names = [r["name"] for r in api.get("/registries").json()["registries"]]
    assert names == ["dev-registry", "prod-registry", "staging-registry"]


def test_duplicate_name_is_refused_with_409(control_service: RegistryService) -> None:
    control_service.create_registry("dev-registry", storage_gb=20)
    with control_service.api() as api:
        response = api.post("/registries", json={"name": "dev-registry"})
        still = api.get("/registries/dev-registry").json()
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "ALREADY_EXISTS"
    assert "dev-registry" in error["message"]
    assert still["storage"]["total_gb"] == 20


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # too short
        "a" * 64,  # too long
        "Dev-registry",  # upper case
        "1registry",  # starts with a digit
        "-registry",  # starts with a hyphen
        "registry-",  # trailing hyphen
        "dev_registry",  # underscore
        "dev.registry",  # dot
        "dev registry",  # space
        "",
    ],
)
def test_name_outside_the_dns_label_rule_is_refused(
    control_service: RegistryService, name: str
) -> None:
    with control_service.api() as api:
        response = api.post("/registries", json={"name": name})
        listed = api.get("/registries").json()
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("name: must be 3 to 63 characters")
    assert listed == {"registries": []}


@pytest.mark.parametrize("name", ["abc", "a" * 63, "dev-registry-2", "a1b"])
def test_names_inside_the_rule_are_accepted(control_service: RegistryService, name: str) -> None:
    assert control_service.create_registry(name)["name"] == name


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Short1!", "has 7 characters"),
        ("a" * 129 + "A1", "has 131 characters"),
        ("alllowercaseletters", "too weak"),
        ("lowerUPPERonly", "too weak"),
        ("Has Space 123!", "whitespace"),
        ("Tab\tinside123A", "whitespace"),
    ],
)
def test_weak_or_malformed_password_is_refused_without_echoing_it(
    control_service: RegistryService, password: str, why: str
) -> None:
    with control_service.api() as api:
        response = api.post("/registries", json={"name": "dev-registry", "password": password})
        missing = api.get("/registries/dev-registry")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert why in error["message"]
    assert "at least three of" in error["message"]
    assert password not in response.text
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("storage_gb", "message"),
    [
        (15, "storage_gb: must be a multiple of 10 (got 15)"),
        (0, "storage_gb: must be at least 10 (got 0)"),
        (-10, "storage_gb: must be at least 10 (got -10)"),
        ("20", "storage_gb: must be an integer (got '20')"),
        (20.5, "storage_gb: must be an integer (got 20.5)"),
        (True, "storage_gb: must be an integer (got True)"),
        (None, "storage_gb: must be an integer (got None)"),
        (10**12, "storage_gb: must be at most 100000"),
    ],
)
def test_storage_must_be_a_whole_multiple_of_ten(
    control_service: RegistryService, storage_gb: object, message: str
) -> None:
    with control_service.api() as api:
        response = api.post("/registries", json={"name": "dev-registry", "storage_gb": storage_gb})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert message in response.json()["error"]["message"]


def test_unknown_field_is_refused_and_named(control_service: RegistryService) -> None:
    with control_service.api() as api:
        response = api.post("/registries", json={"name": "dev-registry", "region": "jakarta"})
        missing = api.get("/registries/dev-registry")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "region: unknown field; remove it"
    assert missing.status_code == 404


def test_missing_name_is_reported(control_service: RegistryService) -> None:
    with control_service.api() as api:
        response = api.post("/registries", json={})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "name: is required"


def test_unknown_registry_is_404_in_the_error_format(control_service: RegistryService) -> None:
    with control_service.api() as api:
        response = api.get("/registries/no-such-registry")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "NOT_FOUND", "message": "registry 'no-such-registry' not found"}
    }
