"""Provider configuration: `cloudraya:endpoint` and `cloudraya:apiToken`, or their env vars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

from .framework import UNKNOWN, CheckFailure, Props

ENDPOINT_ENV = "CLOUDRAYA_ENDPOINT"
TOKEN_ENV = "CLOUDRAYA_API_TOKEN"
ENDPOINT_HOW = (
    "set it with `pulumi config set cloudraya:endpoint <url>` or the environment variable "
    f"{ENDPOINT_ENV}"
)
TOKEN_HOW = (
    "set it with `pulumi config set --secret cloudraya:apiToken <token>` or the environment "
    f"variable {TOKEN_ENV}"
)


@dataclass(frozen=True)
class ProviderConfig:
    endpoint: str
    api_token: str


def config_failures(props: Props, environ: dict[str, str] | None = None) -> list[CheckFailure]:
    """What is missing or malformed; unknown values (computed config) are accepted."""
    env = os.environ if environ is None else environ
    failures: list[CheckFailure] = []
    endpoint = props.get("endpoint") or env.get(ENDPOINT_ENV)
    if not endpoint:
        failures.append(
            CheckFailure(
                "endpoint", f"missing required configuration cloudraya:endpoint: {ENDPOINT_HOW}"
            )
        )
    elif endpoint is not UNKNOWN and (problem := endpoint_problem(endpoint)):
        failures.append(CheckFailure("endpoint", problem))
    if not (props.get("apiToken") or env.get(TOKEN_ENV)):
        failures.append(
            CheckFailure(
                "apiToken", f"missing required configuration cloudraya:apiToken: {TOKEN_HOW}"
            )
        )
    return failures


def endpoint_problem(endpoint: object) -> str | None:
    if not isinstance(endpoint, str):
        return f"cloudraya:endpoint must be a URL string ({ENDPOINT_HOW})"
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return (
            f"cloudraya:endpoint {endpoint!r} is not an http(s) URL such as "
            f"http://127.0.0.1:5000 ({ENDPOINT_HOW})"
        )
    return None


def resolve(props: Props, environ: dict[str, str] | None = None) -> ProviderConfig:
    """The configuration to use; raises ValueError naming the missing key and env var."""
    failures = config_failures(props, environ)
    if failures:
        raise ValueError("; ".join(failure.reason for failure in failures))
    env = os.environ if environ is None else environ
    return ProviderConfig(
        endpoint=str(props.get("endpoint") or env[ENDPOINT_ENV]),
        api_token=str(props.get("apiToken") or env[TOKEN_ENV]),
    )
