"""The control plane's one error shape, and the handlers that keep FastAPI's defaults out.

Every 4xx/5xx of ``/api/v1`` is ``{"error": {"code", "message", "details"?}}``. Refusals of the
domain rules map to a status by their class (:func:`status_of`); validation problems become
400 INVALID_ARGUMENT with one sentence per field, never echoing the input of a secret field.
Unexpected exceptions become a logged 500 INTERNAL without a stack trace. Paths outside the
control plane (the OCI data plane) keep their own error format.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cloudraya_registry.body_limits import too_large
from cloudraya_registry.domain import errors as domain
from cloudraya_registry.faults import STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS, storage_full

log = logging.getLogger("cloudraya_registry.errors")

CONTROL_PLANE_PREFIXES = ("/api/", "/healthz")
# Fields whose submitted value must never be repeated back in an error message.
SECRET_FIELDS = frozenset({"password"})
# Regular expressions of the API with the sentence a user should read instead of the regex.
PATTERN_RULES: dict[str, str] = {}
# What to add when a required field is missing, by field name.
MISSING_HINTS: dict[str, str] = {
    "confirm": "; pass confirm=<the exact registry name> to delete the registry and everything "
    "in it",
}


def explain_pattern(pattern: str, rule: str) -> str:
    PATTERN_RULES[pattern] = rule
    return pattern


class ErrorCode(StrEnum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    INTERNAL = "INTERNAL"


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ErrorCode
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    """The body of every control-plane error."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorInfo


class ApiError(Exception):
    """Raise from a handler to answer with the control-plane error shape."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


# Most specific first: the first class a refusal is an instance of gives its status.
_DOMAIN_STATUS: tuple[tuple[type[domain.DomainError], int], ...] = (
    (domain.ConfirmationMismatch, 400),
    (domain.InvalidArgument, 400),
    (domain.NotFound, 404),
    (domain.AlreadyExists, 409),
    (domain.Throttled, 429),
    (domain.FailedPrecondition, 409),
)


def status_of(error: domain.DomainError) -> int:
    """The HTTP status the control plane (and the dashboard) answer a refusal with."""
    return next((status for kind, status in _DOMAIN_STATUS if isinstance(error, kind)), 400)


def from_domain(error: domain.DomainError) -> ApiError:
    headers = (
        {"Retry-After": str(error.retry_after)} if isinstance(error, domain.Throttled) else None
    )
    return ApiError(status_of(error), ErrorCode(error.code), error.message, error.details, headers)


def invalid_argument(message: str, **details: Any) -> ApiError:
    return ApiError(400, ErrorCode.INVALID_ARGUMENT, message, details or None)


def not_found(message: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, message)


def failed_precondition(message: str, status_code: int = 409, **details: Any) -> ApiError:
    return ApiError(status_code, ErrorCode.FAILED_PRECONDITION, message, details or None)


def error_response(
    status_code: int,
    code: ErrorCode,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code.value, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status_code, headers=headers)


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the given error statuses."""
    descriptions = {
        400: "Bad input (INVALID_ARGUMENT) or a refused confirmation (FAILED_PRECONDITION).",
        401: "Missing or unknown API token (UNAUTHORIZED).",
        404: "No such registry in the caller's project, or no such repository (NOT_FOUND).",
        409: "Conflicts with the current state (ALREADY_EXISTS or FAILED_PRECONDITION).",
    }
    return {
        code: {"model": ErrorResponse, "description": descriptions[code]} for code in status_codes
    }


def _field_name(loc: tuple[Any, ...]) -> str:
    if len(loc) == 2 and loc[0] == "body" and isinstance(loc[1], int):
        return "body"  # a JSON syntax error reports its character position
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _describe(error: dict[str, Any]) -> str:
    """One sentence for one pydantic error: which field, what was wrong, what is allowed."""
    loc = tuple(error.get("loc", ()))
    field = _field_name(loc)
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    secret = any(str(p) in SECRET_FIELDS for p in loc)
    got = "" if secret else f" (got {error.get('input')!r})"
    match kind:
        case "missing":
            return f"{field}: is required" + MISSING_HINTS.get(field, "")
        case "extra_forbidden":
            return f"{field}: unknown field; remove it"
        case "json_invalid":
            return f"request body is not valid JSON: {ctx.get('error', 'syntax error')}"
        case "model_attributes_type" | "dict_type" | "model_type":
            return f"{field}: must be a JSON object"
        case "int_type" | "int_parsing" | "int_from_float":
            return f"{field}: must be an integer{got}"
        case "bool_type" | "bool_parsing":
            return f"{field}: must be true or false{got}"
        case "string_type":
            return f"{field}: must be a string"
        case "multiple_of":
            return f"{field}: must be a multiple of {ctx.get('multiple_of')}{got}"
        case "greater_than_equal":
            return f"{field}: must be at least {ctx.get('ge')}{got}"
        case "less_than_equal":
            return f"{field}: must be at most {ctx.get('le')}{got}"
        case "string_too_short":
            return f"{field}: must be at least {ctx.get('min_length')} characters long"
        case "string_too_long":
            return f"{field}: must be at most {ctx.get('max_length')} characters long"
        case "string_pattern_mismatch":
            pattern = str(ctx.get("pattern"))
            return f"{field}: must be {PATTERN_RULES.get(pattern, 'matching ' + pattern)}{got}"
        case "value_error" | "assertion_error":
            message = str(error.get("msg", "invalid value"))
            for prefix in ("Value error, ", "Assertion failed, "):
                message = message.removeprefix(prefix)
            return f"{field}: {message}"
    return f"{field}: {error.get('msg', 'invalid value')}"


