"""Who may stop what: each request keeps its deciding grant, whether a second person must
approve it (and who may), break glass, and the decision with its author and time.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("rule", sa.String(80)),
    ("approval_why", sa.Text),
    ("approvers", sa.JSON),
    ("decided_by", sa.String(32)),
    ("decided_at", sa.Float),
    ("decision_note", sa.Text),
    ("acknowledged_by", sa.String(32)),
    ("acknowledged_at", sa.Float),
)


def upgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind))
        batch.add_column(
            sa.Column("break_glass", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        batch.drop_column("break_glass")
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
