"""Repository and tag names as the OCI distribution spec defines them (the service's rules)."""

from __future__ import annotations

import re

from .kinds import Rule
from .values import show

REPOSITORY_PATTERN = re.compile(
    r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$"
)
REPOSITORY_RULE = (
    "path components of lower-case letters and digits, separated by '/', each component "
    "may contain '.', '_', '__' or '-' between alphanumerics, at most 200 characters"
)
MAX_REPOSITORY_LENGTH = 200
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
TAG_RULE = "1-128 characters: letters, digits, '_', '.', '-', not starting with '.' or '-'"


def _repository_problem(name: str) -> str | None:
    if len(name) <= MAX_REPOSITORY_LENGTH and REPOSITORY_PATTERN.fullmatch(name):
        return None
    return f"{show(name)} is not a valid repository name: use {REPOSITORY_RULE}"


def _tag_problem(tag: str) -> str | None:
    if TAG_PATTERN.fullmatch(tag):
        return None
    return f"{show(tag)} is not a valid tag: use {TAG_RULE}"


REPOSITORY = Rule(REPOSITORY_RULE, _repository_problem)
TAG = Rule(TAG_RULE, _tag_problem)
