"""The registry object every read returns, and the time format of the API (RFC 3339, UTC)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import Registry, Repository
from cloudraya_registry.state import ServiceState
from cloudraya_registry.usage import used_bytes


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


Timestamp = Annotated[dt.datetime, AfterValidator(as_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorageView(Strict):
    used_bytes: int = Field(description="Bytes of distinct blobs referenced in the registry.")
    total_gb: int = Field(description="Allocated storage in GB (grow-only, steps of 10).")


class SettingsView(Strict):
    tag_immutability: bool = Field(description="Pushing an existing tag again is refused.")
    scan_on_push: bool = Field(description="Every pushed image is queued for a scan.")


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


def settings_view(registry: Registry) -> SettingsView:
    return SettingsView(
        tag_immutability=registry.tag_immutability, scan_on_push=registry.scan_on_push
    )


def registry_view(session: Session, state: ServiceState, registry: Registry) -> RegistryView:
    repository_count = session.scalar(
        select(func.count()).select_from(Repository).where(Repository.registry_id == registry.id)
    )
    return RegistryView(
        name=registry.name,
        endpoint=state.endpoint_of(registry.name),
        username=registry.name,
        storage=StorageView(
            used_bytes=used_bytes(session, registry.id), total_gb=registry.storage_gb
        ),
        settings=settings_view(registry),
        repository_count=int(repository_count or 0),
        password_updated_at=registry.password_updated_at,
        created_at=registry.created_at,
        updated_at=registry.updated_at,
    )
