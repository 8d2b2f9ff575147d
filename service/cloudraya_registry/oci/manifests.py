"""Manifests by tag or digest: GET/HEAD (pull statistics), PUT (validation, tags), DELETE."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from cloudraya_registry import scanning
from cloudraya_registry.db.models import (
    Manifest,
    ManifestReference,
    RepositoryBlob,
    ScanStatus,
    Tag,
    utcnow,
)
from cloudraya_registry.oci import immutability
from cloudraya_registry.oci.errors import OciError
from cloudraya_registry.oci.manifest_format import (
    MAX_MANIFEST_BYTES,
    ParsedManifest,
    parse_manifest,
)
from cloudraya_registry.oci.metadata import (
    ensure_blob,
    ensure_repository,
    find_manifest,
    find_repository,
    link_blob,
    linked_blob_size,
    touch_repository,
)
from cloudraya_registry.oci.names import is_digest, parse_digest, parse_tag
from cloudraya_registry.oci.registry_access import RegistryInfo
from cloudraya_registry.oci.streaming import in_thread, read_body

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from cloudraya_registry.oci.router import Context


def _name_unknown(ctx: Context) -> OciError:
    return OciError(
        "NAME_UNKNOWN", f"repository {ctx.repo.full} is not known", detail={"name": ctx.repo.full}
    )


def _manifest_unknown(ctx: Context, reference: str) -> OciError:
    what = "manifest" if is_digest(reference) else "tag"
    return OciError(
        "MANIFEST_UNKNOWN",
        f"{what} {reference} is not in repository {ctx.repo.full}",
        detail={"name": ctx.repo.full, "reference": reference},
    )


def _parse_reference(reference: str, code: str) -> str:
    if is_digest(reference):
        return parse_digest(reference)
    return parse_tag(reference, code=code)


def _resolve(session: Session, ctx: Context, reference: str) -> Manifest:
    repository = find_repository(session, ctx.registry.id, ctx.repo.path)
    if repository is None:
        raise _name_unknown(ctx)
    if is_digest(reference):
        manifest = find_manifest(session, repository.id, reference)
    else:
        manifest = session.scalar(
            select(Manifest)
            .join(Tag, Tag.manifest_id == Manifest.id)
            .where(Tag.repository_id == repository.id, Tag.name == reference)
        )
    if manifest is None:
        raise _manifest_unknown(ctx, reference)
    return manifest


# -- GET / HEAD --------------------------------------------------------------------------------
def _fetch(ctx: Context, reference: str, count_pull: bool) -> tuple[str, str, int, bytes | None]:
    """Digest, media type, size and (for GET) the bytes; a GET counts as a pull."""
    with ctx.state.db.write() if count_pull else ctx.state.db.read() as session:
        manifest = _resolve(session, ctx, reference)
        found = (manifest.id, manifest.digest, manifest.media_type, manifest.size)
        if count_pull:
            session.execute(
                update(Manifest)
                .where(Manifest.id == manifest.id)
                .values(pull_count=Manifest.pull_count + 1, last_pulled_at=utcnow())
            )
    _, digest, media_type, size = found
    body = None
    if count_pull:
        body = ctx.state.blob_store.read_bytes(digest, MAX_MANIFEST_BYTES)
        if body is None:
            raise _manifest_unknown(ctx, reference)
    return digest, media_type, size, body


async def get_manifest(ctx: Context) -> Response:
    reference = _parse_reference(ctx.params["reference"], "MANIFEST_UNKNOWN")
    is_get = ctx.request.method == "GET"
    digest, media_type, size, body = await in_thread(_fetch, ctx, reference, is_get)
    headers = {"Docker-Content-Digest": digest, "ETag": f'"{digest}"'}
    if not is_get:
        response = Response(status_code=200, headers=headers, media_type=media_type)
        response.headers["content-length"] = str(size)
        return response
    return Response(body, status_code=200, headers=headers, media_type=media_type)


# -- PUT ---------------------------------------------------------------------------------------
def _too_large(size: int | str) -> OciError:
    return OciError(
        "SIZE_INVALID",
        f"manifest is {size} bytes; at most {MAX_MANIFEST_BYTES} bytes (4 MiB) are accepted",
        status=413,
    )


async def put_manifest(ctx: Context) -> Response:
    reference = _parse_reference(ctx.params["reference"], "MANIFEST_INVALID")
    extra_tags = [parse_tag(t) for t in ctx.request.query_params.getlist("tag")]
    length = ctx.request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_MANIFEST_BYTES:
        raise _too_large(length)
    body = await read_body(ctx.request, MAX_MANIFEST_BYTES)
    if body is None:
        raise _too_large(f"more than {MAX_MANIFEST_BYTES}")
    if not body:
        raise OciError("MANIFEST_INVALID", "manifest body is empty")
    if is_digest(reference):
        algorithm = reference.split(":", 1)[0]
        digest = f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"
        if digest != reference:
            raise OciError(
                "DIGEST_INVALID",
                f"manifest content has digest {digest}, not {reference}",
                detail={"expected": reference, "actual": digest},
            )
        tags = extra_tags
    else:
        digest = f"sha256:{hashlib.sha256(body).hexdigest()}"
        tags = [reference, *extra_tags]
    parsed = parse_manifest(body, ctx.request.headers.get("content-type"))
    created_id = await in_thread(_store_manifest, ctx, digest, body, parsed, tags)
    if created_id is not None:
        # Scan-on-push: the scanner decides from the registry's setting; this only wakes it.
        scanning.on_manifest_pushed(ctx.state, created_id)
    headers = {
        "Location": f"/v2/{ctx.repo.full}/manifests/{digest}",
        "Docker-Content-Digest": digest,
    }
    if parsed.subject is not None:
        headers["OCI-Subject"] = parsed.subject.digest
    return Response(status_code=201, headers=headers)


def _check_references(
    session: Session, ctx: Context, repository_id: int, parsed: ParsedManifest
) -> int:
    """Every referenced blob/child must be in the repository; returns the total size."""
    total = 0
    if parsed.is_index:
        for child in parsed.children:
            row = find_manifest(session, repository_id, child.digest)
            if row is None:
                raise OciError(
                    "MANIFEST_BLOB_UNKNOWN",
                    f"child manifest {child.digest} is not in repository {ctx.repo.full}; push "
                    "it before the index",
                    detail={"digest": child.digest},
                )
            total += row.total_size or row.size
        return total
    assert parsed.config is not None
    for role, descriptor in [("config", parsed.config)] + [("layer", d) for d in parsed.layers]:
        if descriptor.foreign:
            total += descriptor.size
            continue
        size = linked_blob_size(session, repository_id, descriptor.digest)
        if size is None:
            raise OciError(
                "MANIFEST_BLOB_UNKNOWN",
                f"{role} blob {descriptor.digest} is not in repository {ctx.repo.full}; upload "
                "it before the manifest",
                detail={"digest": descriptor.digest},
            )
        if size != descriptor.size:
            raise OciError(
                "MANIFEST_INVALID",
                f"{role} {descriptor.digest} has {size} bytes but the manifest says "
                f"{descriptor.size}",
                detail={"digest": descriptor.digest, "size": size},
            )
        total += size
    return total


def _references(parsed: ParsedManifest) -> dict[str, str]:
    refs: dict[str, str] = {}
    if parsed.config is not None:
        refs.setdefault(parsed.config.digest, "config")
    for layer in parsed.layers:
        if not layer.foreign:
            refs.setdefault(layer.digest, "layer")
    for child in parsed.children:
        refs.setdefault(child.digest, "manifest")
    return refs


def _store_manifest(
    ctx: Context, digest: str, body: bytes, parsed: ParsedManifest, tags: list[str]
) -> int | None:
    """Store the manifest and its tags; returns the id of a newly created manifest.

    Two pushes of the same manifest or tag at once can collide on a unique key (PostgreSQL
    runs them in parallel); the loser simply runs again and finds the winner's rows.
    """
    store = ctx.state.blob_store
    if store.stat(digest) != len(body):
        store.put_bytes(digest, body)
    for attempt in range(3):
        try:
            return _store_manifest_once(ctx, digest, body, parsed, tags)
        except IntegrityError:
            if attempt == 2:
                raise
    return None


def _store_manifest_once(
    ctx: Context, digest: str, body: bytes, parsed: ParsedManifest, tags: list[str]
) -> int | None:
    store = ctx.state.blob_store
    registry: RegistryInfo = ctx.registry
    with ctx.state.db.write() as session:
        repository = ensure_repository(session, registry.id, ctx.repo.path)
        total = _check_references(session, ctx, repository.id, parsed)
        manifest = find_manifest(session, repository.id, digest)
        now = utcnow()
        created = manifest is None
        if manifest is None:
            manifest = Manifest(
                repository_id=repository.id,
                digest=digest,
                media_type=parsed.media_type,
                artifact_type=parsed.artifact_type,
                subject_digest=parsed.subject.digest if parsed.subject else None,
                size=len(body),
                total_size=total,
                annotations=parsed.annotations,
                pushed_at=now,
                scan_status=ScanStatus.NOT_SCANNED,
            )
            ensure_blob(session, digest, len(body))
            session.add(manifest)
            session.flush()
            for ref_digest, kind in _references(parsed).items():
                session.add(
                    ManifestReference(manifest_id=manifest.id, digest=ref_digest, kind=kind)
                )
        else:
            manifest.pushed_at = now
        link_blob(session, repository.id, digest)
        # Inside the transaction: a collector that removed this content meanwhile (an old,
        # unreferenced copy) is serialised with us, so the bytes are put back before commit.
        if store.stat(digest) != len(body):
            store.put_bytes(digest, body)
        for tag in tags:
            current = session.scalar(
                select(Tag).where(Tag.repository_id == repository.id, Tag.name == tag)
            )
            if current is None:
                session.add(Tag(repository_id=repository.id, name=tag, manifest_id=manifest.id))
                continue
            if current.manifest_id == manifest.id:
                continue
            current_digest = session.scalar(
                select(Manifest.digest).where(Manifest.id == current.manifest_id)
            )
            immutability.check_tag_push(registry, ctx.repo.full, tag, current_digest, digest)
            current.manifest_id = manifest.id
            current.updated_at = now
        touch_repository(session, repository.id)
    return manifest.id if created else None


# -- DELETE ------------------------------------------------------------------------------------
def _delete(ctx: Context, reference: str) -> None:
    registry: RegistryInfo = ctx.registry
    with ctx.state.db.write() as session:
        repository = find_repository(session, registry.id, ctx.repo.path)
        if repository is None:
            raise _name_unknown(ctx)
        if not is_digest(reference):
            tag = session.scalar(
                select(Tag).where(Tag.repository_id == repository.id, Tag.name == reference)
            )
            if tag is None:
                raise _manifest_unknown(ctx, reference)
            immutability.check_tag_delete(registry, ctx.repo.full, reference)
            session.delete(tag)
            touch_repository(session, repository.id)
            return
        manifest = find_manifest(session, repository.id, reference)
        if manifest is None:
            raise _manifest_unknown(ctx, reference)
        immutability.check_manifest_delete(session, registry, ctx.repo.full, manifest.id, reference)
        session.execute(delete(Tag).where(Tag.manifest_id == manifest.id))
        session.execute(
            delete(ManifestReference).where(ManifestReference.manifest_id == manifest.id)
        )
        session.execute(delete(Manifest).where(Manifest.id == manifest.id))
        session.execute(
            delete(RepositoryBlob).where(
                RepositoryBlob.repository_id == repository.id,
                RepositoryBlob.digest == manifest.digest,
            )
        )
        touch_repository(session, repository.id)


async def delete_manifest(ctx: Context) -> Response:
    reference = _parse_reference(ctx.params["reference"], "MANIFEST_UNKNOWN")
    await in_thread(_delete, ctx, reference)
    ctx.plane.collect_garbage_soon()
    return Response(status_code=202)
