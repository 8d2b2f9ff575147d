"""Manifests by tag or digest: GET/HEAD, PUT (validation, tags) and DELETE."""

from __future__ import annotations

import hashlib

from starlette.responses import Response

from cloudraya_registry.db.models import Manifest
from cloudraya_registry.domain import artifacts
from cloudraya_registry.domain.changes import ContentDeleted, ManifestPushedBy, ManifestServed
from cloudraya_registry.domain.manifest_format import parse_manifest
from cloudraya_registry.domain.media_types import MAX_MANIFEST_BYTES
from cloudraya_registry.domain.names import is_digest_reference
from cloudraya_registry.executors import in_thread, quick_read
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.names import parse_reference, parse_tag
from cloudraya_registry.oci.numbers import byte_count
from cloudraya_registry.oci.streaming import read_body


# -- GET / HEAD --------------------------------------------------------------------------------
def _resolve(ctx: Context, reference: str) -> tuple[int, str, str, int]:
    """Id, digest, media type and size of the manifest ``reference`` names."""
    with ctx.state.db.connect() as connection:
        return artifacts.resolve(
            connection,
            ctx.registry,
            ctx.path,
            reference,
            Manifest.id,
            Manifest.digest,
            Manifest.media_type,
            Manifest.size,
        )


async def _content(ctx: Context, digest: str, reference: str) -> bytes:
    """The manifest's bytes: from memory when cached, else from the storage on a thread."""
    store = ctx.state.blob_store
    body = store.cached_bytes(digest, MAX_MANIFEST_BYTES)
    if body is None:
        body = await in_thread(store.read_bytes, digest, MAX_MANIFEST_BYTES)
    if body is None:
        raise artifacts.manifest_unknown(ctx.repo.full, reference)
    return body


async def get_manifest(ctx: Context) -> Response:
    """A GET counts as a pull (the route's pull statistics step); a HEAD does not."""
    reference = parse_reference(ctx.params["reference"], "MANIFEST_UNKNOWN")
    manifest_id, digest, media_type, size = await quick_read(ctx.state.db, _resolve, ctx, reference)
    headers = {"Docker-Content-Digest": digest, "ETag": f'"{digest}"'}
    if ctx.head:
        response = Response(status_code=200, headers=headers, media_type=media_type)
        response.headers["content-length"] = str(size)
        return response
    body = await _content(ctx, digest, reference)
    ctx.did(ManifestServed(manifest_id))
    return Response(body, status_code=200, headers=headers, media_type=media_type)


# -- PUT ---------------------------------------------------------------------------------------
def _too_large(size: int | str) -> OciError:
    return OciError(
        "SIZE_INVALID",
        f"manifest is {size} bytes; at most {MAX_MANIFEST_BYTES} bytes (4 MiB) are accepted",
        status=413,
    )


def _digest_of(reference: str, body: bytes) -> str:
    """The content's digest; a digest reference must be exactly that."""
    if not is_digest_reference(reference):
        return f"sha256:{hashlib.sha256(body).hexdigest()}"
    algorithm = reference.split(":", 1)[0]
    digest = f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"
    if digest != reference:
        raise OciError(
            "DIGEST_INVALID",
            f"manifest content has digest {digest}, not {reference}",
            detail={"expected": reference, "actual": digest},
        )
    return digest


def _incoming(
    reference: str, body: bytes, content_type: str | None, tags: list[str]
) -> artifacts.IncomingManifest:
    return artifacts.IncomingManifest(
        _digest_of(reference, body), body, parse_manifest(body, content_type), tags
    )


async def put_manifest(ctx: Context) -> Response:
    reference = parse_reference(ctx.params["reference"], "MANIFEST_INVALID")
    extra_tags = [parse_tag(t) for t in ctx.request.query_params.getlist("tag")]
    length = ctx.request.headers.get("content-length")
    if length is not None:
        announced = byte_count(length)
        if announced is None or announced > MAX_MANIFEST_BYTES:
            raise _too_large(length[:40])
    body = await read_body(ctx.request, MAX_MANIFEST_BYTES)
    if body is None:
        raise _too_large(f"more than {MAX_MANIFEST_BYTES}")
    if not body:
        raise OciError("MANIFEST_INVALID", "manifest body is empty")
    tags = extra_tags if is_digest_reference(reference) else [reference, *extra_tags]
    content_type = ctx.request.headers.get("content-type")
    # Hashing and parsing up to 4 MiB is CPU work: off the event loop, like the storing.
    incoming = await in_thread(_incoming, reference, body, content_type, tags)
    stored = await in_thread(
        artifacts.store, ctx.state, ctx.registry, ctx.path, incoming, ctx.check
    )
    ctx.did(stored)
    assert ctx.caller is not None and ctx.repo is not None
    ctx.did(
        ManifestPushedBy(
            ctx.registry, ctx.caller.username, ctx.repo.full, incoming.digest, tuple(tags)
        )
    )
    parsed, digest = incoming.parsed, incoming.digest
    headers = {
        "Location": f"/v2/{ctx.repo.sent}/manifests/{digest}",
        "Docker-Content-Digest": digest,
    }
    if parsed.subject is not None:
        headers["OCI-Subject"] = parsed.subject.digest
    return Response(status_code=201, headers=headers)


# -- DELETE ------------------------------------------------------------------------------------
async def delete_manifest(ctx: Context) -> Response:
    """By tag: the tag goes. By digest: the manifest, its tags and its own link go."""
    reference = parse_reference(ctx.params["reference"], "MANIFEST_UNKNOWN")
    if is_digest_reference(reference):
        await in_thread(
            artifacts.remove_manifest, ctx.state, ctx.registry, ctx.path, reference, ctx.check
        )
    else:
        await in_thread(
            artifacts.remove_tag, ctx.state, ctx.registry, ctx.path, reference, ctx.check
        )
    ctx.did(ContentDeleted(f"manifest {ctx.repo.full}:{reference}"))
    return Response(status_code=202)
