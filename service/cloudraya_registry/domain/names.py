"""Name rules, each with the sentence a user reads when a name breaks it.

Registry names are DNS labels (they are also the username); repository paths, tags and digests
follow the OCI distribution spec. Checks use ``fullmatch``: ``$`` would accept a trailing
newline (a tag ``"v1\\n"`` could never be deleted again).
"""

from __future__ import annotations

import re

REGISTRY_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$"
REGISTRY_NAME_RULE = (
    "3 to 63 characters: lower-case letters, digits and hyphens, starting with a letter "
    "and not ending with a hyphen"
)

# A repository's path inside its registry (``my-app``, ``team/api``).
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_PATTERN = rf"^{_COMPONENT}(?:/{_COMPONENT})*$"
REPOSITORY_RULE = (
    "path components of lower-case letters and digits, separated by '/', each component "
    "may contain '.', '_', '__' or '-' between alphanumerics"
)
MAX_REPOSITORY_LENGTH = 200  # the path alone, as the control plane takes it
MAX_FULL_NAME_LENGTH = 255  # <registry>/<path>, as OCI clients send it
FULL_NAME_RULE = (
    "repository names are <registry>/<path>: lower-case letters and digits, components "
    "separated by '/', with single '.', '_', '__' or '-' runs inside a component"
)

TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
TAG_RULE = "1-128 characters: letters, digits, '_', '.', '-', not starting with '.' or '-'"

DIGEST_PATTERN = r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
DIGEST_RULE = "digests are sha256:<64 lower-case hex> or sha512:<128 lower-case hex>"

_REGISTRY = re.compile(REGISTRY_NAME_PATTERN)
_REPOSITORY = re.compile(REPOSITORY_PATTERN)
_TAG = re.compile(TAG_PATTERN)
_DIGEST = re.compile(DIGEST_PATTERN)
_SUPPORTED_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")


def is_registry_name(name: str) -> bool:
    return _REGISTRY.fullmatch(name) is not None


def is_repository_path(path: str) -> bool:
    return len(path) <= MAX_REPOSITORY_LENGTH and _REPOSITORY.fullmatch(path) is not None


def is_full_repository_name(name: str) -> bool:
    return len(name) <= MAX_FULL_NAME_LENGTH and _REPOSITORY.fullmatch(name) is not None


def is_tag(tag: str) -> bool:
    return _TAG.fullmatch(tag) is not None


def is_digest_syntax(value: str) -> bool:
    """Shaped like ``algorithm:encoded`` (the spec's grammar, any algorithm)."""
    return _DIGEST.fullmatch(value) is not None


def is_supported_digest(value: str) -> bool:
    """A digest the registry stores: sha256 or sha512 in lower-case hex."""
    return _SUPPORTED_DIGEST.fullmatch(value) is not None


def digest_problem(value: str | None, what: str = "digest") -> str | None:
    """Why ``value`` is not a digest the registry stores, or None when it is one."""
    if not value:
        return f"{what} is missing; {DIGEST_RULE}"
    if not is_digest_syntax(value):
        return f"{what} {value!r} is malformed; {DIGEST_RULE}"
    algorithm = value.split(":", 1)[0]
    if algorithm not in DIGEST_HEX_LENGTHS:
        return f"digest algorithm {algorithm!r} is not supported; {DIGEST_RULE}"
    if not is_supported_digest(value):
        return f"{what} {value!r} is malformed; {DIGEST_RULE}"
    return None


def is_digest_reference(reference: str) -> bool:
    """A manifest reference is a digest when it has a colon (tags cannot)."""
    return ":" in reference
