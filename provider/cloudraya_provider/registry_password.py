"""`cloudraya:index:RegistryPassword`: the managed password of one registry.

Creating it sets a new password; a change of `keepers` (or of an explicit `password`) rotates it.
Read verifies that the stored password still authenticates: when it was reset elsewhere the
password leaves the outputs, and Diff then plans a rotation. An imported RegistryPassword never
had a password (the service does not reveal them) and is not rotated by that rule.
The resource ID is the registry name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import CloudRayaClient, Credential, RegistryInfo
from .docker_config import docker_config_json
from .framework import (
    UNKNOWN,
    CheckContext,
    CheckFailure,
    CheckResult,
    DiffResult,
    PropertyChange,
    Props,
    ReadResult,
    Resource,
    change_between,
    string_input,
    unknown_property_failures,
)
from .passwords import password_problem

INPUTS = ("registry", "keepers", "password")
ROTATED = ("password", "dockerConfigJson", "rotatedAt")


@dataclass
class PasswordInputs:
    registry: str
    keepers: dict[str, str] = field(default_factory=dict)
    password: str | None = None

    @classmethod
    def from_props(cls, props: Props) -> PasswordInputs:
        return cls(
            registry=props["registry"],
            keepers=dict(props.get("keepers") or {}),
            password=props.get("password"),
        )

    def to_props(self) -> Props:
        props: Props = {"registry": self.registry}
        if self.keepers:
            props["keepers"] = dict(self.keepers)
        if self.password is not None:
            props["password"] = self.password
        return props


def credential_props(
    inputs: PasswordInputs, info: RegistryInfo, credential: Credential | None
) -> Props:
    state: Props = {**inputs.to_props(), "username": info.username, "endpoint": info.endpoint}
    if credential is not None:
        state["password"] = credential.password
        state["dockerConfigJson"] = docker_config_json(
            info.endpoint, credential.username, credential.password
        )
        state["rotatedAt"] = credential.password_updated_at
    return state


def stale(state: Props) -> bool:
    """True when this resource set a password that the service no longer accepts."""
    return "rotatedAt" in state and "password" not in state


class RegistryPassword(Resource):
    token = "cloudraya:index:RegistryPassword"
    secret_outputs = frozenset({"password", "dockerConfigJson"})
    secret_inputs = frozenset({"password"})

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        failures = unknown_property_failures(news, INPUTS)
        registry = string_input(news, "registry", failures)
        if registry is None or registry == "":
            failures.append(CheckFailure("registry", "registry (the registry name) is required"))
        keepers = news.get("keepers")
        if (keepers is not None and keepers is not UNKNOWN) and (
            not isinstance(keepers, dict)
            or not all(isinstance(v, str) or v is UNKNOWN for v in keepers.values())
        ):
            failures.append(CheckFailure("keepers", "keepers must be a map of strings to strings"))
        password = string_input(news, "password", failures)
        if isinstance(password, str) and (problem := password_problem(password)):
            failures.append(CheckFailure("password", problem))
        inputs: Props = {"registry": registry}
        if keepers:
            inputs["keepers"] = keepers
        if password is not None:
            inputs["password"] = password
        return CheckResult(inputs, failures)

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        changes: dict[str, PropertyChange] = {}
        if change := change_between(
            old_state.get("registry", id), news.get("registry"), replace=True
        ):
            changes["registry"] = change
        old_keepers = old_inputs.get("keepers", old_state.get("keepers")) or {}
        if change := change_between(old_keepers, news.get("keepers") or {}):
            changes["keepers"] = change
        change = change_between(old_inputs.get("password"), news.get("password"))
        if change is not None and change.kind != "delete":
            changes["password"] = change
        if stale(old_state) and "password" not in changes:
            # Reset outside Pulumi: the next update sets a password this stack knows again.
            changes["password"] = PropertyChange("update")
        return DiffResult(changes)

    def create(self, inputs: Props) -> tuple[str, Props]:
        wanted = PasswordInputs.from_props(inputs)
        info = self._client.get_registry(wanted.registry)
        credential = self._client.set_password(wanted.registry, wanted.password)
        return wanted.registry, credential_props(wanted, info, credential)

    def computed_on_create(self) -> tuple[str, ...]:
        return ("username", "endpoint", *ROTATED)

    def preview_update(self, old_state: Props, news: Props) -> Props:
        return {**old_state, **news, **dict.fromkeys(ROTATED, UNKNOWN)}

    def read(self, id: str, state: Props, inputs: Props) -> ReadResult | None:
        info = self._client.find_registry(id)
        if info is None:
            return None
        known = PasswordInputs(
            registry=info.name,
            keepers=dict(inputs.get("keepers", state.get("keepers")) or {}),
            password=inputs.get("password"),
        )
        fresh: Props = {**known.to_props(), "username": info.username, "endpoint": info.endpoint}
        if "rotatedAt" in state:
            fresh["rotatedAt"] = state["rotatedAt"]
        password = state.get("password")
        if isinstance(password, str) and self._client.verify_password(id, password):
            fresh["password"] = password
            fresh["dockerConfigJson"] = docker_config_json(info.endpoint, info.username, password)
        return ReadResult(id=info.name, state=fresh, inputs=known.to_props())

    def update(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> Props:
        wanted = PasswordInputs.from_props(news)
        info = self._client.get_registry(id)  # first, so a failure here changes nothing
        credential = self._client.set_password(id, wanted.password)
        return credential_props(wanted, info, credential)

    def delete(self, id: str, state: Props) -> None:
        """Forget the resource; the registry keeps its current password (documented)."""
