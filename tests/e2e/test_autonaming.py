"""A Registry without `name` is named after the resource plus a random suffix, and keeps it."""

from __future__ import annotations

import re

from .helpers import PROGRAMS, provider_env, registry


def test_registry_without_a_name_gets_a_valid_stable_name(pulumi, service):
    ws = pulumi(PROGRAMS / "autoname-yaml", stack="dev", env=provider_env(service))
    ws.up()
    name = ws.outputs()["name"]

    assert re.fullmatch(r"team-cache-[0-9a-f]{7}", name), name
    assert registry(service, name) is not None
    ws.preview("--expect-no-changes")
    ws.up()
    assert ws.outputs()["name"] == name

    ws.destroy()
    assert registry(service, name) is None
