"""Glob patterns over repository paths and tags, as the service accepts them (the provider's
copy, checked at preview; `tests/provider/test_rule_parity.py` keeps both rules equal).

`*` matches within one path component, `**` across `/`, `?` one character.
"""

from __future__ import annotations

import re

from .kinds import Rule
from .values import show

MAX_PATTERNS = 50
REPOSITORY_GLOB_RULE = (
    "lower-case letters, digits, '.', '_', '-', '/' and the wildcards '*' (within a path "
    "component), '**' (across '/') and '?', at most 200 characters"
)
TAG_GLOB_RULE = (
    "letters, digits, '.', '_', '-' and the wildcards '*' and '?', at most 128 characters"
)

_REPOSITORY_GLOB = re.compile(r"[a-z0-9._/*?-]{1,200}")
_TAG_GLOB = re.compile(r"[A-Za-z0-9._*?-]{1,128}")


def repository_glob_problem(pattern: str) -> str | None:
    if _REPOSITORY_GLOB.fullmatch(pattern):
        return None
    return f"{show(pattern)} is not a repository pattern: use {REPOSITORY_GLOB_RULE}"


def tag_glob_problem(pattern: str) -> str | None:
    if _TAG_GLOB.fullmatch(pattern):
        return None
    return f"{show(pattern)} is not a tag pattern: use {TAG_GLOB_RULE}"


REPOSITORY_GLOB = Rule(REPOSITORY_GLOB_RULE, repository_glob_problem)
TAG_GLOB = Rule(TAG_GLOB_RULE, tag_glob_problem)
