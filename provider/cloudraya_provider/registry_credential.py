"""`cloudraya:index:RegistryCredential`: a scoped login of a registry (`<registry>+<name>`).

The service generates the password and returns it once; the provider keeps it (secret) in the
state. Access, repositories and expiry cannot change in place: a change replaces the credential.
A change of `keepers` rotates the password. Read finds out when the credential was revoked or
expired elsewhere (it disappears; the next `pulumi up` creates it again). The resource ID is
`<registry>/<name>`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from .api import ApiError, NotFound, ScopedCredential
from .docker_config import docker_config_json
from .framework import (
    UNKNOWN,
    CheckContext,
    CheckFailure,
    CheckResult,
    DiffResult,
    Operation,
    PropertyChange,
    Props,
    ReadResult,
    Resource,
    ResourceError,
)
from .globs import MAX_PATTERNS, REPOSITORY_GLOB
from .kinds import ListOf, MapOf, Rule, String
from .registry_fields import endpoint, registry_reference
from .spec import Field, Spec, computed
from .values import show

if TYPE_CHECKING:
    from .client import CloudRayaClient

ACCESS = ("pull", "push")
NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
NAME_RULE = (
    "1 to 40 characters: lower-case letters, digits and hyphens, starting and ending with a "
    "letter or digit"
)
TIME_RULE = "an RFC 3339 time with a time zone, for example `2027-01-31T00:00:00Z`"
ROTATED = ("password", "dockerConfigJson", "passwordUpdatedAt")


def credential_name_problem(name: str) -> str | None:
    if NAME_PATTERN.fullmatch(name):
        return None
    return f"{show(name)} is not a credential name: use {NAME_RULE}"


def parse_time(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _time_problem(value: str) -> str | None:
    if parse_time(value) is None:
        return f"{show(value)} is not {TIME_RULE}"
    return None


CREDENTIAL_NAME = Rule(NAME_RULE, credential_name_problem)
TIME = Rule(TIME_RULE, _time_problem)

SPEC = Spec(
    token="cloudraya:index:RegistryCredential",
    description=(
        "A scoped credential of a registry: a login `<registry>+<name>` with `pull` or `push` "
        "access (push includes pull; neither may delete), optionally limited to some "
        "repositories and to a time. Use a pull credential's `dockerConfigJson` as a "
        "Kubernetes image pull secret, a push credential in CI. Changing `access`, "
        "`repositories` or `expiresAt` replaces it; changing `keepers` rotates its password. "
        "Revocation or expiry elsewhere shows up at refresh (the credential is gone) and the "
        "next `pulumi up` creates it again. Deleting the resource revokes the credential; "
        "its password and tokens stop working at once.\n\nImport it by "
        "`<registry>/<name>`: `pulumi import cloudraya:index:RegistryCredential ci "
        "dev-registry/ci`. The service never reveals passwords, so an imported credential has "
        "no `password` until `keepers` changes (which rotates it)."
    ),
    fields=(
        registry_reference("the credential logs in to", "Name of the registry."),
        Field(
            "name",
            String(rule=CREDENTIAL_NAME),
            required=True,
            replaces=True,
            always=True,
            doc="Credential name, the part after `+` in the username: {rule}.",
            output_doc="Credential name.",
        ),
        Field(
            "access",
            String(choices=ACCESS),
            default="pull",
            replaces=True,
            always=True,
            doc=(
                "What it may do: {rule}. `push` includes pull; deleting needs the registry "
                "password."
            ),
            output_doc="`pull` or `push`.",
        ),
        Field(
            "repositories",
            ListOf(String(rule=REPOSITORY_GLOB), max_items=MAX_PATTERNS),
            replaces=True,
            doc=(
                "Repository globs (path inside the registry; `*` within a component, `**` "
                "across `/`) it may act on: {rule}. All repositories when omitted."
            ),
            output_doc="Repository globs it may act on; all when absent.",
        ),
        Field(
            "expiresAt",
            String(rule=TIME),
            replaces=True,
            doc="When it stops working: {rule}. Never when omitted.",
            output_doc="When it stops working (RFC 3339); absent: never.",
        ),
        Field(
            "keepers",
            MapOf(String()),
            diff_from="inputs",
            doc="Arbitrary values; any change rotates the password.",
            output_doc="Values whose change rotates the password.",
        ),
        computed("username", String(), "Username for `docker login`: `<registry>+<name>`."),
        endpoint(),
        computed(
            "password",
            String(),
            "The password. Absent after an import until `keepers` changes.",
            secret=True,
            always=False,
        ),
        computed(
            "dockerConfigJson",
            String(),
            'Docker config JSON (`{"auths": {"<registry host>": {...}}}`) holding this '
            "credential, the same shape as RegistryPassword's: a `.dockerconfigjson` for a "
            "Kubernetes image pull secret, or an `--authfile` for Podman and skopeo.",
            secret=True,
            always=False,
        ),
        computed(
            "passwordUpdatedAt", String(), "When the password was set (RFC 3339).", always=False
        ),
    ),
)


def split_id(id: str) -> tuple[str, str]:
    registry, separator, name = id.partition("/")
    if not separator or not registry or not name:
        raise ResourceError(
            f"{show(id)} is not a RegistryCredential ID: use `<registry>/<name>`, for example "
            "`dev-registry/ci`"
        )
    return registry, name


def _state(
    inputs: Props, endpoint_url: str, found: ScopedCredential, password: str | None
) -> Props:
    state: Props = {
        **{k: v for k, v in inputs.items() if k in ("keepers",)},
        "registry": found.registry,
        "name": found.name,
        "access": found.access,
        "username": found.username,
        "endpoint": endpoint_url,
        "passwordUpdatedAt": found.password_updated_at,
    }
    if found.repositories is not None:
        state["repositories"] = list(found.repositories)
    if found.expires_at is not None:
        state["expiresAt"] = inputs.get("expiresAt") or found.expires_at
    if password is not None:
        state["password"] = password
        state["dockerConfigJson"] = docker_config_json(endpoint_url, found.username, password)
    return state


class RegistryCredential(Resource):
    spec = SPEC

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        result = super().check(ctx, olds, news)
        expires = result.inputs.get("expiresAt")
        if isinstance(expires, str) and expires != olds.get("expiresAt"):
            when = parse_time(expires)
            if when is not None and when <= dt.datetime.now(dt.UTC):
                result.failures.append(
                    CheckFailure(
                        "expiresAt", f"expiresAt {show(expires)} is in the past: give a future time"
                    )
                )
        return result

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        result = super().diff(id, old_state, old_inputs, news)
        if "passwordUpdatedAt" in old_state and "password" not in old_state:
            # Rotated elsewhere: the next update rotates again, to a password the stack knows.
            result.changes.setdefault("keepers", PropertyChange("update"))
        return result

    def preview_update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        return {**old_state, **news, **dict.fromkeys(ROTATED, UNKNOWN)}

    def _endpoint(self, registry: str) -> str:
        return self._client.get_registry(registry).endpoint

    def create(self, inputs: Props, op: Operation) -> tuple[str, Props]:
        registry, name = inputs["registry"], inputs["name"]
        endpoint_url = self._endpoint(registry)  # first: a missing registry changes nothing
        try:
            created = self._create(inputs)
        except ApiError as exc:
            if exc.status != 409:
                raise
            existing = self._client.get_credential(registry, name)
            if not _expired(existing):
                raise ResourceError(
                    f"registry {registry} already has a credential named {name}; import it "
                    f"(`pulumi import cloudraya:index:RegistryCredential <resource> "
                    f"{registry}/{name}`) or choose another name"
                ) from None
            op.info(f"credential {existing.username} had expired; creating it again")
            self._client.revoke_credential(registry, name)
            created = self._create(inputs)
        return f"{registry}/{name}", _state(inputs, endpoint_url, created, created.password)

    def _create(self, inputs: Props) -> ScopedCredential:
        return self._client.create_credential(
            inputs["registry"],
            inputs["name"],
            access=inputs.get("access", "pull"),
            repositories=inputs.get("repositories"),
            expires_at=inputs.get("expiresAt"),
        )

    def read(self, id: str, state: Props, inputs: Props, op: Operation) -> ReadResult | None:
        registry, name = split_id(id)
        try:
            found = self._client.get_credential(registry, name)
            endpoint_url = self._endpoint(registry)
        except NotFound:
            return None  # revoked elsewhere, or the registry is gone
        if _expired(found):
            return None  # it no longer works: the next `pulumi up` creates it again
        known = {k: v for k, v in inputs.items() if k == "keepers"}
        fresh = _state({**known, "expiresAt": inputs.get("expiresAt")}, endpoint_url, found, None)
        if "password" in state and state.get("passwordUpdatedAt") == found.password_updated_at:
            fresh["password"] = state["password"]
            fresh["dockerConfigJson"] = docker_config_json(
                endpoint_url, found.username, state["password"]
            )
        elif "passwordUpdatedAt" not in state:
            fresh.pop("passwordUpdatedAt", None)  # imported: nothing of ours to keep
        new_inputs = {
            k: fresh[k]
            for k in ("registry", "name", "access", "repositories", "expiresAt", "keepers")
            if k in fresh
        }
        return ReadResult(id=id, state=fresh, inputs=new_inputs)

    def update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        registry, name = split_id(id)
        rotated = self._client.rotate_credential(registry, name)
        return _state(news, self._endpoint(registry), rotated, rotated.password)

    def delete(self, id: str, state: Props, op: Operation) -> None:
        registry, name = split_id(id)
        try:
            self._client.revoke_credential(registry, name)
        except NotFound:
            return  # revoked elsewhere already


def _expired(found: ScopedCredential) -> bool:
    when = parse_time(found.expires_at) if found.expires_at else None
    return when is not None and when <= dt.datetime.now(dt.UTC)
