"""Templates and the route class of the dashboard: sessions in, HTML (never JSON) out.

Every ``/ui`` route runs inside :class:`UiRoute`, which loads the session cookie, refuses POSTs
without the session's CSRF token, sends anonymous visitors to the sign-in page and turns every
failure into an HTML page that says what went wrong: the refusal of a domain rule, a
validation sentence, or "internal error" (the stack trace goes to the log only).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from markupsafe import Markup, escape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from cloudraya_registry.body_limits import too_large
from cloudraya_registry.domain.errors import DomainError
from cloudraya_registry.domain.scan_states import LABELS as SCAN_LABELS
from cloudraya_registry.errors import ApiError, status_of, validation_message
from cloudraya_registry.faults import STORAGE_FULL_MESSAGE, STORAGE_FULL_STATUS, storage_full
from cloudraya_registry.state import ServiceState
from cloudraya_registry.ui import formatting
from cloudraya_registry.ui.session import CSRF_FIELD, UiSession, load_session, store

log = logging.getLogger("cloudraya_registry.ui")

UI_PREFIX = "/ui"  # also cloudraya_registry.ui.UI_PREFIX
STATIC_PREFIX = f"{UI_PREFIX}/static"
PACKAGE_DIR = Path(__file__).parent
# Pages are per-user and may hold a fresh password: never cached. The policy allows only the
# dashboard's own script and styles (plus the meters' inline widths) and no framing.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def ui_url(*segments: str, **query: str) -> str:
    """``ui_url("registries", "a", "repositories", "team/api")`` with each segment quoted."""
    path = "/".join(quote(str(s), safe="/:@") for s in segments)
    url = f"{UI_PREFIX}/{path}" if path else UI_PREFIX
    return f"{url}?{urlencode(query)}" if query else url


def inline_code(text: str) -> Markup:
    """Escape ``text``, then show its `backticked` parts as code (notes of the API)."""
    escaped = str(escape(text))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,  # every value from users is text, whatever the template extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = formatting.human_size
    env.filters["inline_code"] = inline_code
    env.filters["reltime"] = formatting.relative_time
    env.filters["exact_time"] = formatting.exact_time
    env.filters["iso_time"] = formatting.iso_time
    env.globals["percent"] = formatting.percent
    env.globals["percent_text"] = formatting.percent_text
    env.globals["ui_url"] = ui_url
    env.globals["static_url"] = lambda name: f"{STATIC_PREFIX}/{name}"
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.globals["SCAN_LABELS"] = SCAN_LABELS
    return env


templates = Jinja2Templates(env=_environment())


class SignInRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


def state_of(request: Request) -> ServiceState:
    return request.app.state.service


def session_of(request: Request) -> UiSession:
    return request.state.ui_session


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    session = session_of(request)
    full = {
        "session": session,
        "csrf_token": session.csrf_token,
        "flash": session.take_flash(),
        "path": request.url.path,
        **(context or {}),
    }
    return templates.TemplateResponse(
        request,
        template,
        full,
        status_code=status_code,
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"status_code": status_code, "title": title, "message": message},
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


_TITLES = {
    400: "The request was not accepted",
    401: "Not signed in",
    403: "Refused",
    404: "Not found",
    405: "Not allowed",
    409: "Not possible right now",
}


class UiRoute(APIRoute):
    """An ``APIRoute`` that speaks HTML: session, CSRF and error pages around the handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        public = bool((self.openapi_extra or {}).get("x-ui-public"))

        async def run(request: Request) -> Response:
            state = state_of(request)
            session = await run_in_threadpool(load_session, request, state)  # reads the DB
            request.state.ui_session = session
            try:
                if request.method == "POST":
                    await _check_csrf(request, session)
                if not public and not session.signed_in:
                    raise SignInRequired
                response = await handler(request)
            except SignInRequired:
                target = request.url.path
                if request.url.query:
                    target += f"?{request.url.query}"
                if request.method != "GET" or target.startswith(f"{UI_PREFIX}/login"):
                    target = ui_url("registries")
                response = redirect(ui_url("login", next=target))
            except CsrfRefused:
                response = error_page(
                    request,
                    403,
                    "Form expired or forged",
                    "This form was sent without this session's security token, so nothing was "
                    "changed. Reload the page and submit the form again.",
                )
            except ApiError as exc:
                title = _TITLES.get(exc.status_code, "Something went wrong")
                response = error_page(request, exc.status_code, title, exc.message)
            except DomainError as exc:
                status = status_of(exc)
                title = _TITLES.get(status, "Something went wrong")
                response = error_page(request, status, title, exc.message)
            except (RequestValidationError, ValidationError) as exc:
                message, _ = validation_message(list(exc.errors()))
                response = error_page(request, 400, _TITLES[400], message)
            except HTTPException as exc:  # from the framework: a form too large, mostly
                if exc.status_code == 413:
                    title, message = "Request too large", too_large(where="a dashboard form")
                else:
                    title = _TITLES.get(exc.status_code, "Something went wrong")
                    message = str(exc.detail)
                response = error_page(request, exc.status_code, title, message)
                if exc.status_code == 413:  # the rest of the body stays unread
                    response.headers["Connection"] = "close"
            except Exception as exc:
                response = _failure_page(request, exc, self.path)
            store(response, request, state, request.state.ui_session)
            return response

        return run


def _failure_page(request: Request, exc: Exception, route: str) -> Response:
    """A full disk, said so; anything else unexpected is logged with its stack trace."""
    if storage_full(exc):
        log.error("storage full", extra={"method": request.method, "route": route})
        return error_page(request, STORAGE_FULL_STATUS, "Storage full", STORAGE_FULL_MESSAGE + ".")
    log.exception("dashboard request failed", extra={"method": request.method, "route": route})
    return error_page(
        request,
        500,
        "Internal error",
        "The dashboard could not complete this request; the service log has the details. Go "
        "back and check the current state before trying again.",
    )


async def _check_csrf(request: Request, session: UiSession) -> None:
    form = await request.form()  # parsed once; FastAPI's Form() parameters reuse it
    submitted = form.get(CSRF_FIELD)
    if not session.csrf_ok(submitted if isinstance(submitted, str) else None):
        raise CsrfRefused
