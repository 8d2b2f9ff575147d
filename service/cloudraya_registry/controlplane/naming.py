"""OCI names as the distribution spec defines them: repository paths and tags."""

from __future__ import annotations

import re

from cloudraya_registry.errors import explain_pattern

REPOSITORY_PATTERN = (
    r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$"
)
REPOSITORY_RULE = (
    "path components of lower-case letters and digits, separated by '/', each component "
    "may contain '.', '_', '__' or '-' between alphanumerics"
)
MAX_REPOSITORY_LENGTH = 200
TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
TAG_RULE = "1-128 characters: letters, digits, '_', '.', '-', not starting with '.' or '-'"

_REPOSITORY = re.compile(REPOSITORY_PATTERN)
_TAG = re.compile(TAG_PATTERN)


def is_repository_name(name: str) -> bool:
    return len(name) <= MAX_REPOSITORY_LENGTH and _REPOSITORY.fullmatch(name) is not None


def is_tag(tag: str) -> bool:
    return _TAG.fullmatch(tag) is not None


explain_pattern(REPOSITORY_PATTERN, REPOSITORY_RULE)
explain_pattern(TAG_PATTERN, TAG_RULE)
