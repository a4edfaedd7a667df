"""A one-row table that /healthz writes to, so a database that cannot be written fails it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    health = op.create_table(
        "bot_health",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("checked_at", sa.Float, nullable=False),
    )
    op.bulk_insert(health, [{"id": 1, "checked_at": 0.0}])


def downgrade() -> None:
    op.drop_table("bot_health")
