"""The objects the JSON API returns (and the dashboard renders), built from domain data, and
the time format of the API (RFC 3339, UTC)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cloudraya_registry.db.models import Registry, as_utc
from cloudraya_registry.domain.artifacts import ArtifactDetails
from cloudraya_registry.domain.registries import RegistryDetails
from cloudraya_registry.domain.repositories import RepositorySummary as RepositoryRow
from cloudraya_registry.domain.scan_states import ScanStatusName
from cloudraya_registry.state import ServiceState

Timestamp = Annotated[dt.datetime, AfterValidator(as_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorageView(Strict):
    used_bytes: int = Field(description="Bytes of distinct blobs referenced in the registry.")
    total_gb: int = Field(description="Allocated storage in GB (grow-only, steps of 10).")


class SettingsView(Strict):
    tag_immutability: bool = Field(description="Pushing an existing tag again is refused.")
    scan_on_push: bool = Field(description="Every pushed image is queued for a scan.")
    tag_immutability_exclusions: list[str] = Field(
        description="Tag globs that stay mutable while tag immutability is on."
    )


class RegistryView(Strict):
    name: str
    endpoint: str = Field(description="`<host>/<name>`: the prefix of every image reference.")
    username: str = Field(description="The registry's user name (equal to its name).")
    storage: StorageView
    settings: SettingsView
    repository_count: int
    password_updated_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp


class RepositorySummary(Strict):
    name: str = Field(description="Path inside the registry, e.g. `my-app` or `team/api`.")
    artifact_count: int = Field(
        description="Top-level artifacts: tagged manifests and untagged ones no index holds."
    )
    pull_count: int
    updated_at: Timestamp


class ScanView(Strict):
    status: ScanStatusName
    reason: str | None
    summary: dict[str, Any] | None


class ArtifactView(Strict):
    digest: str
    media_type: str
    type: Literal["image", "index", "artifact"]
    artifact_type: str | None
    tags: list[str]
    size_bytes: int = Field(description="Config plus layers; for an index the sum over it.")
    pushed_at: Timestamp
    last_pulled_at: Timestamp | None
    pull_count: int
    scan: ScanView


def settings_view(registry: Registry) -> SettingsView:
    return SettingsView(
        tag_immutability=registry.tag_immutability,
        scan_on_push=registry.scan_on_push,
        tag_immutability_exclusions=list(registry.tag_immutability_exclusions or []),
    )


def registry_view(state: ServiceState, details: RegistryDetails) -> RegistryView:
    registry = details.registry
    return RegistryView(
        name=registry.name,
        endpoint=state.endpoint_of(registry.name),
        username=registry.name,
        storage=StorageView(used_bytes=details.used_bytes, total_gb=registry.storage_gb),
        settings=settings_view(registry),
        repository_count=details.repository_count,
        password_updated_at=registry.password_updated_at,
        created_at=registry.created_at,
        updated_at=registry.updated_at,
    )


def repository_view(row: RepositoryRow) -> RepositorySummary:
    return RepositorySummary.model_validate(row, from_attributes=True)


def artifact_view(artifact: ArtifactDetails) -> ArtifactView:
    return ArtifactView.model_validate(artifact, from_attributes=True)
