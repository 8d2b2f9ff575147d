"""The declarative layer: fields declared once give Check, Diff, secrets and the schema.

The example resource is shaped like the ones issue 13 adds on top of this layer: a list of
objects with optional clauses and a choice, a map whose change rotates a secret, a secret
output and a field whose change replaces the resource.
"""

from __future__ import annotations

import pytest
from cloudraya_provider.framework import PropertyChange
from cloudraya_provider.kinds import Boolean, Integer, ListOf, MapOf, Object, Rule, String
from cloudraya_provider.spec import Field, ObjectType, Spec, object_types
from cloudraya_provider.values import UNKNOWN, show

GLOB = Rule("a glob such as `v*`", lambda v: None if v and " " not in v else "has spaces")
RULE = ObjectType(
    "test:index:Rule",
    "One rule.",
    (
        Field("pattern", String(rule=GLOB), default="*", doc="Repositories: {rule}."),
        Field("keepLast", Integer(minimum=1, maximum=1000), doc="Keep the last N: {rule}."),
        Field("keepTags", ListOf(String(rule=GLOB)), doc="Tags to keep."),
    ),
)
SPEC = Spec(
    "test:index:Policy",
    "A test resource.",
    (
        Field("registry", String(), required=True, replaces=True, always=True, doc="Registry."),
        Field("rules", ListOf(Object(RULE), max_items=3), doc="Rules: {rule}."),
        Field("schedule", String(choices=("daily", "manual")), default="daily", doc="{rule}."),
        Field("enabled", Boolean(), default=True, doc="On."),
        Field("keepers", MapOf(String()), diff_from="inputs", doc="Change rotates."),
        Field("token", String(), secret=True, input=False, computed=True, doc="The secret."),
    ),
)


def test_check_fills_defaults_and_keeps_only_declared_inputs():
    inputs, failures = SPEC.check({"registry": "r", "rules": [{"keepLast": 3}]})
    assert failures == []
    assert inputs == {
        "registry": "r",
        "rules": [{"keepLast": 3}],
        "schedule": "daily",
        "enabled": True,
    }


@pytest.mark.parametrize(
    ("news", "property", "reason"),
    [
        ({}, "registry", "registry is required"),
        ({"registry": "r", "colour": "red"}, "colour", "unknown property colour; allowed:"),
        ({"registry": "r", "enabled": "yes"}, "enabled", "enabled must be true or false"),
        (
            {"registry": "r", "schedule": "weekly"},
            "schedule",
            'one of `daily`, `manual` (got "weekly")',
        ),
        ({"registry": "r", "rules": [{}] * 4}, "rules", "rules has 4 items; at most 3"),
        (
            {"registry": "r", "rules": [{"keepLast": 0}]},
            "rules",
            "rules[0].keepLast 0 is not allowed",
        ),
        (
            {"registry": "r", "rules": [{"keepTags": ["a b"]}]},
            "rules",
            "rules[0].keepTags[0]: has spaces",
        ),
        ({"registry": "r", "rules": [{"keep": 1}]}, "rules", "unknown property rules[0].keep"),
        ({"registry": "r", "rules": "all"}, "rules", "rules must be a list of Rule objects"),
        ({"registry": "r", "keepers": {"k": 1}}, "keepers", "keepers.k must be a string"),
    ],
)
def test_check_names_the_property_and_the_rule(news, property, reason):
    _, failures = SPEC.check(news)
    [failure] = failures
    assert failure.property == property
    assert reason in failure.reason


def test_unknown_values_pass_check_until_they_are_known():
    _, failures = SPEC.check({"registry": UNKNOWN, "rules": [{"keepLast": UNKNOWN}]})
    assert failures == []


def test_a_secret_value_is_never_shown_in_a_failure():
    secret = Field("token", String(choices=("a", "b")), secret=True, doc="{rule}.")
    [(_, reason)] = secret.problems("hunter2-hunter2")
    assert "hunter2" not in reason


def test_values_are_shown_as_programs_write_them():
    assert [show(True), show(None), show("x"), show([1])] == ["true", "null", '"x"', "[1]"]


def test_diff_replaces_compares_state_or_inputs_and_fills_defaults():
    state = {"registry": "r", "schedule": "daily", "enabled": True, "keepers": {"k": "1"}}
    inputs = {"registry": "r", "schedule": "daily", "enabled": True, "keepers": {"k": "1"}}
    assert SPEC.diff(state, inputs, dict(inputs)) == {}
    # `enabled` changed on the service: drift against the state; defaults fill absent values.
    assert SPEC.diff({**state, "enabled": False}, inputs, {"registry": "r"}) == {
        "enabled": PropertyChange("update"),
        "keepers": PropertyChange("delete"),
    }
    assert SPEC.diff(state, inputs, {**inputs, "registry": "s"}) == {
        "registry": PropertyChange("update", replace=True)
    }
    # keepers are compared with the previous inputs: a new value rotates the secret.
    assert SPEC.diff(state, inputs, {**inputs, "keepers": {"k": "2"}}) == {
        "keepers": PropertyChange("update")
    }
    # The engine shows a state-based change from the service's value, not the old input.
    assert SPEC.diff({**state, "enabled": False}, inputs, inputs)["enabled"].input_diff is False
    assert SPEC.diff(state, inputs, {**inputs, "keepers": {}})["keepers"].input_diff is True


def test_preview_outputs_mark_computed_outputs_unknown():
    outputs = SPEC.preview_outputs({"registry": "r", "enabled": True})
    assert outputs == {"registry": "r", "enabled": True, "token": UNKNOWN}


def test_secrets_and_schema_follow_from_the_fields():
    assert SPEC.secret_outputs == {"token"}
    assert SPEC.secret_inputs == frozenset()
    schema = SPEC.schema()
    assert schema["requiredInputs"] == ["registry"]
    assert schema["inputProperties"]["registry"]["replaceOnChanges"] is True
    assert schema["inputProperties"]["rules"] == {
        "type": "array",
        "items": {"$ref": "#/types/test:index:Rule"},
        "description": "Rules: at most 3 items.",
    }
    assert schema["inputProperties"]["schedule"]["default"] == "daily"
    assert "one of `daily`, `manual`" in schema["inputProperties"]["schedule"]["description"]
    assert schema["properties"]["token"] == {
        "type": "string",
        "description": "The secret.",
        "secret": True,
    }
    assert "token" not in schema["inputProperties"]
    [rule] = object_types(SPEC.fields)
    assert rule.schema()["properties"]["keepLast"]["description"] == (
        "Keep the last N: from 1 to 1000."
    )


def test_a_field_with_limits_must_state_them_in_its_doc():
    with pytest.raises(ValueError, match="limits"):
        Field("size", Integer(minimum=1), doc="A size.")
