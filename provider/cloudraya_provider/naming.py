"""Registry names: the service's rule, and Pulumi-style auto-naming (resource name + suffix)."""

from __future__ import annotations

import hashlib
import re
import secrets

from .framework import CheckContext, CheckFailure
from .kinds import Rule
from .values import show

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")
NAME_RULE = (
    "3-63 lowercase letters, digits and hyphens, starting with a letter and not ending "
    "with a hyphen"
)
MAX_LENGTH = 63
SUFFIX_LENGTH = 7


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid registry name, or None when it is."""
    if NAME_PATTERN.match(name):
        return None
    return f"{show(name)} is not a valid registry name: use {NAME_RULE}"


REGISTRY_NAME = Rule(NAME_RULE, name_problem)


def auto_name(resource_name: str, random_seed: bytes = b"") -> str:
    """A valid registry name made from the resource name plus a random 7-character suffix.

    The suffix comes from the engine's random seed, so re-running Check gives the same name.
    """
    base = re.sub(r"[^a-z0-9]+", "-", resource_name.lower()).strip("-")
    base = re.sub(r"^[^a-z]+", "", base) or "registry"
    base = base[: MAX_LENGTH - SUFFIX_LENGTH - 1].rstrip("-")
    entropy = hashlib.sha256(random_seed).hexdigest() if random_seed else secrets.token_hex(8)
    return f"{base}-{entropy[:SUFFIX_LENGTH]}"


def choose_name(
    ctx: CheckContext, old_name: object, new_name: object, failures: list[CheckFailure]
) -> object:
    """The name to use: the explicit one, else the previous one, else an auto-name."""
    if new_name is not None:
        return new_name
    if isinstance(old_name, str) and old_name:
        return old_name
    if ctx.autonaming == "disable":
        failures.append(
            CheckFailure("name", "name is required because automatic naming is disabled")
        )
        return None
    if ctx.proposed_name and ctx.autonaming in ("propose", "enforce"):
        return ctx.proposed_name
    return auto_name(ctx.resource_name, ctx.random_seed)
