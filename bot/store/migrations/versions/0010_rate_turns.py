"""Turns for paced calls, shared by every replica: when the next stop call may go out, so that
the whole bot stays within Huawei's per-minute limit (bot/store/pacing.py).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    turns = op.create_table(
        "rate_turns",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),
    )
    op.bulk_insert(turns, [{"name": "stop", "next_at": 0.0}])


def downgrade() -> None:
    op.drop_table("rate_turns")
