"""hardening: registry epochs, API token expiry, counted audit rows

Revision ID: 0003_hardening
Revises: 0002
Create Date: 2026-11-29

- ``registries.epoch``: a random value per registry instance, carried by data-plane bearer
  tokens, so a token of a deleted registry never works for a new one of the same name (a row
  id can be reused by SQLite). Existing registries get a fresh random epoch.
- ``api_tokens.expires_at``: when a control-plane token stops working (null: never).
- ``audit_events.count``: how many attempts one row stands for (failed logins are counted
  per source and registry, not recorded one row each).
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_hardening"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registries") as batch:
        batch.add_column(sa.Column("epoch", sa.String(length=32), nullable=True))
    registries = sa.table("registries", sa.column("id", sa.Integer), sa.column("epoch", sa.String))
    connection = op.get_bind()
    for (registry_id,) in connection.execute(sa.select(registries.c.id)).all():
        connection.execute(
            registries.update()
            .where(registries.c.id == registry_id)
            .values(epoch=secrets.token_hex(16))
        )
    with op.batch_alter_table("registries") as batch:
        batch.alter_column("epoch", existing_type=sa.String(length=32), nullable=False)

    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(
            sa.Column("count", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("count")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("registries") as batch:
        batch.drop_column("epoch")
