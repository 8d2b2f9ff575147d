"""What the OCI spec allows as repository names, tags and digests, with messages saying so."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudraya_registry.oci.errors import OciError

# distribution-spec: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_PATTERN = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
DIGEST_PATTERN = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_DIGEST_HEX = {"sha256": 64, "sha512": 128}
MAX_NAME_LENGTH = 255

NAME_RULE = (
    "repository names are <registry>/<path>: lower-case letters and digits, components "
    "separated by '/', with single '.', '_', '__' or '-' runs inside a component"
)
TAG_RULE = (
    "tags are 1-128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'"
)
DIGEST_RULE = "digests are sha256:<64 lower-case hex> or sha512:<128 lower-case hex>"


@dataclass(frozen=True)
class RepositoryName:
    """``full`` as clients send it (``dev-registry/team/app``); ``path`` inside the registry."""

    full: str
    registry: str
    path: str


def parse_repository_name(full: str) -> RepositoryName:
    if len(full) > MAX_NAME_LENGTH:
        raise OciError(
            "NAME_INVALID",
            f"repository name is {len(full)} characters; at most {MAX_NAME_LENGTH} are allowed",
            detail={"name": full[:300]},
        )
    if not REPOSITORY_PATTERN.match(full):
        raise OciError(
            "NAME_INVALID", f"invalid repository name {full!r}: {NAME_RULE}", detail={"name": full}
        )
    registry, sep, path = full.partition("/")
    if not sep:
        raise OciError(
            "NAME_INVALID",
            f"repository name {full!r} has no path inside the registry: use "
            f"{full}/<repository> ({NAME_RULE})",
            detail={"name": full},
        )
    return RepositoryName(full=full, registry=registry, path=path)


def is_digest(reference: str) -> bool:
    return ":" in reference


def parse_digest(value: str | None, *, what: str = "digest") -> str:
    """A supported digest or DIGEST_INVALID; returned unchanged."""
    if not value:
        raise OciError("DIGEST_INVALID", f"{what} is missing; {DIGEST_RULE}")
    if not DIGEST_PATTERN.match(value):
        raise OciError(
            "DIGEST_INVALID",
            f"{what} {value!r} is malformed; {DIGEST_RULE}",
            detail={"digest": value},
        )
    algorithm, hex_part = value.split(":", 1)
    expected = _DIGEST_HEX.get(algorithm)
    if expected is None:
        raise OciError(
            "DIGEST_INVALID",
            f"digest algorithm {algorithm!r} is not supported; {DIGEST_RULE}",
            detail={"digest": value},
        )
    if len(hex_part) != expected or not re.fullmatch(r"[a-f0-9]+", hex_part):
        raise OciError(
            "DIGEST_INVALID",
            f"{what} {value!r} is malformed; {DIGEST_RULE}",
            detail={"digest": value},
        )
    return value


def parse_tag(value: str, *, code: str = "MANIFEST_INVALID") -> str:
    if not TAG_PATTERN.match(value):
        raise OciError(code, f"invalid tag {value!r}: {TAG_RULE}", detail={"tag": value})
    return value
