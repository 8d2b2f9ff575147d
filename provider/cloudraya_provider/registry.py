"""`cloudraya:index:Registry`: a private container registry.

Rules guarded here, next to the properties they concern:
- `name` is auto-generated when absent; a change replaces the registry, which is refused at
  preview while the old registry holds images and its forceDestroy is not already true; a name
  that another registry holds on the service is refused at preview;
- `storageGb` only grows: a smaller value than the previous one fails at preview; a registry
  resized outside Pulumi shows up as a `storageGb` diff, and `pulumi up` refuses to shrink it
  before changing anything;
- the registry a resource manages is the one it created (same name and creation time, or, for a
  create whose answer was lost, the password that create sent): another registry that happens
  to carry the name is never updated, adopted or deleted;
- the password output is verified on every read: a password that no longer works leaves the
  outputs; an explicit `password` input then shows as drift and the next update sets it again,
  while a generated one is only reported (a RegistryPassword on the same registry rotates it,
  and fighting over it would rotate forever);
- destroying a registry that still holds repositories needs `forceDestroy: true`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from . import registry_create
from .api import ApiError, RegistryInfo

if TYPE_CHECKING:
    from .client import CloudRayaClient
from .framework import (
    CheckContext,
    CheckFailure,
    CheckResult,
    DiffResult,
    Operation,
    PartialFailure,
    PropertyChange,
    Props,
    ReadResult,
    Resource,
    ResourceError,
    is_unknown,
)
from .kinds import Boolean, Integer, String
from .naming import REGISTRY_NAME, choose_name
from .passwords import PASSWORD, generate_password
from .registry_fields import USERNAME, endpoint
from .spec import Field, Spec, computed

DEFAULT_STORAGE_GB = 10
STORAGE_STEP_GB = 10
MAX_STORAGE_GB = 100_000

SPEC = Spec(
    token="cloudraya:index:Registry",
    description=(
        "A private container registry. Each registry has its own endpoint and credentials (the "
        "username is the registry name) and a storage allocation that grows in steps of 10 GB "
        "and can never shrink.\n\nImport an existing registry by its name: "
        "`pulumi import cloudraya:index:Registry my-registry dev-registry`."
    ),
    fields=(
        Field(
            "name",
            String(rule=REGISTRY_NAME),
            doc=(
                "Registry name, also its username: {rule}. Unique across the service: a name "
                "another registry holds is refused at preview. When omitted, Pulumi names it "
                "after the resource plus a random suffix. Changing it replaces the registry (a "
                "new one is created before the old one is deleted); a registry that holds "
                "images is only renamed once its `forceDestroy` is true."
            ),
            output_doc="Registry name; also the username for `docker login`.",
            replaces=True,
            always=True,
        ),
        Field(
            "storageGb",
            Integer(
                minimum=STORAGE_STEP_GB,
                maximum=MAX_STORAGE_GB,
                multiple_of=STORAGE_STEP_GB,
                unit="GB",
            ),
            default=DEFAULT_STORAGE_GB,
            doc=(
                "Allocated storage in GB: {rule}. Storage can only grow: a value smaller than "
                "the registry has is refused (at preview when the program lowers it, by "
                "`pulumi up` before anything changes when the registry was resized elsewhere) "
                "and never replaces or deletes the registry."
            ),
            output_doc="Allocated storage in GB, as the service reports it.",
            always=True,
        ),
        Field(
            "password",
            String(rule=PASSWORD),
            secret=True,
            write_only=True,
            diff_from="inputs",
            doc=(
                "Initial registry password: {rule}. Generated when omitted. Changing it sets "
                "the new password. To rotate the credential on a schedule, use "
                "`RegistryPassword` (and leave this unset)."
            ),
            output_doc=(
                "The registry password this resource set (at creation or by a change of "
                "`password`). Verified on every refresh: absent once it no longer works, for "
                "example after a reset elsewhere or a rotation by a `RegistryPassword`, which "
                "then holds the current password."
            ),
        ),
        Field(
            "forceDestroy",
            Boolean(),
            default=False,
            doc=(
                "Whether deleting the registry (destroy, or the old copy in a rename) may "
                "delete the repositories and images it still holds. When false (the default), "
                "deleting a registry that holds images fails and deletes nothing. Set it to "
                "true and run `pulumi up` before destroying or renaming."
            ),
            output_doc="Whether deleting the registry may delete the images it still holds.",
            always=True,
        ),
        endpoint(
            "Registry endpoint (`host:port/name`) used in image references, for example "
            "`registry.example.com/dev-registry/my-app:v1.0.0`."
        ),
        USERNAME,
        computed(
            "usedStorageBytes",
            Integer(),
            "Storage used by the registry's images, in bytes, at the last read.",
        ),
        computed("createdAt", String(), "When the registry was created (RFC 3339)."),
    ),
)


def state_props(info: RegistryInfo, force_destroy: bool, password: str | None) -> Props:
    """Outputs: what the service reports plus what it does not echo."""
    state: Props = {
        "name": info.name,
        "storageGb": info.storage_gb,
        "forceDestroy": force_destroy,
        "endpoint": info.endpoint,
        "username": info.username,
        "usedStorageBytes": info.used_bytes,
        "createdAt": info.created_at,
    }
    if password is not None:
        state["password"] = password
    return state


def unconfirmed(state: Props) -> bool:
    """A create whose answer was lost: the state has the password it sent, but no createdAt."""
    return bool(state) and "createdAt" not in state


def same_instant(first: Any, second: Any) -> bool:
    try:
        return dt.datetime.fromisoformat(first) == dt.datetime.fromisoformat(second)
    except (TypeError, ValueError):
        return first == second


def is_ours(info: RegistryInfo, state: Props) -> bool:
    """Whether the registry found by name is the one this resource created or imported."""
    return "createdAt" not in state or same_instant(info.created_at, state["createdAt"])


def shrink_problem(registry: str, current: int, requested: Any) -> str:
    what = (
        f"storageGb is null (not set), which means the default {DEFAULT_STORAGE_GB} GB"
        if requested is None
        else f"storageGb {requested} is smaller than that"
    )
    return (
        f"registry {registry} has {current} GB and storage can only grow: {what}; use "
        f"{current} or a larger multiple of {STORAGE_STEP_GB}"
    )


def not_ours_message(name: str, endpoint: str) -> str:
    return (
        f"registry {name} on {endpoint} is not the registry this stack created (its creation "
        "time differs: it was deleted and created again, or the provider now points at another "
        "service); nothing was changed. Run `pulumi refresh` to forget the old registry"
    )


class Registry(Resource):
    spec = SPEC

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    # --- planning -------------------------------------------------------------------------

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        failures: list[CheckFailure] = []
        name = choose_name(ctx, olds.get("name"), news.get("name"), failures)
        inputs, found = self.spec.check({**news, "name": name})
        failures += found
        if failures:
            return CheckResult(inputs, failures)

        old_name = olds.get("name")
        storage = inputs.get("storageGb")
        current = olds.get("storageGb")
        if (
            isinstance(storage, int)
            and isinstance(current, int)
            and name == old_name
            and storage < current
        ):
            failures.append(
                CheckFailure("storageGb", shrink_problem(name, current, news.get("storageGb")))
            )
        if isinstance(name, str) and name != old_name:
            failures += self._name_problems(name, old_name, olds)
        return CheckResult(inputs, failures)

    def _name_problems(self, name: str, old_name: Any, olds: Props) -> list[CheckFailure]:
        """A new name must be free; a rename must not delete images without forceDestroy."""
        endpoint = self._client.endpoint
        problems: list[CheckFailure] = []
        if self._client.find_registry(name) is not None:
            problems.append(
                CheckFailure(
                    "name",
                    registry_create.taken_message(name, endpoint)
                    + (
                        ". Registries are replaced create-before-delete, so a name held by "
                        "another registry of this stack (two registries swapping names) can "
                        "only be reused once that registry is renamed away in an earlier "
                        "`pulumi up`"
                        if old_name
                        else ""
                    ),
                )
            )
        if isinstance(old_name, str) and not olds.get("forceDestroy", False):
            old = self._client.find_registry(old_name)
            if old is not None and old.repository_count > 0:
                repositories = self._client.list_repositories(old_name)
                problems.append(
                    CheckFailure(
                        "name",
                        f"renaming registry {old_name} to {name} replaces it: Pulumi creates "
                        f"{name}, then deletes {old_name}, which holds "
                        f"{_repositories(old.repository_count, repositories)}; nothing was "
                        "changed. To rename it anyway, first run `pulumi up` with "
                        f"forceDestroy: true and the name {old_name}, then rename it (the old "
                        "registry is deleted with its images once the new one exists); or keep "
                        "the name",
                    )
                )
        return problems

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        changes = self.spec.diff(old_state, old_inputs, news)
        wanted = news.get("password")
        if (
            isinstance(wanted, str)
            and "password" not in old_state
            and not unconfirmed(old_state)
            and "password" not in changes
        ):
            # The explicit password stopped working (reset elsewhere): set it again.
            changes["password"] = PropertyChange("update")
        replacing = any(change.replace for change in changes.values())
        new_name = news.get("name")
        same_name = not is_unknown(new_name) and new_name == old_state.get("name", id)
        return DiffResult(changes, delete_before_replace=replacing and same_name)

    # --- lifecycle ------------------------------------------------------------------------

    def create(self, inputs: Props, op: Operation) -> tuple[str, Props]:
        name = inputs["name"]
        password = inputs.get("password") or generate_password()
        force = bool(inputs.get("forceDestroy", False))
        storage = int(inputs.get("storageGb", DEFAULT_STORAGE_GB))
        try:
            info = registry_create.create(self._client, name, storage, password, op)
        except registry_create.Unconfirmed as unknown:
            state = {"name": name, "storageGb": storage, "forceDestroy": force}
            raise PartialFailure(
                name, {**state, "password": password}, inputs, unknown.reason
            ) from None
        return name, state_props(info, force, password)

    def read(self, id: str, state: Props, inputs: Props, op: Operation) -> ReadResult | None:
        info = self._client.find_registry(id)
        if info is None:
            return None
        password = state.get("password")
        if unconfirmed(state):
            if not (isinstance(password, str) and self._client.verify_password(id, password)):
                return None  # the lost create never happened; the name is someone else's
        elif not is_ours(info, state):
            op.warn(not_ours_message(id, self._client.endpoint))
            return None
        elif isinstance(password, str) and not self._client.verify_password(id, password):
            password = None  # reset elsewhere or rotated by a RegistryPassword
            if not isinstance(inputs.get("password"), str):
                op.warn(
                    f"the password of registry {id} in this Registry's outputs no longer works "
                    "(it was reset outside Pulumi, or a RegistryPassword rotated it); it is "
                    "removed from the outputs. Take the current password from a "
                    "RegistryPassword, which also rotates it when it is reset elsewhere"
                )
        storage = inputs.get("storageGb")
        force = bool(inputs.get("forceDestroy", state.get("forceDestroy", False)))
        known: Props = {
            "name": info.name,
            # Keep the program's size: a resize done elsewhere then shows as a storageGb diff
            # instead of failing the grow-only check. Imports take the service's size.
            "storageGb": storage if isinstance(storage, int) else info.storage_gb,
            "forceDestroy": force,
        }
        if isinstance(inputs.get("password"), str):
            known["password"] = inputs["password"]
        return ReadResult(id=info.name, state=state_props(info, force, password), inputs=known)

    def preview_update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        storage = news.get("storageGb", DEFAULT_STORAGE_GB)
        current = old_state.get("storageGb")
        if isinstance(storage, int) and isinstance(current, int) and storage < current:
            op.warn(
                shrink_problem(id, current, news.get("storageGb"))
                + ": `pulumi up` will refuse this change and change nothing (the registry was "
                "resized outside Pulumi: adopt its size in the program)"
            )
        return {**old_state, **news}

    def update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        storage = int(news.get("storageGb", DEFAULT_STORAGE_GB))
        force = bool(news.get("forceDestroy", False))
        wanted = news.get("password")
        if unconfirmed(old_state):
            info, password = self._finish_create(id, old_state, news, op)
        else:
            info = self._client.find_registry(id)
            if info is None:
                raise ResourceError(
                    f"registry {id} no longer exists on {self._client.endpoint} (deleted "
                    "outside Pulumi); nothing was changed. Run `pulumi refresh`, then "
                    "`pulumi up` creates it again"
                )
            if not is_ours(info, old_state):
                raise ResourceError(not_ours_message(id, self._client.endpoint))
            password = old_state.get("password")
        if storage < info.storage_gb:
            raise ResourceError(
                shrink_problem(id, info.storage_gb, news.get("storageGb")) + "; nothing was changed"
            )
        changed = False
        try:
            if storage != info.storage_gb:
                info = self._client.resize_storage(id, storage)
                changed = True
            if isinstance(wanted, str) and wanted != password:
                password = self._client.set_password(id, wanted).password
                changed = True
        except ApiError as exc:
            if not changed:
                raise
            applied = {"name": id, "storageGb": info.storage_gb, "forceDestroy": force}
            raise PartialFailure(
                id, state_props(info, force, password), applied, str(exc)
            ) from None
        return state_props(info, force, password)

    def _finish_create(
        self, id: str, old_state: Props, news: Props, op: Operation
    ) -> tuple[RegistryInfo, str]:
        """An earlier create lost its answer: find out, and create the registry if it did not
        happen. Returns the registry and its password."""
        sent = old_state["password"]
        storage = int(news.get("storageGb", DEFAULT_STORAGE_GB))
        try:
            info = registry_create.create(self._client, id, storage, sent, op, sent=True)
        except registry_create.Unconfirmed as unknown:
            raise PartialFailure(id, old_state, news, unknown.reason) from None
        return info, sent

    def delete(self, id: str, state: Props, op: Operation) -> None:
        info = self._client.find_registry(id)
        if info is None:
            return
        password = state.get("password")
        if unconfirmed(state):
            if not (isinstance(password, str) and self._client.verify_password(id, password)):
                return  # the lost create never happened; the name is someone else's
        elif not is_ours(info, state):
            op.warn(
                f"registry {id} on {self._client.endpoint} is not the registry this stack "
                "created (its creation time differs); it was left as it is and only removed "
                "from the stack"
            )
            return
        if not state.get("forceDestroy", False) and info.repository_count > 0:
            repositories = self._client.list_repositories(id)
            raise ResourceError(
                f"registry {id} still holds "
                f"{_repositories(info.repository_count, repositories)}; nothing was deleted. "
                "Set forceDestroy: true on the Registry and run `pulumi up` to allow deleting "
                "it with all its images, or delete the repositories first"
            )
        self._client.delete_registry(id)


def _repositories(count: int, names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"{count} repositor{'y' if count == 1 else 'ies'} ({shown})"


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
