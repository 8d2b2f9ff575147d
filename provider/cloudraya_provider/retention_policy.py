"""`cloudraya:index:RetentionPolicy`: the cleanup rules of one registry, and what they delete.

At preview of a new or changed policy the provider asks the service for a dry run and shows
how many artifacts, which tags and how many bytes the policy would delete, as a warning on the
resource (the service must be reachable for that figure). `wouldDelete` keeps the same figures
from the last create, update or refresh. The resource ID is the registry name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import ApiError, NotFound
from .framework import (
    CheckContext,
    CheckFailure,
    CheckResult,
    Operation,
    Props,
    ReadResult,
    Resource,
)
from .globs import MAX_PATTERNS, REPOSITORY_GLOB, TAG_GLOB
from .kinds import Integer, ListOf, Object, String
from .registry_fields import registry_reference
from .spec import Field, ObjectType, Spec, computed
from .values import is_unknown

if TYPE_CHECKING:
    from .client import CloudRayaClient

SCHEDULES = ("hourly", "daily", "manual")
MAX_RULES = 20
MAX_DAYS = 3650
SHOWN_TAGS = 10

# Rule fields: the program's camelCase name and the service's name.
RULE_KEYS = {
    "repositoryPattern": "repository_pattern",
    "keepLastPushed": "keep_last_pushed",
    "keepTagPatterns": "keep_tag_patterns",
    "keepPulledWithinDays": "keep_pulled_within_days",
    "untaggedOlderThanDays": "untagged_older_than_days",
}
CLAUSES = tuple(key for key in RULE_KEYS if key != "repositoryPattern")

RULE = ObjectType(
    token="cloudraya:index:RetentionRule",
    description=(
        "One rule of a retention policy: the repositories it covers and what it keeps. In a "
        "repository a rule with a keep clause matches, a tagged artifact is kept when any keep "
        "clause of any matching rule keeps it, and deleted otherwise."
    ),
    fields=(
        Field(
            "repositoryPattern",
            String(rule=REPOSITORY_GLOB),
            default="*",
            doc="Repositories the rule covers (path inside the registry), a glob: {rule}.",
        ),
        Field(
            "keepLastPushed",
            Integer(minimum=1, maximum=100_000),
            doc="Keep the N most recently pushed tagged artifacts: {rule}.",
        ),
        Field(
            "keepTagPatterns",
            ListOf(String(rule=TAG_GLOB), max_items=MAX_PATTERNS),
            doc="Keep artifacts with a tag matching one of these globs (`v*`, `rc-*`): {rule}.",
        ),
        Field(
            "keepPulledWithinDays",
            Integer(minimum=1, maximum=MAX_DAYS),
            doc="Keep tagged artifacts pulled within this many days: {rule}.",
        ),
        Field(
            "untaggedOlderThanDays",
            Integer(minimum=0, maximum=MAX_DAYS),
            doc="Delete untagged manifests pushed more than this many days ago: {rule}.",
        ),
    ),
)

WOULD_DELETE = ObjectType(
    token="cloudraya:index:RetentionWouldDelete",
    description="What a run of the policy would delete, from a dry run.",
    fields=(
        Field("artifacts", Integer(), doc="Number of artifacts (manifests)."),
        Field("bytes", Integer(), doc="Their size in bytes."),
        Field("tags", ListOf(String()), doc="Their tags, as `<repository>:<tag>`."),
    ),
)

RETENTION_RULES = Field(
    "rules",
    ListOf(Object(RULE), max_items=MAX_RULES),
    required=True,
    always=True,
    doc="The rules, in order: {rule}. Each needs at least one clause.",
    output_doc="The rules, as the service holds them.",
)

SPEC = Spec(
    token="cloudraya:index:RetentionPolicy",
    description=(
        "The retention policy of a registry: ordered rules that decide which artifacts a "
        "cleanup keeps, and when the cleanup runs. Repositories no rule matches are untouched; "
        "immutable tags are never deleted; what a kept artifact needs (the platform images of "
        "an index, the subject of a signature) stays. At `pulumi preview` the number of "
        "artifacts and the tags the policy would delete are shown as a warning on the "
        "resource (the service must be reachable). Deleting the resource removes the policy "
        "and deletes nothing.\n\nImport it by registry name: "
        "`pulumi import cloudraya:index:RetentionPolicy cleanup dev-registry`."
    ),
    fields=(
        registry_reference("whose artifacts the policy cleans up", "Name of the registry."),
        RETENTION_RULES,
        Field(
            "schedule",
            String(choices=SCHEDULES),
            default="daily",
            always=True,
            doc="When the policy runs: {rule} (`manual`: only when run from the API or dashboard).",
            output_doc="When the policy runs.",
        ),
        computed(
            "wouldDelete",
            Object(WOULD_DELETE),
            "What a run would delete, from a dry run at the last create, update or refresh.",
        ),
    ),
)


def to_service(rules: list[Props]) -> list[dict[str, Any]]:
    return [{RULE_KEYS[k]: v for k, v in rule.items() if k in RULE_KEYS} for rule in rules]


def from_service(rules: list[dict[str, Any]]) -> list[Props]:
    return [normalised({k: rule.get(v) for k, v in RULE_KEYS.items()}) for rule in rules]


def normalised(rule: Props) -> Props:
    """A rule without absent clauses and with its default pattern, so that the program's rules
    and the service's compare equal."""
    clean = {k: v for k, v in rule.items() if v is not None and v != []}
    clean.setdefault("repositoryPattern", "*")
    return clean


