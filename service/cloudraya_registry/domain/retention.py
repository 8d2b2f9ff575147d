"""Retention policies: which artifacts of a registry a cleanup keeps, and running it.

A policy is an ordered list of rules plus a schedule (``hourly``, ``daily`` or ``manual``).
Each rule names the repositories it covers (``repository_pattern``, a glob: ``*`` stays within
one path component, ``**`` crosses ``/``) and any of four clauses:

- ``keep_last_pushed``: N: the N most recently pushed tagged artifacts of the repository;
- ``keep_tag_patterns``: tag globs: tagged artifacts with a tag matching one of them;
- ``keep_pulled_within_days``: D: tagged artifacts pulled within the last D days;
- ``untagged_older_than_days``: D: untagged manifests pushed more than D days ago are deleted.

In a repository some rule with a keep clause matches, a tagged artifact is kept when any keep
clause of any matching rule keeps it, and deleted otherwise. Untagged manifests are deleted only
when a matching rule sets ``untagged_older_than_days`` (the largest such value counts) and they
are older than that. Repositories no rule matches are untouched. Whatever a kept artifact
needs stays: the platform manifests of a kept index, the subject of a kept referrer, and the
untagged referrers (signatures, SBOMs) of a kept artifact. Tags that tag immutability holds are
never deleted: their artifact is kept. A dry run (:func:`dry_run`) computes exactly what
:func:`run` deletes and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.locks import LockKey, try_lock
from cloudraya_registry.db.models import (
    Manifest,
    ManifestReference,
    Registry,
    Repository,
    RepositoryBlob,
    RetentionPolicy,
    Tag,
    as_utc,
    utcnow,
)
from cloudraya_registry.domain import audit, globs, purge, registries
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.audit import AuditAction
from cloudraya_registry.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from cloudraya_registry.domain.media_types import artifact_kind

if TYPE_CHECKING:
    from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.retention")

SCHEDULES = ("hourly", "daily", "manual")
SCHEDULE_SECONDS = {"hourly": 3600.0, "daily": 86400.0}
DEFAULT_SCHEDULE = "daily"
MAX_RULES = 20
MAX_KEEP_LAST = 100_000
MAX_DAYS = 3650
SCHEDULE_ACTOR = "retention schedule"


class PolicyNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Rule:
    repository_pattern: str = "*"
    keep_last_pushed: int | None = None
    keep_tag_patterns: tuple[str, ...] = ()
    keep_pulled_within_days: int | None = None
    untagged_older_than_days: int | None = None

    @property
    def judges_tagged(self) -> bool:
        """Whether the rule has a keep clause (only then are tagged artifacts at stake)."""
        return (
            self.keep_last_pushed is not None
            or bool(self.keep_tag_patterns)
            or self.keep_pulled_within_days is not None
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "repository_pattern": self.repository_pattern,
            "keep_last_pushed": self.keep_last_pushed,
            "keep_tag_patterns": list(self.keep_tag_patterns),
            "keep_pulled_within_days": self.keep_pulled_within_days,
            "untagged_older_than_days": self.untagged_older_than_days,
        }


def _whole(value: Any, where: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(
            f"{where}: must be a whole number from {low} to {high} (got {value!r})"
        )
    return value


def parse_rules(raw: list[dict[str, Any]]) -> list[Rule]:
    """Rules from their JSON form, each value checked (the message names the rule's index)."""
    if not isinstance(raw, list) or not raw:
        raise InvalidArgument("rules: give at least one rule")
    if len(raw) > MAX_RULES:
        raise InvalidArgument(f"rules: at most {MAX_RULES} rules (got {len(raw)})")
    rules = []
    for index, item in enumerate(raw):
        where = f"rules[{index}]"
        if not isinstance(item, dict):
            raise InvalidArgument(f"{where}: must be an object")
        pattern = item.get("repository_pattern") or "*"
        if problem := globs.repository_glob_problem(pattern):
            raise InvalidArgument(f"{where}.repository_pattern: {problem}")
        tags = item.get("keep_tag_patterns") or []
        if not isinstance(tags, list) or len(tags) > globs.MAX_PATTERNS:
            raise InvalidArgument(
                f"{where}.keep_tag_patterns: a list of at most {globs.MAX_PATTERNS} tag globs"
            )
        for tag in tags:
            if problem := globs.tag_glob_problem(tag):
                raise InvalidArgument(f"{where}.keep_tag_patterns: {problem}")
        rule = Rule(
            repository_pattern=pattern,
            keep_last_pushed=_whole(
                item.get("keep_last_pushed"), f"{where}.keep_last_pushed", 1, MAX_KEEP_LAST
            ),
            keep_tag_patterns=tuple(tags),
            keep_pulled_within_days=_whole(
                item.get("keep_pulled_within_days"),
                f"{where}.keep_pulled_within_days",
                1,
                MAX_DAYS,
            ),
            untagged_older_than_days=_whole(
                item.get("untagged_older_than_days"),
                f"{where}.untagged_older_than_days",
                0,
                MAX_DAYS,
            ),
        )
        if not rule.judges_tagged and rule.untagged_older_than_days is None:
            raise InvalidArgument(
                f"{where}: set at least one of keep_last_pushed, keep_tag_patterns, "
                "keep_pulled_within_days or untagged_older_than_days"
            )
        rules.append(rule)
    return rules


def check_schedule(schedule: str) -> str:
    if schedule not in SCHEDULES:
        raise InvalidArgument(f"schedule: must be one of {', '.join(SCHEDULES)} (got {schedule!r})")
    return schedule


# -- the plan ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deletion:
    """One manifest a run deletes, with the tags that go with it."""

    repository: str  # path inside the registry
    digest: str
    tags: tuple[str, ...]
    type: str  # image | index | artifact
    size_bytes: int  # its own bytes plus config and layers (an index: just its own)
    reason: str
    manifest_id: int = field(compare=False, repr=False)


@dataclass(frozen=True)
class Plan:
    registry: str
    matched_repositories: tuple[str, ...]
    deletions: tuple[Deletion, ...]
    protected_tags: tuple[str, ...]  # <repository>:<tag> kept only because they are immutable

    @property
    def artifact_count(self) -> int:
        return len(self.deletions)

    @property
    def size_bytes(self) -> int:
        return sum(d.size_bytes for d in self.deletions)

    @property
    def message(self) -> str:
        if not self.matched_repositories:
            return (
                f"the policy matches no repository of registry {self.registry}: nothing would "
                "be deleted"
            )
        if not self.deletions:
            return (
                f"the policy matches {len(self.matched_repositories)} repositories; everything "
                "in them is kept"
            )
        tags = sum(len(d.tags) for d in self.deletions)
        return (
            f"{self.artifact_count} artifacts ({tags} tags, {self.size_bytes} bytes) would be "
            f"deleted from {len({d.repository for d in self.deletions})} of "
            f"{len(self.matched_repositories)} matching repositories"
        )


def _plan_repository(
    session: Session,
    registry: registries.RegistryInfo,
    repository: Repository,
    rules: list[Rule],
    now: dt.datetime,
) -> tuple[list[Deletion], list[str]]:
    manifests = {
        m.id: m
        for m in session.scalars(select(Manifest).where(Manifest.repository_id == repository.id))
    }
    by_digest = {m.digest: m.id for m in manifests.values()}
    tags: dict[int, list[str]] = defaultdict(list)
    for manifest_id, name in session.execute(
        select(Tag.manifest_id, Tag.name)
        .where(Tag.repository_id == repository.id)
        .order_by(Tag.name)
    ):
        tags[manifest_id].append(name)
    children: dict[int, list[int]] = defaultdict(list)
    for parent, digest in session.execute(
        select(ManifestReference.manifest_id, ManifestReference.digest)
        .join(Manifest, Manifest.id == ManifestReference.manifest_id)
        .where(Manifest.repository_id == repository.id, ManifestReference.kind == "manifest")
    ):
        if digest in by_digest:
            children[parent].append(by_digest[digest])
    child_ids = {c for ids in children.values() for c in ids}
    referrers: dict[int, list[int]] = defaultdict(list)
    for m in manifests.values():
        if m.subject_digest in by_digest and m.id not in tags:
            referrers[by_digest[m.subject_digest]].append(m.id)

    kept: set[int] = set()
    protected: list[str] = []
    reasons: dict[int, str] = {}
    judging = [r for r in rules if r.judges_tagged]
    tagged = sorted(
        (m for m in manifests.values() if m.id in tags),
        key=lambda m: (as_utc(m.pushed_at), m.id),
        reverse=True,
    )
    for position, m in enumerate(tagged):
        if not judging or any(_keeps(rule, m, tags[m.id], position, now) for rule in judging):
            kept.add(m.id)
            continue
        immutable = [t for t in tags[m.id] if registry.is_immutable(t)]
        if immutable:
            kept.add(m.id)
            protected += [f"{repository.name}:{t}" for t in immutable]
            continue
        reasons[m.id] = "no rule keeps it"
    untagged_days = [
        r.untagged_older_than_days for r in rules if r.untagged_older_than_days is not None
    ]
    for m in manifests.values():
        if m.id in tags or m.id in child_ids or (m.subject_digest in by_digest):
            continue  # tagged, part of an index, or a referrer: decided with what they belong to
        if not untagged_days or as_utc(m.pushed_at) > now - dt.timedelta(days=max(untagged_days)):
            kept.add(m.id)
        else:
            reasons[m.id] = f"untagged for more than {max(untagged_days)} days"

    # What a kept artifact needs stays: index children, the subject, untagged referrers.
    pending = list(kept)
    while pending:
        current = manifests[pending.pop()]
        needed = [*children.get(current.id, ()), *referrers.get(current.id, ())]
        if current.subject_digest in by_digest:
            needed.append(by_digest[current.subject_digest])
        for other in needed:
            if other not in kept:
                kept.add(other)
                pending.append(other)

    deletions = []
    for m in sorted(manifests.values(), key=lambda m: (as_utc(m.pushed_at), m.id)):
        if m.id in kept:
            continue
        kind = artifact_kind(m.media_type, m.artifact_type)
        reason = reasons.get(m.id) or (
            "part of a deleted index" if m.id in child_ids else "refers to a deleted artifact"
        )
        own = int(m.size or 0) + (0 if kind == "index" else int(m.total_size or 0))
        deletions.append(
            Deletion(repository.name, m.digest, tuple(tags.get(m.id, ())), kind, own, reason, m.id)
        )
    return deletions, protected


def _keeps(
    rule: Rule, manifest: Manifest, tags: list[str], position: int, now: dt.datetime
) -> bool:
    if rule.keep_last_pushed is not None and position < rule.keep_last_pushed:
        return True
    if any(globs.matches_any(rule.keep_tag_patterns, tag) for tag in tags):
        return True
    if rule.keep_pulled_within_days is not None and manifest.last_pulled_at is not None:
        return as_utc(manifest.last_pulled_at) >= now - dt.timedelta(
            days=rule.keep_pulled_within_days
        )
    return False


def plan(
    session: Session, registry: registries.RegistryInfo, rules: list[Rule], now: dt.datetime
) -> Plan:
    """What a run of ``rules`` would delete in ``registry`` right now."""
    matched: list[str] = []
    deletions: list[Deletion] = []
    protected: list[str] = []
    repositories = session.scalars(
        select(Repository).where(Repository.registry_id == registry.id).order_by(Repository.name)
    )
    for repository in repositories:
        matching = [r for r in rules if globs.matches(r.repository_pattern, repository.name)]
        if not matching:
            continue
        matched.append(repository.name)
        found, kept = _plan_repository(session, registry, repository, matching, now)
        deletions += found
        protected += kept
    return Plan(registry.name, tuple(matched), tuple(deletions), tuple(protected))


# -- policies ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    registry: str
    rules: list[Rule]
    schedule: str
    last_run_at: dt.datetime | None
    updated_at: dt.datetime


def _policy(registry: Registry, row: RetentionPolicy) -> Policy:
    return Policy(
        registry=registry.name,
        rules=parse_rules(row.rules),
        schedule=row.schedule,
        last_run_at=as_utc(row.last_run_at) if row.last_run_at else None,
        updated_at=as_utc(row.updated_at),
    )


def _missing(name: str) -> PolicyNotFound:
    return PolicyNotFound(f"registry {name!r} has no retention policy")


def get(state: ServiceState, actor: Actor, name: str) -> Policy:
    with state.db.read() as session:
        registry = registries.load(session, actor, name)
        row = session.get(RetentionPolicy, registry.id)
        if row is None:
            raise _missing(name)
        return _policy(registry, row)


def put(state: ServiceState, actor: Actor, name: str, rules: list[Rule], schedule: str) -> Policy:
    """Set (or replace) the registry's policy; the next scheduled run uses it."""
    check_schedule(schedule)
    with (
        audit.refusals_recorded(state, actor, AuditAction.RETENTION_POLICY_SET, name),
        state.db.write() as session,
    ):
        registry = registries.load(session, actor, name, lock=True)
        row = session.get(RetentionPolicy, registry.id)
        now = utcnow()
        stored = [rule.to_json() for rule in rules]
        if row is None:
            row = RetentionPolicy(
                registry_id=registry.id, rules=stored, schedule=schedule, created_at=now
            )
            session.add(row)
        else:
            row.rules, row.schedule = stored, schedule
        row.updated_at = now
        audit.record_change(
            session,
            actor,
            AuditAction.RETENTION_POLICY_SET,
            name,
            details={"rules": stored, "schedule": schedule},
        )
        session.flush()
        return _policy(registry, row)


def remove(state: ServiceState, actor: Actor, name: str) -> None:
    with state.db.write() as session:
        registry = registries.load(session, actor, name, lock=True)
        row = session.get(RetentionPolicy, registry.id)
        if row is None:
            raise _missing(name)
        session.delete(row)
        audit.record_change(session, actor, AuditAction.RETENTION_POLICY_DELETE, name)


def dry_run(state: ServiceState, actor: Actor, name: str, rules: list[Rule] | None) -> Plan:
    """What a run would delete now: of ``rules``, or of the stored policy when None."""
    state.pull_counts.flush(state)  # this process's latest pulls count as pulls
    with state.db.read() as session:
        registry = registries.load(session, actor, name)
        if rules is None:
            row = session.get(RetentionPolicy, registry.id)
            if row is None:
                raise _missing(name)
            rules = parse_rules(row.rules)
        info = registries.load_info(session, name)
        assert info is not None
        return plan(session, info, rules, utcnow())


# -- runs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunResult:
    plan: Plan
    blobs_removed: int


def run(state: ServiceState, actor: Actor, name: str) -> RunResult:
    """Run the registry's policy now (the dashboard's and the API's "run now")."""
    with state.db.read() as session:
        registry = registries.load(session, actor, name)
        if session.get(RetentionPolicy, registry.id) is None:
            raise _missing(name)
    result = _run(state, name, actor.name, actor.source_ip, "manual")
    if result is None:
        raise FailedPrecondition(
            f"a retention run of registry {name!r} is in progress already; try again shortly"
        )
    return result


def run_due(state: ServiceState, now: dt.datetime | None = None) -> list[str]:
    """Run every scheduled policy whose interval has passed; returns the registries run.

    Any replica may call this: a registry's run holds a database lock, so another replica
    skips that registry instead of running it twice.
    """
    now = now or utcnow()
    with state.db.read() as session:
        rows = session.execute(
            select(Registry.name, RetentionPolicy.schedule, RetentionPolicy.last_run_at).join(
                RetentionPolicy, RetentionPolicy.registry_id == Registry.id
            )
        ).all()
    done = []
    for name, schedule, last_run_at in rows:
        interval = SCHEDULE_SECONDS.get(schedule)
        if interval is None:
            continue
        if last_run_at is not None and as_utc(last_run_at) > now - dt.timedelta(seconds=interval):
            continue
        try:
            if _run(state, name, SCHEDULE_ACTOR, None, "schedule") is not None:
                done.append(name)
        except Exception:
            log.exception("scheduled retention run failed", extra={"registry": name})
    return done


def _run(
    state: ServiceState, name: str, actor: str, source_ip: str | None, trigger: str
) -> RunResult | None:
    with try_lock(state.db, LockKey.RETENTION, name) as mine:
        if not mine:
            return None
        state.pull_counts.flush(state)
        with state.db.write() as session:
            registry = session.scalar(
                select(Registry).where(Registry.name == name).with_for_update()
            )
            if registry is None:
                return RunResult(Plan(name, (), (), ()), 0)
            row = session.get(RetentionPolicy, registry.id)
            if row is None:
                return RunResult(Plan(name, (), (), ()), 0)
            info = registries.load_info(session, name)
            assert info is not None
            started = utcnow()
            result = plan(session, info, parse_rules(row.rules), started)
            digests = _delete(session, info, result, started)
            for deletion in result.deletions:
                audit.record(
                    session,
                    action=AuditAction.RETENTION_DELETE,
                    actor=actor,
                    project_id=registry.project_id,
                    registry_name=name,
                    target=f"{name}/{deletion.repository}@{deletion.digest}",
                    source_ip=source_ip,
                    details={
                        "tags": list(deletion.tags),
                        "size_bytes": deletion.size_bytes,
                        "reason": deletion.reason,
                        "trigger": trigger,
                    },
                )
            row.last_run_at = started
    removed = purge.remove_unreferenced(state, digests) if digests else 0
    if result.deletions:
        state.collect_garbage_soon(f"retention run of {name}")
        log.info(
            "retention run deleted %d artifacts",
            result.artifact_count,
            extra={"registry": name, "trigger": trigger},
        )
    return RunResult(result, removed)


def _delete(
    session: Session, registry: registries.RegistryInfo, result: Plan, started: dt.datetime
) -> set[str]:
    """Delete the plan's manifests and the repository links only they used; returns the
    digests that may now be unreferenced (removed at once by the caller)."""
    by_repository: dict[str, list[Deletion]] = defaultdict(list)
    for deletion in result.deletions:
        by_repository[deletion.repository].append(deletion)
    candidates: set[str] = set()
    for path, deletions in by_repository.items():
        repository_id = session.scalar(
            select(Repository.id).where(
                Repository.registry_id == registry.id, Repository.name == path
            )
        )
        ids = [d.manifest_id for d in deletions]
        used = set(
            session.scalars(
                select(ManifestReference.digest).where(ManifestReference.manifest_id.in_(ids))
            )
        ) | {d.digest for d in deletions}
        session.execute(delete(Tag).where(Tag.manifest_id.in_(ids)))
        session.execute(delete(ManifestReference).where(ManifestReference.manifest_id.in_(ids)))
        session.execute(delete(Manifest).where(Manifest.id.in_(ids)))
        still_used = set(
            session.scalars(
                select(ManifestReference.digest)
                .join(Manifest, Manifest.id == ManifestReference.manifest_id)
                .where(Manifest.repository_id == repository_id)
            )
        ) | set(
            session.scalars(select(Manifest.digest).where(Manifest.repository_id == repository_id))
        )
        unused = sorted(used - still_used)
        # Links made since the run started belong to a push in progress: they stay.
        session.execute(
            delete(RepositoryBlob).where(
                RepositoryBlob.repository_id == repository_id,
                RepositoryBlob.digest.in_(unused),
                RepositoryBlob.created_at < started,
            )
        )
        candidates |= set(unused)
    return candidates
