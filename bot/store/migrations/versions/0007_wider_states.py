"""Room for the longer request states ("awaiting_approval" is 17 characters): the state column
was 16, which PostgreSQL enforces and SQLite does not.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        batch.alter_column("state", existing_type=sa.String(16), type_=sa.String(32))


def downgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        batch.alter_column("state", existing_type=sa.String(32), type_=sa.String(16))