def would_delete(plan: dict[str, Any]) -> Props:
    return {
        "artifacts": int(plan["artifact_count"]),
        "bytes": int(plan["size_bytes"]),
        "tags": [f"{d['repository']}:{t}" for d in plan["deletions"] for t in d["tags"]],
    }


def describe(registry: str, plan: dict[str, Any]) -> str:
    """The preview's sentence: how many artifacts, which tags, how many bytes."""
    found = would_delete(plan)
    if not found["artifacts"]:
        return f"retention policy of {registry}: {plan['message']}"
    tags = found["tags"]
    shown = ", ".join(tags[:SHOWN_TAGS]) + (
        f" and {len(tags) - SHOWN_TAGS} more" if len(tags) > SHOWN_TAGS else ""
    )
    return (
        f"retention policy of {registry} would delete {found['artifacts']} artifacts "
        f"({found['bytes']} bytes) now; tags: {shown or 'none (untagged manifests only)'}"
    )


class RetentionPolicy(Resource):
    spec = SPEC

    def __init__(self, client: CloudRayaClient) -> None:
        self._client = client

    def check(self, ctx: CheckContext, olds: Props, news: Props) -> CheckResult:
        inputs, failures = self.spec.check(news)
        rules = inputs.get("rules")
        if isinstance(rules, list) and not is_unknown(rules):
            if not rules:
                failures.append(CheckFailure("rules", "rules: give at least one rule"))
            for index, rule in enumerate(rules):
                if isinstance(rule, dict) and not any(
                    rule.get(c) not in (None, []) for c in CLAUSES
                ):
                    failures.append(
                        CheckFailure(
                            "rules",
                            f"rules[{index}]: set at least one of {', '.join(CLAUSES)}",
                        )
                    )
            inputs["rules"] = [normalised(r) if isinstance(r, dict) else r for r in rules]
        return CheckResult(inputs, failures)

    # --- preview: what the policy would delete ----------------------------------------------

    def _preview(self, inputs: Props, op: Operation) -> Props:
        state = {**self.spec.preview_outputs(inputs)}
        registry, rules = inputs.get("registry"), inputs.get("rules")
        if is_unknown(registry) or is_unknown(rules):
            return state
        try:
            plan = self._client.retention_dry_run(registry, to_service(rules))
        except NotFound:
            op.info(
                f"retention policy of {registry}: the registry does not exist yet; nothing "
                "to delete"
            )
            return state
        except ApiError as exc:
            op.warn(
                f"retention policy of {registry}: could not compute what it would delete: {exc}"
            )
            return state
        op.warn(describe(registry, plan))
        return {**state, "wouldDelete": would_delete(plan)}

    def preview_create(self, inputs: Props, op: Operation) -> Props:
        return self._preview(inputs, op)

    def preview_update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        return {**old_state, **self._preview({**news, "registry": id}, op)}

    # --- lifecycle ---------------------------------------------------------------------------

    def _state(self, registry: str, policy: dict[str, Any]) -> Props:
        plan = self._client.retention_dry_run(registry)
        return {
            "registry": registry,
            "rules": from_service(policy["rules"]),
            "schedule": policy["schedule"],
            "wouldDelete": would_delete(plan),
        }

    def _apply(self, registry: str, inputs: Props) -> Props:
        policy = self._client.put_retention_policy(
            registry, to_service(inputs["rules"]), inputs.get("schedule", "daily")
        )
        return self._state(registry, policy)

    def create(self, inputs: Props, op: Operation) -> tuple[str, Props]:
        return inputs["registry"], self._apply(inputs["registry"], inputs)

    def read(self, id: str, state: Props, inputs: Props, op: Operation) -> ReadResult | None:
        try:
            current = self._state(id, self._client.get_retention_policy(id))
        except NotFound:
            return None
        known = {k: current[k] for k in ("registry", "rules", "schedule")}
        return ReadResult(id=id, state=current, inputs=known)

    def update(
        self, id: str, old_state: Props, old_inputs: Props, news: Props, op: Operation
    ) -> Props:
        return self._apply(id, news)

    def delete(self, id: str, state: Props, op: Operation) -> None:
        try:
            self._client.delete_retention_policy(id)
        except NotFound:
            return  # removed elsewhere, or the registry is gone
