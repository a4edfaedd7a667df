"""Remember a Slack post that may have landed although Slack never answered (the root, or a
report part), so the next attempt looks for it before posting again.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        batch.add_column(sa.Column("root_unsure_at", sa.Float))
        batch.add_column(sa.Column("part_unsure_at", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        batch.drop_column("part_unsure_at")
        batch.drop_column("root_unsure_at")
