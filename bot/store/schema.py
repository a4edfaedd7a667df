"""Tables: the database is the truth. Times are UTC epoch seconds (portable across databases).

This is the schema the code reads and writes; the database gets it from the migrations in
``bot/store/migrations/versions/`` (a change here needs a migration there).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

stop_requests = sa.Table(
    "stop_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("team_id", sa.String(32), nullable=False),
    sa.Column("channel_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),  # "command" or "mention"
    sa.Column("thread_ts", sa.String(32)),  # where replies go; for commands the root once posted
    sa.Column("response_url", sa.Text),
    sa.Column("soft", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text),
    sa.Column("targets", sa.JSON, nullable=False),  # [[id, name, status], …]
    sa.Column("skipped", sa.JSON, nullable=False),  # [[id, reason, name, status], …]
    sa.Column("state", sa.String(32), nullable=False, index=True),  # RequestState values
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("confirmed_by", sa.String(32)),
    sa.Column("confirmed_at", sa.Float),
    sa.Column("root_ts", sa.String(32)),  # the public message edited with progress
    sa.Column("submitted_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("progress_done", sa.Integer, nullable=False, default=0),
    sa.Column("report_parts_posted", sa.Integer, nullable=False, default=0),
    # A post Slack may have taken without answering: look for it before posting again.
    sa.Column("root_unsure_at", sa.Float),
    sa.Column("part_unsure_at", sa.Float),
    # Who may stop what (bot/policy): the deciding grant, and the second person's decision.
    sa.Column("rule", sa.String(80)),
    sa.Column("approval_why", sa.Text),  # set: a second person must approve
    sa.Column("approvers", sa.JSON),  # [user id or group ref, …]
    sa.Column("break_glass", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("decided_by", sa.String(32)),  # who approved or rejected
    sa.Column("decided_at", sa.Float),
    sa.Column("decision_note", sa.Text),  # a rejection's reason, or why the policy said no
    sa.Column("acknowledged_by", sa.String(32)),  # break glass: the approver who reviewed it
    sa.Column("acknowledged_at", sa.Float),
    # Scheduled stops (bot/core/schedule.py): None for a stop that runs at once.
    sa.Column("run_at", sa.Float, index=True),  # when it runs (moved by postponing)
    sa.Column("first_run_at", sa.Float),  # when it was first announced for
    sa.Column("tz", sa.String(64)),  # the zone its time was read in
    sa.Column("changed_by", sa.String(32)),  # who last cancelled, postponed or ran it now
    sa.Column("changed_at", sa.Float),
    sa.Column("late_by", sa.Float),  # seconds late it started (a bot that was away)
    sa.Column("late_reason", sa.Text),  # why it could not start at its time, when not a bot away
)

stop_reminders = sa.Table(
    "stop_reminders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "request_id", sa.String(32), sa.ForeignKey("stop_requests.id"), nullable=False, index=True
    ),
    sa.Column("offset_s", sa.Float, nullable=False),  # seconds before run_at
    sa.Column("due_at", sa.Float, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # ReminderState values
    sa.Column("updated_at", sa.Float, nullable=False),
)

stop_chunks = sa.Table(
    "stop_chunks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), sa.ForeignKey("stop_requests.id"), nullable=False),
    sa.Column("chunk_no", sa.Integer, nullable=False),
    sa.Column("server_ids", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("job_id", sa.String(64), index=True),
    sa.Column("job_status", sa.String(32)),
    # Per-server results, {server_id: [outcome, code, reason]} (bot/store/codec.py); the column
    # keeps its first name until schema migrations exist.
    sa.Column("verdicts", sa.JSON),
    sa.Column("error_code", sa.String(64)),
    sa.Column("error_message", sa.Text),
    sa.Column("submitted_at", sa.Float),  # when the call went out (its claim)
    sa.Column("polled_at", sa.Float),
    sa.Column("poll_failures", sa.Integer, nullable=False, default=0),
    sa.Column("job_missing_polls", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("updated_at", sa.Float, nullable=False),
    # The replica that claimed the call, and until when its claim is live (migration 0009).
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.UniqueConstraint("request_id", "chunk_no"),
)

seen_events = sa.Table(
    "seen_events",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("seen_at", sa.Float, nullable=False, index=True),
)

rate_turns = sa.Table(
    "rate_turns",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),  # "stop"
    sa.Column("next_at", sa.Float, nullable=False),  # when the next turn is free
)

bot_health = sa.Table(
    "bot_health",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("checked_at", sa.Float, nullable=False),
)

# The audit trail: append-only (triggers refuse UPDATE, DELETE and TRUNCATE; migration 0005) and
# hash-chained, seq by seq (bot/core/audit.py). Every column is part of an entry's hash.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("actor_id", sa.String(64)),  # None: the bot itself
    sa.Column("actor_name", sa.Text),
    sa.Column("channel_id", sa.String(64)),
    sa.Column("thread_link", sa.Text),
    sa.Column("request_id", sa.String(64), index=True),
    sa.Column("targets", sa.JSON, nullable=False),  # [server id, …]
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("stop_type", sa.String(16)),
    sa.Column("reason", sa.Text),
    sa.Column("rule", sa.Text),
    sa.Column("job_ids", sa.JSON, nullable=False),
    sa.Column("cloud_request_ids", sa.JSON, nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),  # {name: text}
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
