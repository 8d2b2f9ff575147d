"""Tables of the scanner, on the service's declarative ``Base``.

The advisory database (``vulndb_imports``, ``advisories``, ``advisory_packages``) is global;
scan results (``scan_packages``, ``scan_findings``) belong to a manifest and disappear with it
(ON DELETE CASCADE), so deleting a repository or registry removes its scan data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloudraya_registry.db.models import Base, utcnow


class VulnDbImport(Base):
    """One run of ``vulndb import``; its id is the advisory database's version number."""

    __tablename__ = "vulndb_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(1024))
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    # totals of the whole database after this import
    advisory_count: Mapped[int] = mapped_column(Integer, default=0)
    ecosystems: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Advisory(Base):
    __tablename__ = "advisories"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    published: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    aliases: Mapped[list | None] = mapped_column(JSON, nullable=True)
    severity: Mapped[str] = mapped_column(String(16), default="Unknown")
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    cvss_vector: Mapped[str | None] = mapped_column(String(255), nullable=True)
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("vulndb_imports.id", ondelete="SET NULL"), nullable=True
    )


class AdvisoryPackage(Base):
    """One ``affected`` entry: a package in an ecosystem with its ranges and versions."""

    __tablename__ = "advisory_packages"
    __table_args__ = (Index("ix_advisory_packages_lookup", "ecosystem_base", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(128))  # as written, e.g. "Debian:12"
    ecosystem_base: Mapped[str] = mapped_column(String(64))  # "Debian"
    name: Mapped[str] = mapped_column(String(512))
    name_key: Mapped[str] = mapped_column(String(512))  # normalised for lookup
    ranges: Mapped[list | None] = mapped_column(JSON, nullable=True)
    versions: Mapped[list | None] = mapped_column(JSON, nullable=True)
    severity: Mapped[str] = mapped_column(String(16), default="Unknown")
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)


class ScanPackage(Base):
    """An installed package found by the last scan of a manifest (the SBOM-like inventory)."""

    __tablename__ = "scan_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(
        ForeignKey("manifests.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ecosystem: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(512))
    version: Mapped[str] = mapped_column(String(255))
    source_name: Mapped[str | None] = mapped_column(String(512), nullable=True)
    source_version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    path: Mapped[str] = mapped_column(Text, default="")
    layer_digest: Mapped[str] = mapped_column(String(200), default="")


class ScanFinding(Base):
    """An advisory that affects an installed package, as of the last scan of a manifest."""

    __tablename__ = "scan_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(
        ForeignKey("manifests.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str | None] = mapped_column(String(64), nullable=True)
    advisory_id: Mapped[str] = mapped_column(String(128))
    aliases: Mapped[list | None] = mapped_column(JSON, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    severity: Mapped[str] = mapped_column(String(16))
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    ecosystem: Mapped[str] = mapped_column(String(128))
    package_name: Mapped[str] = mapped_column(String(512))
    source_name: Mapped[str | None] = mapped_column(String(512), nullable=True)
    installed_version: Mapped[str] = mapped_column(String(255))
    fixed_version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    package_path: Mapped[str] = mapped_column(Text, default="")
    layer_digest: Mapped[str] = mapped_column(String(200), default="")
