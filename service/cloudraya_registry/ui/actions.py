"""What the dashboard asks of the registry: each call goes to the domain layer the JSON API
uses too, so every rule (grow-only storage, typed-name deletion, immutability ...) is enforced,
audited and worded in exactly one place. Results come back as the API's own views, which the
templates render.
"""

from __future__ import annotations

from cloudraya_registry.controlplane.audit_log import AuditEventView, audit_event_list
from cloudraya_registry.controlplane.views import (
    ArtifactView,
    RegistryView,
    RepositorySummary,
    SettingsView,
    artifact_view,
    registry_view,
    repository_view,
    settings_view,
)
from cloudraya_registry.domain import (
    artifacts,
    audit,
    credentials,
    push_commands,
    registries,
    repositories,
    retention,
    scoped_credentials,
)
from cloudraya_registry.domain.actors import Actor
from cloudraya_registry.domain.credentials import NewCredential
from cloudraya_registry.scanning import reports
from cloudraya_registry.scanning.severity import LEVELS
from cloudraya_registry.state import ServiceState


def list_registries(state: ServiceState, actor: Actor) -> list[RegistryView]:
    return [registry_view(state, d) for d in registries.list_all(state, actor)]


def get_registry(state: ServiceState, actor: Actor, name: str) -> RegistryView:
    return registry_view(state, registries.get(state, actor, name))


def recent_activity(
    state: ServiceState, actor: Actor, name: str, limit: int = 8
) -> list[AuditEventView]:
    return audit_event_list(*audit.read_log(state, actor, name, limit, None)).events


def list_repositories(state: ServiceState, actor: Actor, name: str) -> list[RepositorySummary]:
    return [repository_view(r) for r in repositories.summaries(state, actor, name)]


def list_artifacts(
    state: ServiceState, actor: Actor, name: str, repository: str
) -> list[ArtifactView]:
    found = artifacts.list_for_repository(state, actor, name, repository)
    return [artifact_view(a) for a in found]


def severity_levels() -> tuple[str, ...]:
    """Severities, most severe first."""
    return tuple(LEVELS)


def vulnerability_report(
    state: ServiceState, actor: Actor, name: str, repository: str, reference: str
) -> reports.VulnerabilityReport:
    return reports.vulnerability_report(state, actor, name, repository, reference)


def request_scan(
    state: ServiceState, actor: Actor, name: str, repository: str, reference: str
) -> reports.ScanReport:
    return reports.request_scan(state, actor, name, repository, reference)


def update_settings(
    state: ServiceState,
    actor: Actor,
    name: str,
    tag_immutability: bool,
    scan_on_push: bool,
    tag_immutability_exclusions: list[str],
) -> SettingsView:
    registry = registries.update_settings(
        state,
        actor,
        name,
        tag_immutability=tag_immutability,
        scan_on_push=scan_on_push,
        tag_immutability_exclusions=tag_immutability_exclusions,
    )
    return settings_view(registry)


def resize_storage(state: ServiceState, actor: Actor, name: str, raw_gb: str) -> RegistryView:
    storage_gb = registries.parse_storage_gb(raw_gb)
    return registry_view(state, registries.resize_storage(state, actor, name, storage_gb))


def reset_password(state: ServiceState, actor: Actor, name: str) -> NewCredential:
    """A generated password (the documented reset); shown once by the caller's page."""
    return credentials.reset_password(state, actor, name)


def push_commands_for(
    state: ServiceState, actor: Actor, name: str, repository: str, tag: str
) -> push_commands.PushCommands:
    return push_commands.for_registry(state, actor, name, repository, tag)


def delete_repository(state: ServiceState, actor: Actor, name: str, repository: str) -> None:
    repositories.delete(state, actor, name, repository)


def delete_registry(state: ServiceState, actor: Actor, name: str, confirm: str) -> None:
    registries.delete(state, actor, name, confirm)


# -- retention -------------------------------------------------------------------------------
def find_retention_policy(state: ServiceState, actor: Actor, name: str) -> retention.Policy | None:
    try:
        return retention.get(state, actor, name)
    except retention.PolicyNotFound:
        return None


def parse_retention_rules(raw: list[dict]) -> list[retention.Rule]:
    return retention.parse_rules(raw)


def retention_dry_run(
    state: ServiceState, actor: Actor, name: str, rules: list[retention.Rule] | None
) -> retention.Plan:
    return retention.dry_run(state, actor, name, rules)


def set_retention_policy(
    state: ServiceState, actor: Actor, name: str, rules: list[retention.Rule], schedule: str
) -> retention.Policy:
    return retention.put(state, actor, name, rules, schedule)


def run_retention(state: ServiceState, actor: Actor, name: str) -> retention.RunResult:
    return retention.run(state, actor, name)


def remove_retention_policy(state: ServiceState, actor: Actor, name: str) -> None:
    retention.remove(state, actor, name)


# -- scoped credentials ----------------------------------------------------------------------
def list_scoped_credentials(
    state: ServiceState, actor: Actor, name: str
) -> list[scoped_credentials.CredentialDetails]:
    return scoped_credentials.list_all(state, actor, name)


def create_scoped_credential(
    state: ServiceState,
    actor: Actor,
    name: str,
    credential: str,
    access: str,
    repositories: list[str] | None,
    expires_at,
) -> scoped_credentials.IssuedCredential:
    return scoped_credentials.create(
        state, actor, name, credential, access, repositories, expires_at
    )


def revoke_scoped_credential(state: ServiceState, actor: Actor, name: str, credential: str) -> None:
    scoped_credentials.revoke(state, actor, name, credential)
