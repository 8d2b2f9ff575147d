"""lifecycle: retention policies, scoped credentials, tag immutability exclusions

Revision ID: 0006_lifecycle
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_lifecycle"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registries") as batch:
        batch.add_column(sa.Column("tag_immutability_exclusions", sa.JSON(), nullable=True))
    op.create_table(
        "retention_policies",
        sa.Column("registry_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.String(length=16), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["registry_id"], ["registries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("registry_id"),
    )
    op.create_table(
        "registry_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("access", sa.String(length=8), nullable=False),
        sa.Column("repositories", sa.JSON(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["registry_id"], ["registries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registry_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("registry_credentials")
    op.drop_table("retention_policies")
    with op.batch_alter_table("registries") as batch:
        batch.drop_column("tag_immutability_exclusions")
