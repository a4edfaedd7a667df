"""Count a job's "not found" answers in a row, so a job Huawei forgot is given up on.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stop_chunks") as batch:
        batch.add_column(
            sa.Column("job_missing_polls", sa.Integer, nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("stop_chunks") as batch:
        batch.drop_column("job_missing_polls")
