"""Who may do what on the data plane: HTTP Basic with a registry's credentials, or bearer tokens.

A registry's credentials (username = registry name) grant pull, push and delete on
``<registry>/...`` and listing its catalog, and nothing in any other registry. Bearer tokens are
HS256 JWTs bound to one registry instance (its random ``epoch``) and credential version: a
password reset bumps the version, a registry deleted and created again gets a new epoch, and
tokens issued before either stop working on the next request.

Scoped credentials (username ``<registry>+<name>``, see
:mod:`cloudraya_registry.domain.scoped_credentials`) grant less: pull or push on some
repositories, until they expire. Their tokens carry the credential's id and version, checked
against the database on every request, so revocation, rotation and expiry stop them at once.

Passwords are verified by :mod:`cloudraya_registry.security.password_checks` (bounded, cached);
failed logins are throttled (:mod:`cloudraya_registry.security.login_throttle`) and audited in
the registry they were aimed at, counted per source (never with the secret).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from cloudraya_registry.domain.audit import FailedLogin
from cloudraya_registry.domain.errors import Throttled
from cloudraya_registry.domain.registries import RegistryInfo, load_info
from cloudraya_registry.domain.scoped_credentials import (
    Scope,
    load_scope,
    scope_by_id,
    split_username,
)
from cloudraya_registry.endpoints import registry_url
from cloudraya_registry.executors import in_thread, quick_read
from cloudraya_registry.security.login_throttle import FailureCounts, Limits, LoginThrottle
from cloudraya_registry.state import ServiceState

TOKEN_LIFETIME_SECONDS = 300
THROTTLED_ANSWER_DELAY_SECONDS = 1.0
ALL_ACTIONS = frozenset({"pull", "push", "delete"})
TOKEN_ISSUER = "cloudraya-registry"
CATALOG_SCOPE = "registry:catalog:*"
DECODED_TOKENS_KEPT = 10_000


@dataclass(frozen=True)
class Login:
    """Credentials that proved right: the registry's own password (``scope`` None) or one of
    its scoped credentials."""

    registry: RegistryInfo
    scope: Scope | None = None

    @property
    def username(self) -> str:
        return self.scope.username(self.registry.name) if self.scope else self.registry.name


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the registry its credentials belong to, and how it proved it."""

    registry: RegistryInfo
    method: str  # "basic" | "bearer"
    # bearer only: granted actions per repository (full name), and catalog access
    token_access: dict[str, frozenset[str]] | None = None
    token_catalog: bool = False
    scope: Scope | None = None  # a scoped credential's limits; None: the registry password

    @property
    def username(self) -> str:
        return self.scope.username(self.registry.name) if self.scope else self.registry.name

    def scope_refusal(self, repository: str | None, action: str) -> str | None:
        """Why the caller's scoped credential does not allow this (None: it does, or the
        caller uses the registry password)."""
        if self.scope is None:
            return None
        path = repository.removeprefix(self.registry.name + "/") if repository else None
        if self.scope.allows(path, action):
            return None
        return self.scope.refusal(self.registry.name, path, action)

    def may(self, repository: str | None, action: str) -> bool:
        """Whether this caller may perform ``action`` on ``repository`` (None = catalog)."""
        if repository is not None and not repository.startswith(self.registry.name + "/"):
            return False
        if self.scope_refusal(repository, action) is not None:
            return False
        if repository is None:
            return self.method == "basic" or self.token_catalog
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


@dataclass(frozen=True)
class Presented:
    """What an Authorization header claims, before anything is checked."""

    method: str  # "basic" | "bearer"
    username: str | None = None
    password: str | None = None
    token: str | None = None


