"""schema.json is the public contract: GetSchema serves it and the code agrees with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cloudraya_provider.catalog import catalog
from cloudraya_provider.framework import CheckContext
from cloudraya_provider.server import load_schema

from .fakes import FakeService

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO_ROOT / "schema.json").read_text())
RESOURCES, FUNCTIONS = catalog(FakeService().client())
REQUIRED_INPUTS = {
    "cloudraya:index:Registry": {},
    "cloudraya:index:RegistrySettings": {"registry": "dev-registry"},
    "cloudraya:index:RegistryPassword": {"registry": "dev-registry"},
}


def test_get_schema_serves_the_repository_schema():
    assert json.loads(load_schema()) == SCHEMA


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
