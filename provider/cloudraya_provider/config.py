"""Provider configuration: `cloudraya:endpoint`, `cloudraya:apiToken` and `cloudraya:caBundle`,
or their env vars.

The endpoint is the provider's identity: every registry it manages lives on that service. Check
records the endpoint in use (also when it comes from CLOUDRAYA_ENDPOINT) in the provider's
inputs, so the state says which service the stack's registries are on, and a later change of
endpoint is refused at preview instead of quietly binding the stack's resources to same-named
registries of another service (`endpoint_change_problem`).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from .framework import CheckFailure
from .kinds import Rule, String
from .spec import Field, Spec
from .values import UNKNOWN, Props, show

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
ENDPOINT_RULE = "an http:// or https:// URL such as `http://127.0.0.1:5000`"
CA_BUNDLE_ENV = "CLOUDRAYA_CA_BUNDLE"
CA_BUNDLE_RULE = "the path of a file of PEM CA certificates"


def endpoint_problem(endpoint: str) -> str | None:
    parsed = urlsplit(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"{show(endpoint)} is not {ENDPOINT_RULE} ({ENDPOINT_HOW})"
    return None


def ca_bundle_problem(path: str) -> str | None:
    """Why ``path`` cannot serve as the CA bundle for HTTPS, or None."""
    if not os.path.isfile(path):
        return f"{show(path)} is not a file; it must be {CA_BUNDLE_RULE}"
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError, ValueError) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        return f"{show(path)} is not {CA_BUNDLE_RULE} ({reason})"
    return None


SPEC = Spec(
    token="pulumi:providers:cloudraya",
    description=(
        "The provider type for the cloudraya package. Configure it explicitly to manage "
        "registries of several services or projects in one program. Its endpoint is the "
        "service every registry it manages lives on: changing it for a provider that already "
        "manages resources is refused at preview (registries and their images cannot move "
        "between services)."
    ),
    fields=(
        Field(
            "endpoint",
            String(rule=Rule(ENDPOINT_RULE, endpoint_problem)),
            env=(ENDPOINT_ENV,),
            doc=(
                "Base URL of the CloudRaya Container Registry service: {rule}. Read from the "
                "environment variable `CLOUDRAYA_ENDPOINT` when not set."
            ),
            output_doc="Base URL of the CloudRaya Container Registry service.",
        ),
        Field(
            "apiToken",
            String(),
            secret=True,
            output=False,
            env=(TOKEN_ENV,),
            doc=(
                "API token of the project whose registries Pulumi manages. Read from the "
                "environment variable `CLOUDRAYA_API_TOKEN` when not set. Keep it secret: "
                "`pulumi config set --secret cloudraya:apiToken ...`."
            ),
        ),
        Field(
            "caBundle",
            String(rule=Rule(CA_BUNDLE_RULE, ca_bundle_problem)),
            output=False,
            env=(CA_BUNDLE_ENV,),
            doc=(
                "For an https:// endpoint whose certificate is not signed by a CA the system "
                "trusts (a private CA): {rule}, trusted instead of the system's CAs. Read from "
                "the environment variable `CLOUDRAYA_CA_BUNDLE` when not set."
            ),
        ),
    ),
)


@dataclass(frozen=True)
class ProviderConfig:
    endpoint: str
    api_token: str
    ca_bundle: str | None = None  # PEM file of the CAs to trust for HTTPS


def check_config(props: Props, environ: dict[str, str] | None = None) -> tuple[Props, list]:
    """The configuration with the endpoint in use filled in, and what is missing or wrong.

    Unknown values (configuration computed from other resources) are accepted; keys the engine
    adds (such as `version`) pass through.
    """
    env = os.environ if environ is None else environ
    declared = {f.name for f in SPEC.inputs}
    values = {k: v for k, v in props.items() if k in declared}
    if not values.get("endpoint") and env.get(ENDPOINT_ENV):
        values["endpoint"] = env[ENDPOINT_ENV]
    checked, problems = SPEC.check(values)
    failures = [CheckFailure(f.property, f"cloudraya:{f.reason}") for f in problems]
    if not values.get("endpoint"):
        failures.append(
            CheckFailure(
                "endpoint", f"missing required configuration cloudraya:endpoint: {ENDPOINT_HOW}"
            )
        )
    if not (values.get("apiToken") or env.get(TOKEN_ENV)):
        failures.append(
            CheckFailure(
                "apiToken", f"missing required configuration cloudraya:apiToken: {TOKEN_HOW}"
            )
        )
    ca_env = env.get(CA_BUNDLE_ENV)
    if not values.get("caBundle") and ca_env and (problem := ca_bundle_problem(ca_env)):
        failures.append(CheckFailure("caBundle", f"{CA_BUNDLE_ENV}: {problem}"))
    passthrough = {k: v for k, v in props.items() if k not in declared}
    return {**passthrough, **checked}, failures


def resolve(props: Props, environ: dict[str, str] | None = None) -> ProviderConfig:
    """The configuration to use; raises ValueError naming the missing key and env var."""
    _, failures = check_config(props, environ)
    if failures:
        raise ValueError("; ".join(failure.reason for failure in failures))
    env = os.environ if environ is None else environ
    return ProviderConfig(
        endpoint=str(props.get("endpoint") or env[ENDPOINT_ENV]),
        api_token=str(props.get("apiToken") or env[TOKEN_ENV]),
        ca_bundle=str(props.get("caBundle") or env.get(CA_BUNDLE_ENV) or "") or None,
    )


def same_service(first: str, second: str) -> bool:
    """Whether two endpoints name the same service URL (case, default port, trailing slash)."""

    def key(url: str) -> tuple[str, str, int | None, str]:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        default = {"http": 80, "https": 443}.get(scheme)
        try:
            port = parts.port or default
        except ValueError:
            port = None
        return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")

    return key(first) == key(second)


def endpoint_change_problem(old: Props, new: Props) -> str | None:
    """Why the provider may not move to another endpoint, or None when it stays the same."""
    before, after = old.get("endpoint"), new.get("endpoint")
    if not isinstance(before, str) or not isinstance(after, str) or after is UNKNOWN:
        return None  # older state without a recorded endpoint, or not known until apply
    if same_service(before, after):
        return None
    return (
        f"cloudraya:endpoint changed from {before} to {after}, but the resources of this "
        f"provider live on {before}: registries and their images cannot move between "
        "services, and same-named registries on the new service are not theirs. Nothing was "
        f"changed. To keep managing them, set the endpoint back to {before}. To move the stack "
        f"to {after}: run `pulumi destroy` (or remove the resources and `pulumi up`) with the "
        f"endpoint {before} first, then change it; or use a second, explicit provider for "
        f"{after}. If {after} is the same service under a new address, record that in the "
        "stack's state: `pulumi stack export --file state.json`, replace the old address in the "
        "provider's `endpoint`, `pulumi stack import --file state.json`"
    )
