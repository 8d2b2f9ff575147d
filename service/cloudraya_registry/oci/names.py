"""Names in data-plane requests, checked against the rules of :mod:`cloudraya_registry.domain.names`
and refused with the OCI error code the spec pairs with each."""

from __future__ import annotations

from dataclasses import dataclass

from cloudraya_registry.domain.names import (
    FULL_NAME_RULE,
    MAX_FULL_NAME_LENGTH,
    TAG_RULE,
    digest_problem,
    is_digest_reference,
    is_full_repository_name,
    is_tag,
)
from cloudraya_registry.oci.errors import OciError


@dataclass(frozen=True)
class RepositoryName:
    """``full`` is ``<registry>/<path>`` (``dev-registry/team/app``), ``path`` the part inside
    the registry and ``sent`` the name as the client sent it: ``full`` at the shared host,
    ``path`` at a registry's own host (host-style endpoints)."""

    full: str
    registry: str
    path: str
    sent: str


def parse_repository_name(sent: str, registry: str | None = None) -> RepositoryName:
    """The repository a client names; ``registry`` is the one its host names (host style)."""
    full = f"{registry}/{sent}" if registry else sent
    if len(full) > MAX_FULL_NAME_LENGTH:
        raise OciError(
            "NAME_INVALID",
            f"repository name is {len(full)} characters; at most {MAX_FULL_NAME_LENGTH} are "
            "allowed",
            detail={"name": full[:300]},
        )
    if not is_full_repository_name(full):
        raise OciError(
            "NAME_INVALID",
            f"invalid repository name {full!r}: {FULL_NAME_RULE}",
            detail={"name": full},
        )
    registry, sep, path = full.partition("/")
    if not sep:
        raise OciError(
            "NAME_INVALID",
            f"repository name {full!r} has no path inside the registry: use "
            f"{full}/<repository> ({FULL_NAME_RULE})",
            detail={"name": full},
        )
    return RepositoryName(full=full, registry=registry, path=path, sent=sent)


def parse_digest(value: str | None, *, what: str = "digest") -> str:
    """A supported digest or DIGEST_INVALID; returned unchanged."""
    problem = digest_problem(value, what)
    if problem is not None:
        raise OciError("DIGEST_INVALID", problem, detail={"digest": value} if value else None)
    assert value is not None
    return value


def parse_tag(value: str, *, code: str = "MANIFEST_INVALID") -> str:
    if not is_tag(value):
        raise OciError(code, f"invalid tag {value!r}: tags are {TAG_RULE}", detail={"tag": value})
    return value


def parse_reference(value: str, code: str) -> str:
    """A manifest reference: a digest (has a colon) or a tag."""
    if is_digest_reference(value):
        return parse_digest(value)
    return parse_tag(value, code=code)
