"""Who may do what on the data plane: HTTP Basic with a registry's credentials, or bearer tokens.

A registry's credentials (username = registry name) grant pull, push and delete on
``<registry>/...`` and listing its catalog, and nothing in any other registry. Bearer tokens are
HS256 JWTs that carry the registry's ``credential_version``: a password reset bumps it, so every
token issued before the reset stops working on the next request.

Argon2 verification is deliberately slow, so successful Basic checks are remembered for a short
time under (registry, credential version, stored hash, keyed hash of the password). The password
itself is never kept.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

import jwt
from sqlalchemy.orm import Session

from cloudraya_registry.domain import audit
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.registries import RegistryInfo, load_info
from cloudraya_registry.security.passwords import hash_password, verify_password
from cloudraya_registry.state import ServiceState

TOKEN_LIFETIME_SECONDS = 300
BASIC_CACHE_TTL_SECONDS = 120
_BASIC_CACHE_MAX = 10_000
ALL_ACTIONS = frozenset({"pull", "push", "delete"})
TOKEN_ISSUER = "cloudraya-registry"
CATALOG_SCOPE = "registry:catalog:*"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the registry its credentials belong to, and how it proved it."""

    registry: RegistryInfo
    method: str  # "basic" | "bearer"
    # bearer only: granted actions per repository (full name), and catalog access
    token_access: dict[str, frozenset[str]] | None = None
    token_catalog: bool = False

    def may(self, repository: str | None, action: str) -> bool:
        """Whether this caller may perform ``action`` on ``repository`` (None = catalog)."""
        if repository is None:
            allowed = self.method == "basic" or self.token_catalog
            return allowed
        if not repository.startswith(self.registry.name + "/"):
            return False
        if self.method == "basic":
            return True
        granted = (self.token_access or {}).get(repository, frozenset())
        return action in granted or "*" in granted


class FailedCredential(Exception):
    """Credentials were presented and are wrong (worth an audit record)."""

    def __init__(self, registry: RegistryInfo | None, method: str, reason: str) -> None:
        super().__init__(reason)
        self.registry = registry
        self.method = method
        self.reason = reason


class Authenticator:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._cache: dict[tuple[str, int, str, bytes], float] = {}
        self._cache_lock = threading.Lock()
        self._cache_key = hmac.new(state.token_signing_key, b"basic-cache", hashlib.sha256).digest()

    # -- challenges ----------------------------------------------------------------------
    def challenge(self, scope: str | None, error: str | None = None) -> dict[str, str]:
        value = (
            f'Bearer realm="{self.state.public_url}/auth/token",service="{self.state.public_host}"'
        )
        if scope:
            value += f',scope="{scope}"'
        if error:
            value += f',error="{error}"'
        return {"WWW-Authenticate": value}

    # -- credentials -----------------------------------------------------------------------
    def identify(self, session: Session, authorization: str | None) -> Caller | None:
        """The caller behind an Authorization header; None when there is none.

        Raises FailedCredential when credentials are present but wrong.
        """
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            username, password = decode_basic(value.strip())
            return Caller(self.check_password(session, username, password), "basic")
        if scheme == "bearer":
            return self._check_token(session, value.strip())
        raise FailedCredential(None, scheme, f"unsupported authorization scheme {scheme!r}")

    def check_password(self, session: Session, username: str, password: str) -> RegistryInfo:
        registry = load_info(session, username)
        if registry is None:
            # Spend comparable time so a probe cannot tell unknown names from wrong passwords.
            verify_password(_dummy_hash(), password)
            raise FailedCredential(None, "basic", "unknown registry or wrong password")
        key = (
            registry.name,
            registry.credential_version,
            registry.password_hash,
            hmac.new(self._cache_key, password.encode(), hashlib.sha256).digest(),
        )
        now = time.monotonic()
        with self._cache_lock:
            expiry = self._cache.get(key)
        if expiry is not None and expiry > now:
            return registry
        if not verify_password(registry.password_hash, password):
            raise FailedCredential(registry, "basic", "wrong password")
        with self._cache_lock:
            if len(self._cache) >= _BASIC_CACHE_MAX:
                self._cache = {k: v for k, v in self._cache.items() if v > now}
                if len(self._cache) >= _BASIC_CACHE_MAX:
                    self._cache.clear()
            self._cache[key] = now + BASIC_CACHE_TTL_SECONDS
        return registry

    # -- tokens --------------------------------------------------------------------------
    def issue_token(
        self, registry: RegistryInfo, scopes: list[str]
    ) -> tuple[str, list[dict[str, object]]]:
        """A signed token granting ``scopes`` as far as ``registry``'s credentials allow."""
        access: list[dict[str, object]] = []
        for scope in scopes:
            granted = grant_scope(registry.name, scope)
            if granted is not None:
                access.append(granted)
        now = int(time.time())
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": registry.name,
            "aud": self.state.public_host,
            "iat": now,
            "nbf": now - 5,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "jti": secrets.token_hex(12),
            "cv": registry.credential_version,
            "access": access,
        }
        return jwt.encode(claims, self.state.token_signing_key, algorithm="HS256"), access

    def _check_token(self, session: Session, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self.state.token_signing_key,
                algorithms=["HS256"],
                audience=self.state.public_host,
                issuer=TOKEN_ISSUER,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise FailedCredential(None, "bearer", "token expired") from None
        except jwt.PyJWTError:
            raise FailedCredential(None, "bearer", "token invalid") from None
        registry = load_info(session, str(claims["sub"]))
        if registry is None:
            raise FailedCredential(None, "bearer", "registry of the token no longer exists")
        if claims.get("cv") != registry.credential_version:
            raise FailedCredential(registry, "bearer", "token was issued before a password reset")
        access: dict[str, frozenset[str]] = {}
        catalog = False
        for entry in claims.get("access") or []:
            if not isinstance(entry, dict):
                continue
            actions = frozenset(str(a) for a in entry.get("actions") or [])
            if entry.get("type") == "repository":
                name = str(entry.get("name"))
                access[name] = access.get(name, frozenset()) | actions
            elif entry.get("type") == "registry" and entry.get("name") == "catalog":
                catalog = True
        return Caller(registry, "bearer", access, catalog)

    # -- audit -----------------------------------------------------------------------------
    def record_failure(
        self,
        session: Session,
        failure: FailedCredential,
        *,
        username: str | None,
        target: str,
        source_ip: str | None,
    ) -> None:
        """Audit a failed credential use in the registry it was aimed at (never the secret)."""
        registry = failure.registry
        if registry is None:
            return
        audit.record(
            session,
            action=AuditAction.CREDENTIAL_FAILURE,
            actor=username or registry.name,
            outcome="failure",
            project_id=registry.project_id,
            registry_name=registry.name,
            target=target,
            source_ip=source_ip,
            details={"method": failure.method, "reason": failure.reason},
        )


def grant_scope(registry_name: str, scope: str) -> dict[str, object] | None:
    """The part of a requested scope a registry's credentials allow, or None."""
    if scope == CATALOG_SCOPE:
        return {"type": "registry", "name": "catalog", "actions": ["*"]}
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if kind != "repository" or not name.startswith(registry_name + "/"):
        return None
    wanted = [a for a in actions.split(",") if a in ALL_ACTIONS or a == "*"]
    if "*" in wanted:
        wanted = sorted(ALL_ACTIONS)
    return {"type": "repository", "name": name, "actions": wanted}


def decode_basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FailedCredential(None, "basic", "malformed Basic credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise FailedCredential(None, "basic", "malformed Basic credentials")
    return username, password


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