def presented_credentials(authorization: str | None) -> Presented | None:
    """The credentials in a header (None when there are none); malformed ones are refused."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        username, password = decode_basic(value.strip())
        return Presented("basic", username=username, password=password)
    if scheme == "bearer":
        return Presented("bearer", token=value.strip())
    raise FailedCredential(None, scheme, f"unsupported authorization scheme {scheme!r}")


class Authenticator:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        config = state.config
        self.throttle = LoginThrottle(
            Limits(config.failed_logins_per_source, config.failed_logins_per_registry),
            FailureCounts(state.db),
        )
        self._decoded_tokens = DecodedTokens()

    # -- challenges ----------------------------------------------------------------------
    def challenge(
        self, scope: str | None, error: str | None = None, *, registry: str | None = None
    ) -> dict[str, str]:
        """The Bearer challenge; at a registry's own host (``registry``) the realm is there too,
        so the token request says which registry its scopes are in."""
        base = registry_url(self.state.config, registry) if registry else self.state.public_url
        value = f'Bearer realm="{base}/auth/token",service="{self.state.public_host}"'
        if scope:
            value += f',scope="{scope}"'
        if error:
            value += f',error="{error}"'
        return {"WWW-Authenticate": value}

    # -- credentials -----------------------------------------------------------------------
    async def identify(self, presented: Presented | None, source_ip: str | None) -> Caller | None:
        """The caller behind presented credentials (None when there are none).

        Raises FailedCredential when they are wrong, Throttled while logins are refused.
        """
        if presented is None:
            return None
        if presented.method == "basic":
            assert presented.username is not None and presented.password is not None
            login = await self.login(presented.username, presented.password, source_ip)
            return Caller(login.registry, "basic", scope=login.scope)
        assert presented.token is not None
        return await self._check_token(presented.token)

    async def login(self, username: str, password: str, source_ip: str | None) -> Login:
        """The registry whose name and password these are (Basic auth and the token endpoint).

        A throttled login is answered after a pause: a client hammering on costs itself time
        and the service next to nothing.
        """
        try:
            return await self._login(username, password, source_ip)
        except Throttled:
            await asyncio.sleep(THROTTLED_ANSWER_DELAY_SECONDS)
            raise

    async def _login(self, username: str, password: str, source_ip: str | None) -> Login:
        had_failures, registry, scope = await quick_read(
            self.state.db, self._login_rows, username, source_ip
        )
        credential_name = split_username(username)[1]
        checks = self.state.password_checks
        if registry is None or (credential_name is not None and scope is None):
            # As slow as a real check, so a probe cannot tell unknown names from wrong passwords.
            await checks.pause_like_a_check()
            raise FailedCredential(registry, "basic", "unknown credential or wrong password")
        password_hash = scope.password_hash if scope else registry.password_hash
        identity = (scope.id, scope.version) if scope else (registry.credential_version,)
        key = checks.cache_key((registry.id, registry.epoch, *identity, password_hash), password)
        if not checks.recently_verified(key):
            await in_thread(self.throttle.check_registry, registry.name)
        if not await checks.verify(key, password_hash, password):
            raise FailedCredential(registry, "basic", "wrong password")
        if scope is not None and scope.expired():
            raise FailedCredential(registry, "basic", f"credential {username} has expired")
        if had_failures:
            await in_thread(self.throttle.succeeded, source_ip, username)
        return Login(registry, scope)

    def _login_rows(
        self, username: str, source_ip: str | None
    ) -> tuple[bool, RegistryInfo | None, Scope | None]:
        """What a login reads, on one connection (every Basic request logs in): the throttle's
        counts (refused here when over a limit; True when this address and name have
        failures), the registry and the scoped credential named."""
        registry_name, credential_name = split_username(username)
        with self.state.db.connect() as connection:
            had_failures = self.throttle.check(source_ip, username, connection)
            registry = load_info(connection, registry_name)
            scope = None
            if registry is not None and credential_name is not None:
                scope = load_scope(connection, registry.id, credential_name)
        return had_failures, registry, scope

    def registry_named(self, name: str) -> RegistryInfo | None:
        with self.state.db.connect() as connection:
            return load_info(connection, name)

    def scope_numbered(self, credential_id: int) -> Scope | None:
        with self.state.db.connect() as connection:
            return scope_by_id(connection, credential_id)

    # -- tokens --------------------------------------------------------------------------
    def issue_token(self, login: Login, scopes: list[str]) -> tuple[str, list[dict[str, object]]]:
        """A signed token granting ``scopes`` as far as the login's credentials allow."""
        registry = login.registry
        access: list[dict[str, object]] = []
        for scope in scopes:
            granted = grant_scope(registry.name, scope, login.scope)
            if granted is not None:
                access.append(granted)
        now = int(time.time())
        expires = now + TOKEN_LIFETIME_SECONDS
        if login.scope is not None and login.scope.expires_at is not None:
            expires = min(expires, int(login.scope.expires_at.timestamp()))
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": registry.name,
            "aud": self.state.public_host,
            "iat": now,
            "nbf": now - 5,
            "exp": expires,
            "jti": secrets.token_hex(12),
            "ep": registry.epoch,
            "cv": registry.credential_version,
            "access": access,
        }
        if login.scope is not None:
            claims["sc"] = login.scope.id  # checked on every request: revocation is immediate
            claims["scv"] = login.scope.version
        return jwt.encode(claims, self.state.token_signing_key, algorithm="HS256"), access

    async def _check_token(self, token: str) -> Caller:
        claims = self._decoded_tokens.get(token)
        if claims is None:
            claims = self._decode(token)
            self._decoded_tokens.put(token, claims)
        elif claims["exp"] <= time.time():
            raise FailedCredential(None, "bearer", "token expired")
        registry = await quick_read(self.state.db, self.registry_named, str(claims["sub"]))
        if registry is None or claims.get("ep") != registry.epoch:
            raise FailedCredential(None, "bearer", "registry of the token no longer exists")
        if claims.get("cv") != registry.credential_version:
            raise FailedCredential(registry, "bearer", "token was issued before a password reset")
        scope = await self._token_scope(claims, registry)
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
        return Caller(registry, "bearer", access, catalog, scope)

    def _decode(self, token: str) -> dict:
        """The claims of a token this service signed for itself, not expired."""
        try:
            return jwt.decode(
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

    async def _token_scope(self, claims: dict, registry: RegistryInfo) -> Scope | None:
        """The scoped credential a token was issued to, as it is now (None: the password)."""
        if "sc" not in claims:
            return None
        scope = await quick_read(self.state.db, self.scope_numbered, int(claims["sc"]))
        if scope is None or scope.registry_id != registry.id:
            raise FailedCredential(registry, "bearer", "the token's credential was revoked")
        if claims.get("scv") != scope.version:
            raise FailedCredential(
                registry, "bearer", "token was issued before the credential was rotated"
            )
        if scope.expired():
            raise FailedCredential(registry, "bearer", "the token's credential has expired")
        return scope

    # -- failures --------------------------------------------------------------------------
    async def refused(
        self,
        failure: FailedCredential,
        *,
        username: str | None,
        target: str,
        source_ip: str | None,
        guess: bool = True,
    ) -> None:
        """Count a failed login in the audit log it was aimed at and, for a password that may
        have been guessed, against the throttles."""
        method = failure.method if failure.method in ("basic", "bearer") else "other"
        self.state.metrics.login_failures.labels(method).inc()
        if guess and failure.method == "basic":
            name = failure.registry.name if failure.registry else None
            await in_thread(self.throttle.failed, source_ip, username, name)
        if failure.registry is not None:
            await in_thread(
                self.state.failed_logins.record,
                self.state,
                FailedLogin(
                    registry=failure.registry,
                    actor=username or failure.registry.name,
                    source_ip=source_ip,
                    target=target,
                    method=failure.method,
                    reason=failure.reason,
                ),
            )


class DecodedTokens:
    """Claims of tokens whose signature, issuer and audience checked out, by the token's hash.

    A client sends the same token with every request of a push; checking the signature again
    each time was a tenth of the service's CPU in a crane push. Only the claims are kept (what
    they say is fixed by the signature); expiry is checked on every use and what the claims
    point at (registry epoch, credential versions) is read from the database every time.
    """

    def __init__(self, limit: int = DECODED_TOKENS_KEPT) -> None:
        self._limit = limit
        self._claims: OrderedDict[bytes, dict] = OrderedDict()

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()

    def get(self, token: str) -> dict | None:
        key = self._key(token)
        claims = self._claims.get(key)
        if claims is not None:
            self._claims.move_to_end(key)
        return claims

    def put(self, token: str, claims: dict) -> None:
        self._claims[self._key(token)] = claims
        while len(self._claims) > self._limit:
            self._claims.popitem(last=False)


def grant_scope(
    registry_name: str, scope: str, limits: Scope | None = None
) -> dict[str, object] | None:
    """The part of a requested scope a registry's credentials (or a scoped credential of it,
    ``limits``) allow, or None."""
    if scope == CATALOG_SCOPE:
        if limits is not None and not limits.allows(None, "pull"):
            return None
        return {"type": "registry", "name": "catalog", "actions": ["*"]}
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if kind != "repository" or not name.startswith(registry_name + "/"):
        return None
    wanted = [a for a in actions.split(",") if a in ALL_ACTIONS or a == "*"]
    if "*" in wanted:
        wanted = sorted(ALL_ACTIONS)
    if limits is not None:
        path = name.removeprefix(registry_name + "/")
        wanted = [a for a in wanted if limits.allows(path, a)]
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
