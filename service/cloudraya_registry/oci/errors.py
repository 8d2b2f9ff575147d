"""OCI error bodies: ``{"errors": [{"code", "message", "detail"}]}`` with the spec's statuses."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

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
