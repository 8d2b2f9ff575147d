"""scanner tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vulndb_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("records_read", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("advisory_count", sa.Integer(), nullable=False),
        sa.Column("ecosystems", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("modified", sa.String(length=64), nullable=True),
        sa.Column("published", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("cvss_vector", sa.String(length=255), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["vulndb_imports.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "advisory_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=128), nullable=False),
        sa.Column("ecosystem", sa.String(length=128), nullable=False),
        sa.Column("ecosystem_base", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["advisory_id"], ["advisories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_advisory_packages_advisory_id"),
        "advisory_packages",
        ["advisory_id"],
        unique=False,
    )
    op.create_index(
        "ix_advisory_packages_lookup",
        "advisory_packages",
        ["ecosystem_base", "name_key"],
        unique=False,
    )
    op.create_table(
        "scan_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("advisory_id", sa.String(length=128), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("ecosystem", sa.String(length=128), nullable=False),
        sa.Column("package_name", sa.String(length=512), nullable=False),
        sa.Column("source_name", sa.String(length=512), nullable=True),
        sa.Column("installed_version", sa.String(length=255), nullable=False),
        sa.Column("fixed_version", sa.String(length=255), nullable=True),
        sa.Column("package_path", sa.Text(), nullable=False),
        sa.Column("layer_digest", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["manifest_id"], ["manifests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_scan_findings_manifest_id"), "scan_findings", ["manifest_id"], unique=False
    )
    op.create_table(
        "scan_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("ecosystem", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("source_name", sa.String(length=512), nullable=True),
        sa.Column("source_version", sa.String(length=255), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("layer_digest", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["manifest_id"], ["manifests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_scan_packages_manifest_id"), "scan_packages", ["manifest_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scan_packages_manifest_id"), table_name="scan_packages")

    op.drop_table("scan_packages")
    op.drop_index(op.f("ix_scan_findings_manifest_id"), table_name="scan_findings")

    op.drop_table("scan_findings")
    op.drop_index("ix_advisory_packages_lookup", table_name="advisory_packages")
    op.drop_index(op.f("ix_advisory_packages_advisory_id"), table_name="advisory_packages")

    op.drop_table("advisory_packages")
    op.drop_table("advisories")
    op.drop_table("vulndb_imports")
