"""Glob patterns over repository paths and tags (retention rules, scoped credentials, immutability
exclusions), each with the sentence a user reads when a pattern breaks its rule.

``*`` matches any run of characters except ``/``, ``**`` any run including ``/``, ``?`` one
character except ``/``. Everything else matches itself. The provider checks the same rules at
preview (``tests/provider/test_rule_parity.py`` keeps them equal).
"""

from __future__ import annotations

import functools
import re

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
    """Why ``pattern`` is not a repository glob, or None when it is one."""
    if isinstance(pattern, str) and _REPOSITORY_GLOB.fullmatch(pattern):
        return None
    return f"{pattern!r} is not a repository pattern: use {REPOSITORY_GLOB_RULE}"


def tag_glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a tag glob, or None when it is one."""
    if isinstance(pattern, str) and _TAG_GLOB.fullmatch(pattern):
        return None
    return f"{pattern!r} is not a tag pattern: use {TAG_GLOB_RULE}"


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts), re.DOTALL)


def matches(pattern: str, value: str) -> bool:
    return _compiled(pattern).fullmatch(value) is not None


def matches_any(patterns: list[str] | tuple[str, ...] | None, value: str) -> bool:
    return any(matches(p, value) for p in patterns or ())
