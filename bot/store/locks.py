"""PostgreSQL advisory lock keys, all in one place so that no two uses can share one."""

from __future__ import annotations

MIGRATION = 7317001  # transaction-level: replicas starting together migrate once
CONFIRM = 7317002  # transaction-level: confirmations, so servers are never taken twice
AUDIT = 7317003  # transaction-level: the audit chain grows one entry at a time
LEADER = 7317010  # session-level, on the leader's own connection (bot/store/leadership.py)
