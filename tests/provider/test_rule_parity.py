"""The provider checks at preview exactly what the service enforces at apply.

The provider never imports the service (it talks to it over HTTP only), so the rules are
written twice; this test keeps the two copies equal.
"""

from __future__ import annotations

import pytest
from cloudraya_provider import image_names, naming, passwords, registry
from cloudraya_registry.domain import names as service_naming
from cloudraya_registry.domain import registries as service_registries
from cloudraya_registry.security import passwords as service_passwords

PASSWORDS = [
    "short-A1",
    "a" * 11 + "A",
    "alllowercase-only",
    "Two-Classes-Only",
    "NoSymbols123abc",
    "has space A1b2c3",
    "tab\tinside-A1b2",
    "Exactly-12-A",
    "x" * 120 + "A1-" + "y" * 5,
    "x" * 126 + "A1-",
    "ünïcödé-Passw0rd",
]
NAMES = ["dev", "dev-registry", "Dev", "1dev", "dev-", "d", "a" * 63, "a" * 64, "dev_reg"]


@pytest.mark.parametrize("password", PASSWORDS)
def test_password_rule_matches_the_service(password):
    assert (passwords.password_problem(password) is None) == (
        service_passwords.password_problem(password) is None
    )


def test_generated_passwords_satisfy_the_service():
    assert service_passwords.password_problem(passwords.generate_password()) is None


@pytest.mark.parametrize("name", NAMES)
def test_registry_name_rule_matches_the_service(name):
    assert (naming.name_problem(name) is None) == service_naming.is_registry_name(name)


def test_storage_limits_and_image_name_patterns_match_the_service():
    assert (registry.STORAGE_STEP_GB, registry.MAX_STORAGE_GB) == (
        service_registries.STORAGE_STEP_GB,
        service_registries.MAX_STORAGE_GB,
    )
    assert registry.DEFAULT_STORAGE_GB == service_registries.MIN_STORAGE_GB
    assert image_names.REPOSITORY_PATTERN.pattern == service_naming.REPOSITORY_PATTERN
    assert image_names.TAG_PATTERN.pattern == service_naming.TAG_PATTERN
    assert image_names.MAX_REPOSITORY_LENGTH == service_naming.MAX_REPOSITORY_LENGTH
    assert naming.NAME_PATTERN.pattern == service_naming.REGISTRY_NAME_PATTERN


GLOBS = ["app", "team/*", "**", "a?c", "App", "team api", "v*", "v1.*", "rc_1", "x/" * 101, "", "é"]
CREDENTIAL_NAMES = ["ci", "c", "ci-bot", "-ci", "ci-", "CI", "a" * 40, "a" * 41, "ci_bot", "9"]


@pytest.mark.parametrize("pattern", GLOBS)
def test_glob_rules_match_the_service(pattern):
    from cloudraya_provider import globs
    from cloudraya_registry.domain import globs as service_globs

    assert (globs.repository_glob_problem(pattern) is None) == (
        service_globs.repository_glob_problem(pattern) is None
    )
    assert (globs.tag_glob_problem(pattern) is None) == (
        service_globs.tag_glob_problem(pattern) is None
    )


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_name_rule_matches_the_service(name):
    from cloudraya_provider.registry_credential import credential_name_problem
    from cloudraya_registry.domain.scoped_credentials import is_credential_name

    assert (credential_name_problem(name) is None) == is_credential_name(name)


def test_retention_limits_match_the_service():
    from cloudraya_provider import retention_policy
    from cloudraya_registry.domain import retention

    assert retention_policy.SCHEDULES == retention.SCHEDULES
    assert retention_policy.MAX_RULES == retention.MAX_RULES
    assert retention_policy.MAX_DAYS == retention.MAX_DAYS
