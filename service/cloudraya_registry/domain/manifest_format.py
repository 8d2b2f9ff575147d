"""Parsing and validating manifest documents (OCI image/index, Docker schema 2/list).

Pure functions over bytes: they know nothing of storage, so every rule here can be tested alone.
A document that breaks a rule raises :class:`ManifestInvalid` saying what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudraya_registry.domain.errors import InvalidArgument
from cloudraya_registry.domain.media_types import (
    IMAGE_CONFIGS,
    INDEXES,
    MANIFESTS,
    OCI_INDEX,
    OCI_MANIFEST,
)
from cloudraya_registry.domain.names import DIGEST_RULE, digest_problem

MAX_SIZE = 2**63 - 1  # what a size column holds


class ManifestInvalid(InvalidArgument):
    pass


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None
    foreign: bool = False  # has "urls": the bytes live elsewhere (Windows foreign layers)

    def as_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            value["artifactType"] = self.artifact_type
        if self.annotations:
            value["annotations"] = self.annotations
        return value


@dataclass
class ParsedManifest:
    media_type: str
    is_index: bool
    config: Descriptor | None = None
    layers: list[Descriptor] = field(default_factory=list)
    children: list[Descriptor] = field(default_factory=list)
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None


def _invalid(message: str, **detail: Any) -> ManifestInvalid:
    return ManifestInvalid(message, **detail)


def _descriptor(value: Any, where: str) -> Descriptor:
    if not isinstance(value, dict):
        raise _invalid(f"{where} must be a descriptor object with mediaType, digest and size")
    media_type = value.get("mediaType")
    digest = value.get("digest")
    size = value.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise _invalid(f"{where}.mediaType is missing or not a string")
    if not isinstance(digest, str):
        raise _invalid(f"{where}.digest is missing or not a string; {DIGEST_RULE}")
    problem = digest_problem(digest, what=f"{where}.digest")
    if problem is not None:
        raise _invalid(problem, digest=digest)
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_SIZE:
        raise _invalid(f"{where}.size must be a non-negative integer below 2^63")
    annotations = value.get("annotations")
    if annotations is not None and not (
        isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values())
    ):
        raise _invalid(f"{where}.annotations must map strings to strings")
    artifact_type = value.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise _invalid(f"{where}.artifactType must be a string")
    urls = value.get("urls")
    return Descriptor(
        media_type=media_type,
        digest=digest,
        size=size,
        artifact_type=artifact_type,
        annotations=annotations or None,
        foreign=bool(urls),
    )


def _descriptors(values: list[Any], prefix: str) -> list[Descriptor]:
    """The descriptors of a list; one repeated verbatim (a legal manifest may list the same
    layer thousands of times) is checked once."""
    checked: dict[tuple, Descriptor] = {}
    result = []
    for index, value in enumerate(values):
        key = _plain_key(value)
        known = checked.get(key) if key is not None else None
        if known is None:
            known = _descriptor(value, f"{prefix}[{index}]")
            if key is not None:
                checked[key] = known
        result.append(known)
    return result


def _plain_key(value: Any) -> tuple | None:
    """What identifies a plain ``{mediaType, digest, size}`` descriptor (types included)."""
    if type(value) is not dict or len(value) != 3:
        return None
    try:
        parts = (value["mediaType"], value["digest"], value["size"])
        key = tuple((type(part), part) for part in parts)
        hash(key)
    except (KeyError, TypeError):
        return None
    return key


def parse_manifest(body: bytes, content_type: str | None) -> ParsedManifest:
    """Validate a manifest document; :class:`ManifestInvalid` says what is wrong."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _invalid(f"manifest is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise _invalid("manifest must be a JSON object")
    if document.get("schemaVersion") != 2:
        raise _invalid(
            f"schemaVersion must be 2 (got {document.get('schemaVersion')!r}); Docker schema 1 "
            "manifests are not supported"
        )
    declared = document.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise _invalid("mediaType must be a string")
    header_type = (content_type or "").split(";", 1)[0].strip() or None
    if header_type in ("application/json", "application/octet-stream"):
        header_type = None
    if header_type and declared and header_type != declared:
        raise _invalid(
            f"Content-Type {header_type} does not match the manifest's mediaType {declared}"
        )
    media_type = header_type or declared
    if media_type is None:
        # OCI documents may omit mediaType; the shape tells image from index.
        media_type = OCI_INDEX if "manifests" in document else OCI_MANIFEST
    if media_type not in MANIFESTS:
        raise _invalid(
            f"manifest media type {media_type!r} is not supported; supported: "
            + ", ".join(MANIFESTS),
            mediaType=media_type,
        )

    annotations = document.get("annotations")
    if annotations is not None and not (
        isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values())
    ):
        raise _invalid("annotations must map strings to strings")
    artifact_type = document.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise _invalid("artifactType must be a string")
    subject = document.get("subject")
    parsed = ParsedManifest(
        media_type=media_type,
        is_index=media_type in INDEXES,
        subject=_descriptor(subject, "subject") if subject is not None else None,
        artifact_type=artifact_type,
        annotations=annotations or None,
    )
    if parsed.is_index:
        children = document.get("manifests")
        if not isinstance(children, list):
            raise _invalid("an index needs a 'manifests' list")
        parsed.children = _descriptors(children, "manifests")
        return parsed

    if "manifests" in document:
        raise _invalid(f"a {media_type} document cannot have a 'manifests' list")
    config = document.get("config")
    if config is None:
        raise _invalid("an image manifest needs a 'config' descriptor")
    parsed.config = _descriptor(config, "config")
    layers = document.get("layers", [])
    if not isinstance(layers, list):
        raise _invalid("'layers' must be a list of descriptors")
    parsed.layers = _descriptors(layers, "layers")
    if parsed.artifact_type is None and parsed.config.media_type not in IMAGE_CONFIGS:
        # Referrers API: an image manifest's artifact type defaults to its config media type.
        parsed.artifact_type = parsed.config.media_type
    return parsed
