"""The dashboard's browser session and its CSRF token.

The cookie is signed (itsdangerous), HttpOnly, SameSite=Strict, scoped to ``/ui`` and
``Secure`` when the service is served over HTTPS. Before sign-in it carries only a CSRF token
(and flash messages). After sign-in it carries only a random session id; the database keeps,
under the SHA-256 of that id, the SHA-256 digest of the API token (never the token), the CSRF
token and the expiry, so every replica continues every session and a restart signs nobody
out. Signing out forgets the id, so a copy of the old cookie is worthless. Every request
re-checks the digest against the token table, so a deleted API token ends its dashboard
sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, update
from starlette.requests import Request
from starlette.responses import Response

from cloudraya_registry.db.models import UiSession as UiSessionRow
from cloudraya_registry.db.models import as_utc, utcnow
from cloudraya_registry.db.session import Database
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.api_tokens import (
    TokenOwner,
    find_token_owner,
    owner_by_digest,
    token_digest,
)
from cloudraya_registry.state import ServiceState

COOKIE_NAME = "cloudraya_ui"
COOKIE_PATH = "/ui"
SESSION_MAX_AGE_S = 12 * 60 * 60
CSRF_FIELD = "csrf_token"


@dataclass
class _Stored:
    token_sha256: str
    csrf_token: str
    flash: list[dict[str, str]] = field(default_factory=list)


def _sid_digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    """Signed-in sessions, in the database so that any replica continues any session; a row is
    found by the SHA-256 of the session id, so the table alone signs nobody in."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, token_sha256: str, csrf_token: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.write() as session:
            session.execute(delete(UiSessionRow).where(UiSessionRow.expires_at <= now))
            session.add(
                UiSessionRow(
                    id_sha256=_sid_digest(sid),
                    token_sha256=token_sha256,
                    csrf_token=csrf_token,
                    expires_at=now + dt.timedelta(seconds=SESSION_MAX_AGE_S),
                    flash=[],
                )
            )
        return sid

    def get(self, sid: str) -> _Stored | None:
        with self.db.read() as session:
            row = session.get(UiSessionRow, _sid_digest(sid))
        if row is None or as_utc(row.expires_at) <= utcnow():
            return None
        return _Stored(row.token_sha256, row.csrf_token, list(row.flash or []))

    def set_flash(self, sid: str, flash: list[dict[str, str]]) -> None:
        with self.db.write() as session:
            session.execute(
                update(UiSessionRow)
                .where(UiSessionRow.id_sha256 == _sid_digest(sid))
                .values(flash=flash)
            )

    def drop(self, sid: str) -> None:
        with self.db.write() as session:
            session.execute(delete(UiSessionRow).where(UiSessionRow.id_sha256 == _sid_digest(sid)))


@dataclass
class UiSession:
    """The session of one request."""

    csrf_token: str
    sid: str | None = None
    owner: TokenOwner | None = None
    flash: list[dict[str, str]] = field(default_factory=list)
    changed: bool = False

    @property
    def signed_in(self) -> bool:
        return self.owner is not None

    def caller(self, request: Request) -> Actor:
        assert self.owner is not None
        client = request.client
        return Actor(self.owner.project_id, self.owner.token_name, client.host if client else None)

    def add_flash(self, kind: str, text: str) -> None:
        self.flash.append({"kind": kind, "text": text})
        self.changed = True

    def take_flash(self) -> list[dict[str, str]]:
        messages, self.flash = self.flash, []
        if messages:
            self.changed = True
        return messages

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf_token, str(submitted))


def _serializer(state: ServiceState) -> URLSafeTimedSerializer:
    # A key of its own, derived from the service secret, so cookies and data-plane tokens
    # never share a signing key.
    key = hmac.new(state.token_signing_key, b"cloudraya-ui-session", hashlib.sha256).digest()
    return URLSafeTimedSerializer(key, salt="cloudraya-ui-session")


def _anonymous() -> UiSession:
    return UiSession(csrf_token=secrets.token_urlsafe(32), changed=True)


def store_of(request: Request) -> SessionStore:
    return request.app.state.ui_sessions


def load_session(request: Request, state: ServiceState) -> UiSession:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return _anonymous()
    try:
        data: dict[str, Any] = _serializer(state).loads(raw, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return _anonymous()
    if "sid" not in data:
        csrf = str(data.get("csrf") or "")
        if not csrf:
            return _anonymous()
        return UiSession(csrf_token=csrf, flash=list(data.get("flash") or []))
    sid = str(data["sid"])
    stored = store_of(request).get(sid)
    if stored is None:  # signed out, expired, or the service restarted
        return _anonymous()
    with state.db.read() as db:
        owner = owner_by_digest(db, stored.token_sha256)
    if owner is None or owner.expired():  # the token was revoked or expired: so is the session
        store_of(request).drop(sid)
        return _anonymous()
    return UiSession(csrf_token=stored.csrf_token, sid=sid, owner=owner, flash=stored.flash)


def sign_in(request: Request, state: ServiceState, token: str) -> UiSession | None:
    """A new session (new id and CSRF token: no fixation) for a valid API token, else None."""
    token = token.strip()
    if not token:
        return None
    with state.db.read() as db:
        owner = find_token_owner(db, token)
    if owner is None or owner.expired():
        return None
    csrf = secrets.token_urlsafe(32)
    sid = store_of(request).create(token_digest(token), csrf)
    return UiSession(csrf_token=csrf, sid=sid, owner=owner, changed=True)


def sign_out(request: Request, session: UiSession) -> UiSession:
    """Forget the session server-side; the browser gets a fresh anonymous cookie."""
    if session.sid:
        store_of(request).drop(session.sid)
    return _anonymous()


def store(response: Response, request: Request, state: ServiceState, session: UiSession) -> None:
    """Keep flash messages and write the cookie back when the session changed."""
    if not session.changed:
        return
    if session.sid:
        store_of(request).set_flash(session.sid, session.flash)
        payload: dict[str, Any] = {"sid": session.sid}
    else:
        payload = {"csrf": session.csrf_token}
        if session.flash:
            payload["flash"] = session.flash
    response.set_cookie(
        COOKIE_NAME,
        _serializer(state).dumps(payload),
        max_age=SESSION_MAX_AGE_S,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=state.public_url.startswith("https://"),
    )
