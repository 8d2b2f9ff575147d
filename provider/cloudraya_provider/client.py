"""HTTP client for the CloudRaya Container Registry control-plane API.

The provider talks to the service only through this module. Every failure becomes an `ApiError`
whose message says which registry, which call and what the service said; request bodies (which
may carry passwords) and the API token never appear in messages.

A call that changes something and got no answer raises `OutcomeUnknown`: the service may or may
not have done it. Callers find out by reading back (see `registry_create.py`); the client never
repeats such a call on its own.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from .api import (
    ApiError,
    Credential,
    NotFound,
    OutcomeUnknown,
    RegistryInfo,
    ScopedCredential,
    Settings,
    Unreachable,
)

__all__ = [
    "ApiError",
    "CloudRayaClient",
    "Credential",
    "NotFound",
    "OutcomeUnknown",
    "RegistryInfo",
    "ScopedCredential",
    "Settings",
    "Unreachable",
]

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# The engine may run many resource operations at once (`--parallel`); so may the client.
LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=64)


class CloudRayaClient:
    """Typed calls of the control-plane API with timeouts and retries.

    Idempotent calls (GET, PUT, PATCH, DELETE, password verification) are retried on connection
    errors and 5xx responses with exponential backoff. Calls that create or rotate something are
    retried only when the connection could not be opened, so they never happen twice.
    """

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        ca_bundle: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._http = httpx.Client(
            base_url=self.endpoint,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            limits=LIMITS,
            # A private CA replaces the system's; without one, the system's CAs are trusted.
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
        )
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    # --- service ---------------------------------------------------------------------------

    def check_health(self) -> None:
        """Prove the endpoint answers (used by CheckConfig)."""
        self._call("GET", "/healthz", what="check service health", prefix=False)

    def check_access(self) -> None:
        """Prove the endpoint answers and accepts the token (used by Configure)."""
        self.check_health()
        self._call("GET", "/registries", what="list registries")

    # --- registries ------------------------------------------------------------------------

    def get_registry(self, name: str) -> RegistryInfo:
        body = self._call("GET", f"/registries/{_seg(name)}", what="read registry", registry=name)
        return RegistryInfo.from_api(body)

    def find_registry(self, name: str) -> RegistryInfo | None:
        """The registry, or None when it does not exist (deleted out of band)."""
        try:
            return self.get_registry(name)
        except NotFound:
            return None

    def create_registry(self, name: str, *, storage_gb: int, password: str) -> RegistryInfo:
        """Create a registry with the given password. Not repeated by the client: a lost answer
        raises `OutcomeUnknown` (see `registry_create.py`)."""
        body = self._call(
            "POST",
            "/registries",
            what="create registry",
            registry=name,
            json={"name": name, "storage_gb": storage_gb, "password": password},
            idempotent=False,
        )
        return RegistryInfo.from_api(body)

    def resize_storage(self, name: str, storage_gb: int) -> RegistryInfo:
        body = self._call(
            "PUT",
            f"/registries/{_seg(name)}/storage",
            what="resize storage",
            registry=name,
            json={"storage_gb": storage_gb},
        )
        return RegistryInfo.from_api(body)

    def delete_registry(self, name: str) -> None:
        self._call(
            "DELETE",
            f"/registries/{_seg(name)}",
            what="delete registry",
            registry=name,
            params={"confirm": name},
        )

    def list_repositories(self, name: str) -> list[str]:
        body = self._call(
            "GET",
            f"/registries/{_seg(name)}/repositories",
            what="list repositories",
            registry=name,
        )
        return [repo["name"] for repo in body.get("repositories", [])]

    # --- settings --------------------------------------------------------------------------

    def get_settings(self, name: str) -> Settings:
        body = self._call(
            "GET", f"/registries/{_seg(name)}/settings", what="read settings", registry=name
        )
        return _settings(body)

    def update_settings(
        self,
        name: str,
        *,
        tag_immutability: bool,
        scan_on_push: bool,
        tag_immutability_exclusions: list[str] | None = None,
    ) -> Settings:
        wanted: dict[str, Any] = {
            "tag_immutability": tag_immutability,
            "scan_on_push": scan_on_push,
        }
        if tag_immutability_exclusions is not None:
            wanted["tag_immutability_exclusions"] = tag_immutability_exclusions
        body = self._call(
            "PATCH",
            f"/registries/{_seg(name)}/settings",
            what="update settings",
            registry=name,
            json=wanted,
        )
        return _settings(body)

    # --- retention -------------------------------------------------------------------------

    def get_retention_policy(self, name: str) -> dict[str, Any]:
        return self._call(
            "GET",
            f"/registries/{_seg(name)}/retention-policy",
            what="read retention policy",
            registry=name,
        )

    def put_retention_policy(
        self, name: str, rules: list[dict[str, Any]], schedule: str
    ) -> dict[str, Any]:
        return self._call(
            "PUT",
            f"/registries/{_seg(name)}/retention-policy",
            what="set retention policy",
            registry=name,
            json={"rules": rules, "schedule": schedule},
        )

    def delete_retention_policy(self, name: str) -> None:
        self._call(
            "DELETE",
            f"/registries/{_seg(name)}/retention-policy",
            what="remove retention policy",
            registry=name,
        )

    def retention_dry_run(
        self, name: str, rules: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """What a run would delete now (nothing is changed, so it is retried like a read)."""
        return self._call(
            "POST",
            f"/registries/{_seg(name)}/retention-policy/dry-run",
            what="dry-run retention policy",
            registry=name,
            json={"rules": rules} if rules is not None else {},
        )

    # --- scoped credentials ----------------------------------------------------------------

    def create_credential(
        self,
        name: str,
        credential: str,
        *,
        access: str,
        repositories: list[str] | None,
        expires_at: str | None,
    ) -> ScopedCredential:
        """Not repeated by the client: a lost answer raises `OutcomeUnknown`."""
        body: dict[str, Any] = {"name": credential, "access": access}
        if repositories is not None:
            body["repositories"] = repositories
        if expires_at is not None:
            body["expires_at"] = expires_at
        answer = self._call(
            "POST",
            f"/registries/{_seg(name)}/credentials",
            what=f"create credential {credential}",
            registry=name,
            json=body,
            idempotent=False,
        )
        return ScopedCredential.from_api(answer)

    def get_credential(self, name: str, credential: str) -> ScopedCredential:
        body = self._call(
            "GET",
            f"/registries/{_seg(name)}/credentials/{_seg(credential)}",
            what=f"read credential {credential}",
            registry=name,
        )
        return ScopedCredential.from_api(body)

    def rotate_credential(self, name: str, credential: str) -> ScopedCredential:
        body = self._call(
            "POST",
            f"/registries/{_seg(name)}/credentials/{_seg(credential)}/rotate",
            what=f"rotate credential {credential}",
            registry=name,
            idempotent=False,
        )
        return ScopedCredential.from_api(body)

    def revoke_credential(self, name: str, credential: str) -> None:
        self._call(
            "DELETE",
            f"/registries/{_seg(name)}/credentials/{_seg(credential)}",
            what=f"revoke credential {credential}",
            registry=name,
        )

    # --- credentials -----------------------------------------------------------------------

    def set_password(self, name: str, password: str) -> Credential:
        """Set the registry password; the old one stops working. Setting the same password
        again changes nothing more, so the call is retried like a read."""
        body = self._call(
            "POST",
            f"/registries/{_seg(name)}/password",
            what="set password",
            registry=name,
            json={"password": password},
        )
        return Credential(
            username=body["username"],
            password=password,
            password_updated_at=body.get("password_updated_at", ""),
            endpoint=body.get("endpoint"),
        )

    def verify_password(self, name: str, password: str) -> bool:
        body = self._call(
            "POST",
            f"/registries/{_seg(name)}/password/verify",
            what="verify password",
            registry=name,
            json={"password": password},
        )
        return bool(body.get("valid"))

    # --- helpers ---------------------------------------------------------------------------

    def push_command(self, name: str, repository: str, tag: str | None) -> dict[str, Any]:
        params = {"repository": repository}
        if tag is not None:
            params["tag"] = tag
        return self._call(
            "GET",
            f"/registries/{_seg(name)}/push-command",
            what="get push command",
            registry=name,
            params=params,
        )

    # --- transport -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        registry: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
        prefix: bool = True,
    ) -> Any:
        url = f"{API_PREFIX}{path}" if prefix else path
        subject = f'registry "{registry}": ' if registry else ""
        call = f"{what} ({method} {url})"
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                response = self._http.request(method, url, json=json, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if not last:
                    self._pause(attempt)
                    continue
                raise Unreachable(
                    f"{subject}{call} failed: cannot connect to {self.endpoint} ({_reason(exc)})",
                    reason=f"cannot connect ({_reason(exc)})",
                ) from None
            except httpx.TransportError as exc:
                if idempotent and not last:
                    self._pause(attempt)
                    continue
                unknown = OutcomeUnknown if not idempotent else Unreachable
                raise unknown(
                    f"{subject}{call} failed: no answer from {self.endpoint} ({_reason(exc)})",
                    reason=f"no answer ({_reason(exc)})",
                ) from None
            if response.status_code in RETRYABLE_STATUS:
                if idempotent and not last:
                    self._pause(attempt)
                    continue
                if not idempotent:
                    raise OutcomeUnknown(
                        str(_error(response, subject, call)),
                        reason=f"the service answered {response.status_code}",
                    )
            if response.is_success:
                return response.json() if response.content else None
            raise _error(response, subject, call)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns/raises

    def _pause(self, attempt: int) -> None:
        self._sleep(self._backoff * (2 ** (attempt - 1)))


def _seg(value: str) -> str:
    return quote(value, safe="")


def _settings(body: dict[str, Any]) -> Settings:
    return Settings(
        tag_immutability=bool(body.get("tag_immutability", False)),
        scan_on_push=bool(body.get("scan_on_push", False)),
        tag_immutability_exclusions=tuple(body.get("tag_immutability_exclusions") or ()),
    )


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _error(response: httpx.Response, subject: str, call: str) -> ApiError:
    code: str | None = None
    message = ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = error.get("code")
            message = str(error.get("message") or "")
        elif isinstance(body, dict) and "detail" in body:
            message = str(body["detail"])
    except ValueError:
        message = response.text.strip()[:300]
    said = f"{code}: {message}" if code else message or response.reason_phrase
    text = f"{subject}{call} failed: the service answered {response.status_code} {said}"
    status = response.status_code
    if status == 401:
        text += " (check cloudraya:apiToken / CLOUDRAYA_API_TOKEN)"
    cls = NotFound if status == 404 else ApiError
    return cls(text, status=status, code=code)
