"""The schema as it was when migrations began: stop requests, their chunks, seen events.

A database made by earlier code (``create_all``) has exactly these tables and is stamped with
this revision in place (``bot.store.migrate``) instead of being created again.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stop_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("response_url", sa.Text),
        sa.Column("soft", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("skipped", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("confirmed_by", sa.String(32)),
        sa.Column("confirmed_at", sa.Float),
        sa.Column("root_ts", sa.String(32)),
        sa.Column("submitted_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("progress_done", sa.Integer, nullable=False),
        sa.Column("report_parts_posted", sa.Integer, nullable=False),
    )
    op.create_index("ix_stop_requests_state", "stop_requests", ["state"])
    op.create_table(
        "stop_chunks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), sa.ForeignKey("stop_requests.id"), nullable=False),
        sa.Column("chunk_no", sa.Integer, nullable=False),
        sa.Column("server_ids", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(64)),
        sa.Column("job_status", sa.String(32)),
        sa.Column("verdicts", sa.JSON),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("submitted_at", sa.Float),
        sa.Column("polled_at", sa.Float),
        sa.Column("poll_failures", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("request_id", "chunk_no"),
    )
    op.create_index("ix_stop_chunks_job_id", "stop_chunks", ["job_id"])
    op.create_table(
        "seen_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("ix_seen_events_seen_at", "seen_events", ["seen_at"])


def downgrade() -> None:
    op.drop_table("seen_events")
    op.drop_table("stop_chunks")
    op.drop_table("stop_requests")
