"""`cloudraya:index:RegistrySettings`: tag immutability (with its exclusions) and scan on push
of one registry.

Settings are updated in place; deleting the resource restores the service defaults (both off).
The resource ID is the registry name. Everything else (checks, diffs, schema) follows from the
declared fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .api import NotFound, Settings

if TYPE_CHECKING:
    from .client import CloudRayaClient
from .framework import CheckContext, CheckResult, Operation, Props, ReadResult, Resource
from .globs import TAG_GLOB, TAG_GLOB_RULE
from .kinds import Boolean, ListOf, String
from .registry_fields import registry_reference
from .spec import Field, Spec

SERVICE_DEFAULTS = Settings(tag_immutability=False, scan_on_push=False)
MAX_EXCLUSIONS = 50

SPEC = Spec(
    token="cloudraya:index:RegistrySettings",
    description=(
        "Registry-wide settings: tag immutability (with tags excluded from it) and scan on "
        "push. Deleting this resource restores the service defaults (both off, no "
        "exclusions).\n\nImport the settings of an existing registry by its name: "
        "`pulumi import cloudraya:index:RegistrySettings my-settings dev-registry`."
    ),
    fields=(
        registry_reference("to configure", "Name of the configured registry."),
        Field(
            "tagImmutability",
            Boolean(),
            default=False,
            always=True,
            doc=(
                "Prevent overwriting an existing image tag with a different image. Recommended "
                "for staging and production."
            ),
            output_doc="Whether existing tags are immutable.",
        ),
        Field(
            "scanOnPush",
            Boolean(),
            default=False,
            always=True,
            doc="Scan every image for vulnerabilities when it is pushed.",
            output_doc="Whether images are scanned on push.",
        ),
        Field(
            "tagImmutabilityExclusions",
            ListOf(String(rule=TAG_GLOB), max_items=MAX_EXCLUSIONS),
            doc=(
                "Tag globs that stay mutable while `tagImmutability` is on, for example "
                f'`["latest", "dev-*"]`: {{rule}}; each pattern has {TAG_GLOB_RULE}.'
            ),
            output_doc="Tag globs that stay mutable while tag immutability is on.",
        ),
    ),
)


def settings_props(registry: str, settings: Settings) -> Props:
    props: Props = {
        "registry": registry,
        "tagImmutability": settings.tag_immutability,
        "scanOnPush": settings.scan_on_push,
    }
    if settings.tag_immutability_exclusions:  # none and `[]` are the same setting
        props["tagImmutabilityExclusions"] = list(settings.tag_immutability_exclusions)
    return props


class RegistrySettings(Resource):
    spec = SPEC

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        result = super().check(ctx, olds, news)
        if result.inputs.get("tagImmutabilityExclusions") == []:
            del result.inputs["tagImmutabilityExclusions"]  # the same as none: no diff between
        return result

    def _apply(self, registry: str, inputs: Props) -> Props:
        applied = self._client.update_settings(
            registry,
            tag_immutability=bool(inputs.get("tagImmutability", False)),
            scan_on_push=bool(inputs.get("scanOnPush", False)),
            tag_immutability_exclusions=list(inputs.get("tagImmutabilityExclusions") or []),
        )
        return settings_props(registry, applied)

    def create(self, inputs: Props, op: Operation) -> tuple[str, Props]:
        return inputs["registry"], self._apply(inputs["registry"], inputs)

    def read(self, id: str, state: Props, inputs: Props, op: Operation) -> ReadResult | None:
        try:
            current = self._client.get_settings(id)
        except NotFound:
            return None
        props = settings_props(id, current)
        return ReadResult(id=id, state=props, inputs=dict(props))

    def update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        return self._apply(id, news)

    def delete(self, id: str, state: Props, op: Operation) -> None:
        try:
            self._client.update_settings(
                id,
                tag_immutability=SERVICE_DEFAULTS.tag_immutability,
                scan_on_push=SERVICE_DEFAULTS.scan_on_push,
                tag_immutability_exclusions=[],
            )
        except NotFound:
            return  # the registry is gone, and its settings with it
