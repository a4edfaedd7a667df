"""Scheduled stops: when a request runs (and when it was first announced for), the zone its time
was read in, who last changed it, how late it started and why; and its reminders, one row each.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("run_at", sa.Float),
    ("first_run_at", sa.Float),
    ("tz", sa.String(64)),
    ("changed_by", sa.String(32)),
    ("changed_at", sa.Float),
    ("late_by", sa.Float),
    ("late_reason", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("stop_requests") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind))
        batch.create_index("ix_stop_requests_run_at", ["run_at"])
    op.create_table(
        "stop_reminders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), sa.ForeignKey("stop_requests.id"), nullable=False),
        sa.Column("offset_s", sa.Float, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_stop_reminders_request_id", "stop_reminders", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_stop_reminders_request_id", "stop_reminders")
    op.drop_table("stop_reminders")
    with op.batch_alter_table("stop_requests") as batch:
        batch.drop_index("ix_stop_requests_run_at")
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
