"""OCI error bodies: ``{"errors": [{"code", "message", "detail"}]}`` with the spec's statuses,
and the OCI code of each refusal of the domain rules."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from cloudraya_registry.domain import errors as domain
from cloudraya_registry.domain.manifest_format import ManifestInvalid

API_VERSION_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}

_STATUS = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 400,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 400,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 415,
    "TOOMANYREQUESTS": 429,
}


class OciError(Exception):
    """A client error the data plane answers with an OCI error body."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS[code]
        self.detail = detail
        self.headers = headers or {}

    def response(self, *, head: bool = False) -> Response:
        return error_response(
            self.code, self.message, self.status, self.detail, self.headers, head=head
        )


def error_response(
    code: str,
    message: str,
    status: int,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    *,
    head: bool = False,
) -> Response:
    body = json.dumps(
        {"errors": [{"code": code, "message": message, "detail": detail or {}}]}
    ).encode()
    all_headers = {**API_VERSION_HEADER, **(headers or {})}
    if head:
        # A HEAD response carries no body, but says how long the GET body would be.
        all_headers["Content-Length"] = str(len(body))
        return Response(status_code=status, headers=all_headers, media_type="application/json")
    return Response(body, status_code=status, headers=all_headers, media_type="application/json")


# Most specific first: the first class an error is an instance of gives its code.
_DOMAIN_CODES: tuple[tuple[type[domain.DomainError], str, int | None], ...] = (
    (domain.RepositoryNotFound, "NAME_UNKNOWN", None),
    (domain.RegistryNotFound, "NAME_UNKNOWN", None),
    (domain.ManifestNotFound, "MANIFEST_UNKNOWN", None),
    (domain.BlobNotFound, "BLOB_UNKNOWN", None),
    (domain.UploadNotFound, "BLOB_UPLOAD_UNKNOWN", None),
    (domain.ReferencedContentMissing, "MANIFEST_BLOB_UNKNOWN", None),
    (ManifestInvalid, "MANIFEST_INVALID", None),
    (domain.Throttled, "TOOMANYREQUESTS", None),
    (domain.QuotaExceeded, "DENIED", 403),
    (domain.ImmutableTag, "DENIED", 403),
    (domain.FailedPrecondition, "DENIED", 403),
    (domain.NotFound, "NAME_UNKNOWN", None),
    (domain.InvalidArgument, "UNSUPPORTED", 400),
)


def from_domain(error: domain.DomainError) -> OciError:
    """The OCI error for a refusal of the rules (its message and details unchanged)."""
    headers = {}
    if isinstance(error, domain.Throttled):
        headers["Retry-After"] = str(error.retry_after)
    for kind, code, status in _DOMAIN_CODES:
        if isinstance(error, kind):
            return OciError(
                code, error.message, status=status, detail=error.details, headers=headers
            )
    return OciError("DENIED", error.message, status=403, detail=error.details, headers=headers)
