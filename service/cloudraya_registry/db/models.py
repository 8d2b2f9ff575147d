"""Metadata model of the registry service (SQLAlchemy 2, same code on SQLite and PostgreSQL).

Blob bytes live in the blob store (see ``storage``); these tables say which registry and
repository reference which content, so quota, deletion and garbage collection can be decided
from metadata alone.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cloudraya_registry.domain.scan_states import ScanStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {dt.datetime: DateTime(timezone=True)}


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """Control-plane token. Only a SHA-256 of the high-entropy token value is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)  # null: never


class Registry(Base):
    """A registry: the namespace of its repositories and the owner of one credential.

    Rows that belong to a registry are removed by ON DELETE CASCADE (SQLite enforces foreign
    keys because the engine turns them on for every connection).

    ``credential_version`` increases on every password reset; data-plane bearer tokens carry
    the version they were issued under, so a reset invalidates them at once. They also carry
    ``epoch``, random per registry instance: a registry deleted and created again under the
    same name (SQLite may even reuse its id) is a new instance, and old tokens do not work.
    """

    __tablename__ = "registries"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(63), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    epoch: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    password_updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    storage_gb: Mapped[int] = mapped_column(Integer, default=10)
    tag_immutability: Mapped[bool] = mapped_column(Boolean, default=False)
    scan_on_push: Mapped[bool] = mapped_column(Boolean, default=False)
    # tag globs that stay mutable while tag_immutability is on (null: none)
    tag_immutability_exclusions: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Repository(Base):
    """``name`` is the path inside the registry (``my-app``, ``team/api``)."""

    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("registry_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Blob(Base):
    """Content known to the blob store (layers, configs and manifest bytes alike)."""

    __tablename__ = "blobs"

    digest: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RepositoryBlob(Base):
    """A blob is visible in a repository once uploaded, mounted or referenced there."""

    __tablename__ = "repository_blobs"

    repository_id: Mapped[int] = mapped_column(
        ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(ForeignKey("blobs.digest"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Manifest(Base):
    """A manifest (image, index or other artifact) stored in a repository."""

    __tablename__ = "manifests"
    __table_args__ = (UniqueConstraint("repository_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(ForeignKey("blobs.digest"))
    media_type: Mapped[str] = mapped_column(String(255))
    artifact_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subject_digest: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # config + layers for an image; the sum over children for an index
    total_size: Mapped[int] = mapped_column(BigInteger, default=0)
    # descriptor fields kept for the referrers API
    annotations: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    pushed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_pulled_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    pull_count: Mapped[int] = mapped_column(BigInteger, default=0)
    scan_status: Mapped[ScanStatus] = mapped_column(
        Enum(
            ScanStatus,
            native_enum=False,
            length=20,
            values_callable=lambda members: [m.value for m in members],
        ),
        default=ScanStatus.NOT_SCANNED,
    )
    scan_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    scan_summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    scanned_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class ManifestReference(Base):
    """What a manifest points at: its config, layers, or child manifests (for an index)."""

    __tablename__ = "manifest_references"

    manifest_id: Mapped[int] = mapped_column(
        ForeignKey("manifests.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "config" | "layer" | "manifest"


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("repository_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Upload(Base):
    """An upload session; its bytes live in the blob store's upload area until committed."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Who did what, when, from where. Keeps the registry name: it outlives the registry."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    registry_name: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    time: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(512), nullable=True)
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # "success" | "failure"
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # attempts this row stands for (repeated failed logins are counted, not recorded each)
    count: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class ServiceSecret(Base):
    """A secret every replica must share (the data-plane token signing key), created once."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """A failed password login under one throttle key (an address, an address and username,
    or a registry), so every replica counts the same failures."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UiSession(Base):
    """A signed-in dashboard session. Keyed by the SHA-256 of its id (the cookie holds the id);
    it keeps the SHA-256 of the API token, never the token."""

    __tablename__ = "ui_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    flash: Mapped[list | None] = mapped_column(JSON, nullable=True)


class RetentionPolicy(Base):
    """A registry's retention policy: ordered rules (see ``domain.retention``) and a schedule."""

    __tablename__ = "retention_policies"

    registry_id: Mapped[int] = mapped_column(
        ForeignKey("registries.id", ondelete="CASCADE"), primary_key=True
    )
    rules: Mapped[list] = mapped_column(JSON)
    schedule: Mapped[str] = mapped_column(String(16))  # "hourly" | "daily" | "manual"
    last_run_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RegistryCredential(Base):
    """A scoped credential of a registry (username ``<registry>+<name>``).

    Only a hash of its password is kept. ``version`` increases on every rotation; bearer tokens
    carry the credential's id and version, so a rotation or a revocation (the row is deleted)
    stops them at once.
    """

    __tablename__ = "registry_credentials"
    __table_args__ = (UniqueConstraint("registry_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    access: Mapped[str] = mapped_column(String(8))  # "pull" | "push"
    repositories: Mapped[list | None] = mapped_column(JSON, nullable=True)  # globs; null: all
    password_hash: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
