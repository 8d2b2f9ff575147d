"""`cloudraya:index:Registry`: a private container registry.

Rules guarded here, next to the properties they concern:
- `name` is auto-generated when absent and any change replaces the registry;
- `storageGb` is a multiple of 10 and only grows: a smaller value fails at preview, it never
  replaces or deletes the registry;
- destroying a registry that still holds repositories needs `forceDestroy: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import ApiError, CloudRayaClient, RegistryInfo
from .framework import (
    UNKNOWN,
    CheckContext,
    CheckFailure,
    CheckResult,
    DiffResult,
    PartialFailure,
    PropertyChange,
    Props,
    ReadResult,
    Resource,
    ResourceError,
    bool_input,
    change_between,
    is_unknown,
    string_input,
    unknown_property_failures,
)
from .naming import choose_name, name_problem
from .passwords import password_problem

DEFAULT_STORAGE_GB = 10
STORAGE_STEP_GB = 10
INPUTS = ("name", "storageGb", "password", "forceDestroy")


def storage_problem(requested: Any, current: int | None, registry: str | None) -> str | None:
    """Why `requested` is not an acceptable storage size, or None."""
    if isinstance(requested, bool) or not isinstance(requested, int):
        return f"storageGb must be a whole number of GB (got {requested!r})"
    rule = f"storage is allocated in steps of {STORAGE_STEP_GB} GB and can only grow"
    if current is not None and (requested < current or requested % STORAGE_STEP_GB):
        return (
            f"storageGb {requested} is not allowed: {rule}: registry "
            f"{registry or '(this registry)'} has {current} GB; use {current} or a larger "
            f"multiple of {STORAGE_STEP_GB}"
        )
    if requested < STORAGE_STEP_GB or requested % STORAGE_STEP_GB:
        return (
            f"storageGb {requested} is not allowed: {rule}; use a multiple of "
            f"{STORAGE_STEP_GB} that is at least {STORAGE_STEP_GB}"
        )
    return None


@dataclass
class RegistryInputs:
    name: str
    storage_gb: int
    password: str | None
    force_destroy: bool

    @classmethod
    def from_props(cls, props: Props) -> RegistryInputs:
        return cls(
            name=props["name"],
            storage_gb=int(props.get("storageGb", DEFAULT_STORAGE_GB)),
            password=props.get("password"),
            force_destroy=bool(props.get("forceDestroy", False)),
        )

    def to_props(self) -> Props:
        props: Props = {
            "name": self.name,
            "storageGb": self.storage_gb,
            "forceDestroy": self.force_destroy,
        }
        if self.password is not None:
            props["password"] = self.password
        return props


def state_props(info: RegistryInfo, inputs: RegistryInputs, password: str | None) -> Props:
    """Outputs: what the service reports plus the inputs it does not echo."""
    state: Props = {
        "name": info.name,
        "storageGb": info.storage_gb,
        "forceDestroy": inputs.force_destroy,
        "endpoint": info.endpoint,
        "username": info.username,
        "usedStorageBytes": info.used_bytes,
        "createdAt": info.created_at,
    }
    if password is not None:
        state["password"] = password
    return state


class Registry(Resource):
    token = "cloudraya:index:Registry"
    secret_outputs = frozenset({"password"})
    secret_inputs = frozenset({"password"})

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    # --- planning -------------------------------------------------------------------------

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        failures = unknown_property_failures(news, INPUTS)
        name = choose_name(ctx, olds.get("name"), string_input(news, "name", failures), failures)
        if isinstance(name, str) and (problem := name_problem(name)):
            failures.append(CheckFailure("name", problem))

        # Grow-only is checked against the previous inputs, which a refresh has set to the size
        # the service reports. (Diff must not fail: the engine also calls it during refresh,
        # with the old program inputs as the "new" side.)
        storage = news.get("storageGb")
        storage = DEFAULT_STORAGE_GB if storage is None else storage
        if storage is not UNKNOWN:
            current = olds.get("storageGb")
            same_registry = name == olds.get("name")
            current = current if isinstance(current, int) and same_registry else None
            if problem := storage_problem(storage, current, olds.get("name")):
                failures.append(CheckFailure("storageGb", problem))

        password = string_input(news, "password", failures)
        if isinstance(password, str) and (problem := password_problem(password)):
            failures.append(CheckFailure("password", problem))

        inputs: Props = {
            "name": name,
            "storageGb": storage,
            "forceDestroy": bool_input(news, "forceDestroy", False, failures),
        }
        if password is not None:
            inputs["password"] = password
        return CheckResult(inputs, failures)

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        changes: dict[str, PropertyChange] = {}
        old_name = old_state.get("name", id)
        if change := change_between(old_name, news.get("name"), replace=True):
            changes["name"] = change

        old_storage = old_state.get("storageGb")
        new_storage = news.get("storageGb", DEFAULT_STORAGE_GB)
        if new_storage != old_storage:
            changes["storageGb"] = PropertyChange("update")

        # Passwords are compared input to input: a generated password (no input) never diffs.
        change = change_between(old_inputs.get("password"), news.get("password"))
        if change is not None and change.kind != "delete":
            changes["password"] = change

        old_force = old_state.get("forceDestroy", old_inputs.get("forceDestroy", False))
        if change := change_between(old_force, news.get("forceDestroy", False)):
            changes["forceDestroy"] = PropertyChange("update")

        replacing = any(change.replace for change in changes.values())
        same_name = not is_unknown(news.get("name")) and news.get("name") == old_name
        return DiffResult(changes, delete_before_replace=replacing and same_name)

    # --- lifecycle ------------------------------------------------------------------------

    def create(self, inputs: Props) -> tuple[str, Props]:
        wanted = RegistryInputs.from_props(inputs)
        info, password = self._client.create_registry(
            wanted.name, storage_gb=wanted.storage_gb, password=wanted.password
        )
        return info.name, state_props(info, wanted, password)

    def computed_on_create(self) -> tuple[str, ...]:
        return ("endpoint", "username", "usedStorageBytes", "createdAt", "password")

    def preview_create(self, inputs: Props) -> Props:
        state = super().preview_create(inputs)
        if "password" in inputs:
            state["password"] = inputs["password"]
        return state

    def read(self, id: str, state: Props, inputs: Props) -> ReadResult | None:
        info = self._client.find_registry(id)
        if info is None:
            return None
        known = RegistryInputs(
            name=info.name,
            storage_gb=info.storage_gb,
            password=inputs.get("password"),
            force_destroy=bool(inputs.get("forceDestroy", state.get("forceDestroy", False))),
        )
        return ReadResult(
            id=info.name,
            state=state_props(info, known, state.get("password")),
            inputs=known.to_props(),
        )

    def update(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> Props:
        wanted = RegistryInputs.from_props(news)
        applied = RegistryInputs(
            name=id,
            storage_gb=int(old_state.get("storageGb", wanted.storage_gb)),
            password=old_inputs.get("password"),
            force_destroy=wanted.force_destroy,
        )
        password = old_state.get("password")
        info: RegistryInfo | None = None
        changed = False
        try:
            if wanted.storage_gb != applied.storage_gb:
                info = self._client.resize_storage(id, wanted.storage_gb)
                applied.storage_gb, changed = info.storage_gb, True
            if wanted.password is not None and wanted.password != applied.password:
                password = self._client.set_password(id, wanted.password).password
                applied.password, changed = wanted.password, True
            info = self._client.get_registry(id)
        except ApiError as exc:
            if not changed:
                raise
            if info is not None:
                state = state_props(info, applied, password)
            else:
                state = {**old_state, "storageGb": applied.storage_gb, "password": password}
            raise PartialFailure(id, state, applied.to_props(), str(exc)) from None
        return state_props(info, wanted, password)

    def delete(self, id: str, state: Props) -> None:
        info = self._client.find_registry(id)
        if info is None:
            return
        if not state.get("forceDestroy", False) and info.repository_count > 0:
            repositories = self._client.list_repositories(id)
            shown = ", ".join(repositories[:5]) + (", ..." if len(repositories) > 5 else "")
            raise ResourceError(
                f"registry {id!r} still holds {info.repository_count} "
                f"repositor{'y' if info.repository_count == 1 else 'ies'} ({shown}); nothing "
                "was deleted. Set forceDestroy: true on the Registry and run `pulumi up` to allow "
                "deleting it with all its images, or delete the repositories first"
            )
        self._client.delete_registry(id)


def registry_outputs(info: RegistryInfo) -> dict[str, Any]:
    """Outputs of the `getRegistry` function."""
    return {
        "name": info.name,
        "endpoint": info.endpoint,
        "username": info.username,
        "storageGb": info.storage_gb,
        "usedStorageBytes": info.used_bytes,
        "tagImmutability": info.tag_immutability,
        "scanOnPush": info.scan_on_push,
        "repositoryCount": info.repository_count,
        "createdAt": info.created_at,
    }
