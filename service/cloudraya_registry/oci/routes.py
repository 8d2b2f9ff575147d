"""Every data-plane route with its policy steps, in one table (Harbor's route.go in spirit).

Read a row as: who may call it (``before``), what must hold for the change it commits
(``checks``, run inside that transaction) and what follows a success (``follow_ups``). A policy
missing from a route is visible here, and ``tests/service/test_oci_routes.py`` keeps the
essential ones in place.
"""

from __future__ import annotations

from cloudraya_registry.domain import immutability, quota
from cloudraya_registry.oci import blobs, catalog, manifests, referrers, tags, uploads, version
from cloudraya_registry.oci.context import Route
from cloudraya_registry.oci.policies import (
    auth,
    credential_audit,
    housekeeping,
    pull_stats,
    scan_on_push,
)

# (API area, method) -> route. Areas are matched on the path by the router.
ROUTES: dict[tuple[str, str], Route] = {
    ("base", "GET"): Route(version.api_version, before=(auth.any_credential,)),
    ("base", "HEAD"): Route(version.api_version, before=(auth.any_credential,)),
    ("catalog", "GET"): Route(catalog.list_catalog, before=(auth.catalog,)),
    ("tags", "GET"): Route(tags.list_tags, before=(auth.pull,)),
    ("manifest", "GET"): Route(
        manifests.get_manifest, before=(auth.pull,), follow_ups=(pull_stats.count,)
    ),
    ("manifest", "HEAD"): Route(manifests.get_manifest, before=(auth.pull,)),
    ("manifest", "PUT"): Route(
        manifests.put_manifest,
        before=(auth.push,),
        checks=(immutability.tags_stay, quota.manifest_fits),
        follow_ups=(scan_on_push.notify, credential_audit.record_push),
    ),
    ("manifest", "DELETE"): Route(
        manifests.delete_manifest,
        before=(auth.delete,),
        checks=(immutability.tags_remain, immutability.tagged_manifests_remain),
        follow_ups=(housekeeping.collect_garbage_soon,),
    ),
    ("uploads", "POST"): Route(
        uploads.start_upload,
        before=(auth.push,),
        checks=(quota.upload_sessions_fit, quota.blob_fits),
    ),
    ("upload", "GET"): Route(uploads.upload_status, before=(auth.push,)),
    ("upload", "PATCH"): Route(uploads.patch_upload, before=(auth.push,)),
    ("upload", "PUT"): Route(uploads.finish_upload, before=(auth.push,), checks=(quota.blob_fits,)),
    ("upload", "DELETE"): Route(uploads.cancel_upload, before=(auth.push,)),
    ("blob", "GET"): Route(blobs.get_blob, before=(auth.pull,)),
    ("blob", "HEAD"): Route(blobs.get_blob, before=(auth.pull,)),
    ("blob", "DELETE"): Route(
        blobs.delete_blob, before=(auth.delete,), checks=(immutability.tagged_content_remains,)
    ),
    ("referrers", "GET"): Route(referrers.list_referrers, before=(auth.pull,)),
}