def validation_message(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    problems = [
        {"field": _field_name(tuple(e.get("loc", ()))), "problem": _describe(e)} for e in errors
    ]
    message = "; ".join(p["problem"] for p in problems) or "invalid request"
    return message, problems


def _is_control_plane(request: Request) -> bool:
    return request.url.path.startswith(CONTROL_PLANE_PREFIXES)


def _param_regex(match: re.Match[str]) -> str:
    # ``repository`` is a ``{repository:path}`` parameter: it spans several segments.
    return ".+" if match.group(1) == "repository" else "[^/]+"


def _allowed_methods(request: Request) -> str:
    """Every documented method of the path (routers report only the first matching route)."""
    cache = getattr(request.app.state, "allowed_methods_by_path", None)
    if cache is None:
        cache = []
        for template, item in request.app.openapi().get("paths", {}).items():
            regex = re.sub(r"\\\{([^}\\]+)\\\}", _param_regex, re.escape(template))
            methods = {m.upper() for m in item}
            if "GET" in methods:
                methods.add("HEAD")
            literal = len(re.sub(r"\{[^}]*\}", "", template))
            cache.append((re.compile(regex + "$"), literal, methods))
        request.app.state.allowed_methods_by_path = cache
    path = request.url.path
    matches = [(literal, methods) for pattern, literal, methods in cache if pattern.match(path)]
    if not matches:
        return ""
    # ``.../repositories/a/artifacts`` fits both the artifacts route and, as repository
    # ``a/artifacts``, the repository route: the most specific template describes the path.
    best = max(literal for literal, _ in matches)
    allowed = set().union(*(methods for literal, methods in matches if literal == best))
    return ", ".join(sorted(allowed))


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exception_handlers import http_exception_handler

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(domain.DomainError)
    async def _refused(_request: Request, exc: domain.DomainError) -> JSONResponse:
        error = from_domain(exc)
        return error_response(
            error.status_code, error.code, error.message, error.details, error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = validation_message(list(exc.errors()))
        return error_response(400, ErrorCode.INVALID_ARGUMENT, message, {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if not _is_control_plane(request) and request.url.path != "/":
            return await http_exception_handler(request, exc)
        if exc.status_code == 404:
            code, message = ErrorCode.NOT_FOUND, f"no such endpoint: {request.url.path}"
        elif exc.status_code == 405:
            allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
            code = ErrorCode.METHOD_NOT_ALLOWED
            message = f"method {request.method} is not allowed here; allowed: {allowed}"
            return error_response(405, code, message, headers={"Allow": allowed})
        elif exc.status_code == 401:
            code, message = ErrorCode.UNAUTHORIZED, str(exc.detail)
        elif exc.status_code == 413:  # the rest of the body stays unread: close the connection
            message = too_large(where="/api/v1")
            headers = {"Connection": "close"}
            return error_response(413, ErrorCode.INVALID_ARGUMENT, message, headers=headers)
        elif exc.status_code >= 500:
            code, message = ErrorCode.INTERNAL, "internal error"
        else:
            code, message = ErrorCode.INVALID_ARGUMENT, str(exc.detail)
        return error_response(exc.status_code, code, message, headers=exc.headers)

    async def _storage_full(request: Request, exc: Exception) -> JSONResponse:
        """A full disk or database: 507 saying so (anything else goes on to the 500 handler)."""
        if not storage_full(exc):
            raise exc
        log.error("storage full", extra={"method": request.method, "route": request.url.path})
        return error_response(
            STORAGE_FULL_STATUS, ErrorCode.RESOURCE_EXHAUSTED, STORAGE_FULL_MESSAGE
        )

    for kind in (OSError, DBAPIError):
        app.add_exception_handler(kind, _storage_full)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error",
            exc_info=exc,
            extra={"method": request.method, "route": request.url.path},
        )
        if not _is_control_plane(request):
            return JSONResponse(
                {"errors": [{"code": "UNKNOWN", "message": "internal error", "detail": None}]},
                status_code=500,
            )
        return error_response(500, ErrorCode.INTERNAL, "internal error; see the service log")
