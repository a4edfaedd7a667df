"""Claims on chunks carry their owner and a lease: with several replicas, a SUBMITTING chunk is
an orphan only once its claimer's lease has run out, never because another replica started.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stop_chunks") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("lease_until", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("stop_chunks") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
