"""schema.json is generated from the declared resources; GetSchema serves it; the code agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cloudraya_provider import schema
from cloudraya_provider.catalog import catalog
from cloudraya_provider.framework import CheckContext

from .fakes import FakeService

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO_ROOT / "schema.json").read_text())
RESOURCES, FUNCTIONS = catalog(FakeService().client())
REQUIRED_INPUTS = {
    "cloudraya:index:Registry": {},
    "cloudraya:index:RegistrySettings": {"registry": "dev-registry"},
    "cloudraya:index:RegistryPassword": {"registry": "dev-registry"},
    "cloudraya:index:RetentionPolicy": {
        "registry": "dev-registry",
        "rules": [{"keepLastPushed": 3}],
    },
    "cloudraya:index:RegistryCredential": {"registry": "dev-registry", "name": "ci"},
}


def test_committed_schema_is_the_generated_one():
    committed = (REPO_ROOT / "schema.json").read_text()
    assert committed == schema.render(), "schema.json is stale: run `make schema`"
    assert schema.main(["--check", str(REPO_ROOT / "schema.json")]) == 0


def test_stale_schema_is_reported(tmp_path):
    stale = tmp_path / "schema.json"
    stale.write_text(schema.render().replace("100000", "99999"))
    assert schema.main(["--check", str(stale)]) == 1


def test_every_resource_and_function_in_the_schema_is_implemented():
    assert set(SCHEMA["resources"]) == set(RESOURCES)
    assert set(SCHEMA["functions"]) == set(FUNCTIONS)


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_secret_properties_agree(token):
    spec = SCHEMA["resources"][token]
    resource = RESOURCES[token]
    assert {k for k, v in spec["properties"].items() if v.get("secret")} == set(
        resource.secret_outputs
    )
    assert {k for k, v in spec["inputProperties"].items() if v.get("secret")} == set(
        resource.secret_inputs
    )


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_schema_defaults_are_what_check_fills_in(token):
    spec = SCHEMA["resources"][token]["inputProperties"]
    checked = RESOURCES[token].check(CheckContext("x"), {}, dict(REQUIRED_INPUTS[token])).inputs
    for name, prop in spec.items():
        if "default" in prop:
            assert checked[name] == prop["default"], name


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_every_property_has_a_description(token):
    spec = SCHEMA["resources"][token]
    for group in ("inputProperties", "properties"):
        for name, prop in spec[group].items():
            assert prop.get("description"), f"{token}.{group}.{name}"


@pytest.mark.parametrize(
    ("where", "limit"),
    [
        (("cloudraya:index:Registry", "storageGb"), "from 10 to 100000"),
        (("cloudraya:index:Registry", "storageGb"), "a multiple of 10"),
        (("cloudraya:index:Registry", "name"), "3-63 lowercase letters"),
        (("cloudraya:index:Registry", "password"), "12-128 printable characters"),
        (("cloudraya:index:RegistryPassword", "password"), "at least three of"),
    ],
)
def test_every_limit_check_enforces_is_stated_in_the_schema(where, limit):
    token, name = where
    assert limit in SCHEMA["resources"][token]["inputProperties"][name]["description"]
