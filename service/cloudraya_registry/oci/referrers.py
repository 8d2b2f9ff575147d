"""``GET /v2/<name>/referrers/<digest>``: manifests whose ``subject`` is the digest."""

from __future__ import annotations

import json

from sqlalchemy import select
from starlette.responses import Response

from cloudraya_registry.db.models import Manifest
from cloudraya_registry.domain import repositories
from cloudraya_registry.domain.media_types import IMAGE_MANIFESTS, MAX_MANIFEST_BYTES, OCI_INDEX
from cloudraya_registry.executors import in_thread
from cloudraya_registry.oci.context import Context
from cloudraya_registry.oci.names import parse_digest


def _artifact_type(
    ctx: Context, digest: str, media_type: str, stored_type: str | None
) -> str | None:
    """The spec's value: artifactType, else an image manifest's config media type."""
    if stored_type or media_type not in IMAGE_MANIFESTS:
        return stored_type
    body = ctx.state.blob_store.read_bytes(digest, MAX_MANIFEST_BYTES)
    try:
        return json.loads(body or b"{}").get("config", {}).get("mediaType")
    except (ValueError, AttributeError):
        return None


def _referrers(ctx: Context, subject: str, artifact_type: str | None) -> list[dict]:
    with ctx.state.db.read() as session:
        repository = repositories.find(session, ctx.registry.id, ctx.path)
        if repository is None:
            return []
        rows = session.execute(
            select(
                Manifest.digest,
                Manifest.media_type,
                Manifest.size,
                Manifest.artifact_type,
                Manifest.annotations,
            )
            .where(Manifest.repository_id == repository.id, Manifest.subject_digest == subject)
            .order_by(Manifest.pushed_at, Manifest.id)
        ).all()
    descriptors = []
    for digest, media_type, size, stored_type, notes in rows:
        kind = _artifact_type(ctx, digest, media_type, stored_type)
        if artifact_type is not None and kind != artifact_type:
            continue
        descriptor: dict = {"mediaType": media_type, "digest": digest, "size": size}
        if kind:
            descriptor["artifactType"] = kind
        if notes:
            descriptor["annotations"] = notes
        descriptors.append(descriptor)
    return descriptors


async def list_referrers(ctx: Context) -> Response:
    subject = parse_digest(ctx.params["digest"])
    artifact_type = ctx.request.query_params.get("artifactType") or None
    descriptors = await in_thread(_referrers, ctx, subject, artifact_type)
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors})
    headers = {"OCI-Filters-Applied": "artifactType"} if artifact_type else {}
    return Response(body, status_code=200, headers=headers, media_type=OCI_INDEX)
