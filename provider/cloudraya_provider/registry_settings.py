"""`cloudraya:index:RegistrySettings`: tag immutability and scan on push of one registry.

Settings are updated in place; deleting the resource restores the service defaults (both off).
The resource ID is the registry name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import CloudRayaClient, NotFound, Settings
from .framework import (
    CheckContext,
    CheckFailure,
    CheckResult,
    DiffResult,
    PropertyChange,
    Props,
    ReadResult,
    Resource,
    bool_input,
    change_between,
    string_input,
    unknown_property_failures,
)

INPUTS = ("registry", "tagImmutability", "scanOnPush")
SERVICE_DEFAULTS = Settings(tag_immutability=False, scan_on_push=False)


@dataclass
class SettingsInputs:
    registry: str
    tag_immutability: bool
    scan_on_push: bool

    @classmethod
    def from_props(cls, props: Props) -> SettingsInputs:
        return cls(
            registry=props["registry"],
            tag_immutability=bool(props.get("tagImmutability", False)),
            scan_on_push=bool(props.get("scanOnPush", False)),
        )


def settings_props(registry: str, settings: Settings) -> Props:
    return {
        "registry": registry,
        "tagImmutability": settings.tag_immutability,
        "scanOnPush": settings.scan_on_push,
    }


class RegistrySettings(Resource):
    token = "cloudraya:index:RegistrySettings"

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        failures = unknown_property_failures(news, INPUTS)
        registry = string_input(news, "registry", failures)
        if registry is None or registry == "":
            failures.append(CheckFailure("registry", "registry (the registry name) is required"))
        inputs = {
            "registry": registry,
            "tagImmutability": bool_input(news, "tagImmutability", False, failures),
            "scanOnPush": bool_input(news, "scanOnPush", False, failures),
        }
        return CheckResult(inputs, failures)

    def diff(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> DiffResult:
        changes: dict[str, PropertyChange] = {}
        if change := change_between(
            old_state.get("registry", id), news.get("registry"), replace=True
        ):
            changes["registry"] = change
        for key in ("tagImmutability", "scanOnPush"):
            if change := change_between(old_state.get(key, False), news.get(key, False)):
                changes[key] = PropertyChange("update")
        return DiffResult(changes)

    def create(self, inputs: Props) -> tuple[str, Props]:
        wanted = SettingsInputs.from_props(inputs)
        applied = self._client.update_settings(
            wanted.registry,
            tag_immutability=wanted.tag_immutability,
            scan_on_push=wanted.scan_on_push,
        )
        return wanted.registry, settings_props(wanted.registry, applied)

    def read(self, id: str, state: Props, inputs: Props) -> ReadResult | None:
        try:
            current = self._client.get_settings(id)
        except NotFound:
            return None
        props = settings_props(id, current)
        return ReadResult(id=id, state=props, inputs=dict(props))

    def update(self, id: str, old_state: Props, old_inputs: Props, news: Props) -> Props:
        wanted = SettingsInputs.from_props(news)
        applied = self._client.update_settings(
            id, tag_immutability=wanted.tag_immutability, scan_on_push=wanted.scan_on_push
        )
        return settings_props(id, applied)

    def delete(self, id: str, state: Props) -> None:
        try:
            self._client.update_settings(
                id,
                tag_immutability=SERVICE_DEFAULTS.tag_immutability,
                scan_on_push=SERVICE_DEFAULTS.scan_on_push,
            )
        except NotFound:
            return  # the registry is gone, and its settings with it
