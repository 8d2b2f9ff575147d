"""Retention policies: set, read, remove, dry-run and run a registry's cleanup rules.

The semantics (what a rule keeps, what a run deletes) are the domain's: see
:mod:`cloudraya_registry.domain.retention`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Response
from pydantic import Field

from cloudraya_registry.controlplane.deps import CallerDep, StateDep
from cloudraya_registry.controlplane.views import Strict, Timestamp
from cloudraya_registry.domain import retention
from cloudraya_registry.domain.globs import REPOSITORY_GLOB_RULE, TAG_GLOB_RULE
from cloudraya_registry.errors import error_responses

router = APIRouter(tags=["retention"])


class RuleModel(Strict):
    repository_pattern: str = Field(
        default="*",
        description=f"Repositories the rule covers: a glob of {REPOSITORY_GLOB_RULE}.",
    )
    keep_last_pushed: int | None = Field(
        default=None, strict=True, description="Keep the N most recently pushed tagged artifacts."
    )
    keep_tag_patterns: list[str] = Field(
        default_factory=list, description=f"Keep artifacts with a tag matching: {TAG_GLOB_RULE}."
    )
    keep_pulled_within_days: int | None = Field(
        default=None, strict=True, description="Keep tagged artifacts pulled within N days."
    )
    untagged_older_than_days: int | None = Field(
        default=None, strict=True, description="Delete untagged manifests older than N days."
    )


Schedule = Literal["hourly", "daily", "manual"]


class PolicyRequest(Strict):
    rules: list[RuleModel] = Field(description="Ordered rules; at least one.")
    schedule: Schedule = Field(default=retention.DEFAULT_SCHEDULE)


class PolicyView(Strict):
    registry: str
    rules: list[RuleModel]
    schedule: Schedule
    last_run_at: Timestamp | None
    updated_at: Timestamp


class DryRunRequest(Strict):
    rules: list[RuleModel] | None = Field(
        default=None, description="Rules to try; the registry's stored policy when absent."
    )


class DeletionView(Strict):
    repository: str = Field(description="Path inside the registry.")
    digest: str
    tags: list[str]
    type: Literal["image", "index", "artifact"]
    size_bytes: int
    reason: str


class PlanView(Strict):
    registry: str
    artifact_count: int = Field(description="Manifests a run deletes.")
    size_bytes: int
    matched_repositories: list[str]
    protected_tags: list[str] = Field(
        description="`<repository>:<tag>` kept only because tag immutability holds them."
    )
    message: str = Field(description="One sentence: what the policy would do.")
    deletions: list[DeletionView]


class RunView(PlanView):
    blobs_removed: int = Field(description="Blobs removed from storage right away.")


def _rules(models: list[RuleModel]) -> list[retention.Rule]:
    return retention.parse_rules([m.model_dump() for m in models])


def _policy_view(policy: retention.Policy) -> PolicyView:
    return PolicyView(
        registry=policy.registry,
        rules=[RuleModel(**rule.to_json()) for rule in policy.rules],
        schedule=policy.schedule,  # type: ignore[arg-type]
        last_run_at=policy.last_run_at,
        updated_at=policy.updated_at,
    )


def plan_view(plan: retention.Plan) -> PlanView:
    return PlanView(
        registry=plan.registry,
        artifact_count=plan.artifact_count,
        size_bytes=plan.size_bytes,
        matched_repositories=list(plan.matched_repositories),
        protected_tags=list(plan.protected_tags),
        message=plan.message,
        deletions=[
            DeletionView(
                repository=d.repository,
                digest=d.digest,
                tags=list(d.tags),
                type=d.type,  # type: ignore[arg-type]
                size_bytes=d.size_bytes,
                reason=d.reason,
            )
            for d in plan.deletions
        ],
    )


@router.get(
    "/registries/{name}/retention-policy",
    response_model=PolicyView,
    responses=error_responses(401, 404),
    summary="Read a registry's retention policy",
)
def get_policy(name: str, state: StateDep, caller: CallerDep) -> PolicyView:
    return _policy_view(retention.get(state, caller, name))


@router.put(
    "/registries/{name}/retention-policy",
    response_model=PolicyView,
    responses=error_responses(400, 401, 404),
    summary="Set a registry's retention policy",
    description="Replaces the policy. Nothing is deleted until it runs (on its schedule or "
    "with `POST .../retention-policy/run`); `POST .../dry-run` shows what a run deletes.",
)
def put_policy(name: str, body: PolicyRequest, state: StateDep, caller: CallerDep) -> PolicyView:
    policy = retention.put(state, caller, name, _rules(body.rules), body.schedule)
    return _policy_view(policy)


@router.delete(
    "/registries/{name}/retention-policy",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Removed."}, **error_responses(401, 404)},
    summary="Remove a registry's retention policy",
)
def delete_policy(name: str, state: StateDep, caller: CallerDep) -> Response:
    retention.remove(state, caller, name)
    return Response(status_code=204)


@router.post(
    "/registries/{name}/retention-policy/dry-run",
    response_model=PlanView,
    responses=error_responses(400, 401, 404),
    summary="Show what a retention run would delete",
    description="Exactly what a run would delete now (repository, tags, digest, bytes), of "
    "the given rules or of the stored policy. Changes nothing.",
)
def dry_run(
    name: str,
    state: StateDep,
    caller: CallerDep,
    body: Annotated[DryRunRequest | None, Body()] = None,
) -> PlanView:
    rules = _rules(body.rules) if body is not None and body.rules is not None else None
    return plan_view(retention.dry_run(state, caller, name, rules))


@router.post(
    "/registries/{name}/retention-policy/run",
    response_model=RunView,
    responses=error_responses(401, 404, 409),
    summary="Run a registry's retention policy now",
    description="Deletes what the dry run lists, records each deleted artifact in the audit "
    "log and removes blobs nothing references any more, so `used_bytes` drops. 409 while "
    "another run of the same registry is in progress.",
)
def run_policy(name: str, state: StateDep, caller: CallerDep) -> RunView:
    result = retention.run(state, caller, name)
    return RunView(**plan_view(result.plan).model_dump(), blobs_removed=result.blobs_removed)
