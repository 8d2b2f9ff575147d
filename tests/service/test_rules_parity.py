"""The provider checks registry names and passwords at `pulumi preview` with its own copy of
the service's rules (it talks to the service only over HTTP); both must agree on every input,
or a plan that previews cleanly would fail at `up`."""

from __future__ import annotations

import pytest
from cloudraya_provider.naming import name_problem
from cloudraya_provider.passwords import password_problem as provider_password_problem
from cloudraya_registry.domain.names import is_registry_name
from cloudraya_registry.security.passwords import password_problem

NAMES = [
    "dev-registry",
    "abc",
    "a1-2",
    "ab",
    "a" * 63,
    "a" * 64,
    "1abc",
    "abc-",
    "Abc",
    "ab_c",
    "ab.c",
    "-abc",
    "",
]
PASSWORDS = [
    "Abcdefghijk1",
    "Abcdefghij1",
    "abcdefghijkl",
    "abcdefghijk1",
    "ABCDEFGHIJK1!",
    "Abcdefghijk 1",
    "Abcdefghijk\t1",
    "A" * 64 + "b1" + "c" * 62,
    "A" * 64 + "b1" + "c" * 63,
    "Ünïcödé-Pass-1",
    "",
]


@pytest.mark.parametrize("name", NAMES)
def test_registry_name_rule_is_the_same_in_provider_and_service(name: str) -> None:
    assert (name_problem(name) is None) == is_registry_name(name)


@pytest.mark.parametrize("password", PASSWORDS)
def test_password_rule_is_the_same_in_provider_and_service(password: str) -> None:
    assert (provider_password_problem(password) is None) == (password_problem(password) is None)
