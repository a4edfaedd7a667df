"""The audit trail on disk: one hash chain (bot/core/audit.py), appended to and never changed.

Appends are serialised, so two writers (two replicas) can never both chain onto the same entry:
the newest entry is read and the next ones inserted in one transaction that holds the write
lock from its first statement (PostgreSQL's advisory lock; on SQLite, ``BEGIN IMMEDIATE``).
This code never updates or deletes a row; the triggers refuse it to anyone else (migration 0005).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.audit import (
    GENESIS,
    AuditEntry,
    AuditEvent,
    AuditKind,
    Break,
    ChainCheck,
    VerifyReport,
    chain,
)
from bot.store import locks
from bot.store.database import Database
from bot.store.schema import audit_log

A = audit_log.c
PG_AUDIT_LOCK = locks.AUDIT
PAGE = 500


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, event: AuditEvent) -> AuditEntry:
        """Add ``event`` after the newest entry; the entry it became."""
        (entry,) = await self.append_many([event])
        return entry

    async def append_many(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Add ``events``, in order, after the newest entry, in one transaction."""
        if not events:
            return []
        async with self._db.begin() as conn:
            await _write_lock(conn)
            return await _chain_on(conn, events)

    async def recent(self, n: int) -> list[AuditEntry]:
        """The newest ``n`` entries, oldest first (newest last)."""
        query = sa.select(audit_log).order_by(A.seq.desc()).limit(n)
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(r._mapping) for r in reversed(rows)]

    async def for_request(self, request_id: str) -> list[AuditEntry]:
        """Every entry about one stop request, oldest first."""
        query = sa.select(audit_log).where(A.request_id == request_id).order_by(A.seq)
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(r._mapping) for r in rows]

    async def since(self, at: float, page: int = PAGE) -> AsyncIterator[AuditEntry]:
        """Entries of events at or after ``at``, in chain order, read ``page`` rows at a time."""
        async for rows in self._pages(A.at >= at, page):
            for row in rows:
                yield _entry(row)

    async def verify(self, page: int = PAGE) -> VerifyReport:
        """Check the whole chain, ``page`` rows at a time: how many entries were read, and the
        first break (an edited, removed or reordered entry), if any."""
        check = ChainCheck()
        async for rows in self._pages(sa.true(), page):
            for row in rows:
                try:
                    entry = _entry(row)
                except (KeyError, TypeError, ValueError) as exc:  # e.g. a kind this code lacks
                    unreadable = Break(row["seq"], f"it cannot be read ({exc})")
                    return VerifyReport(check.checked + 1, unreadable, row["hash"])
                if broken := check.add(entry):
                    return check.report(broken)
        return check.report(None)

    async def _pages(
        self, where: sa.ColumnElement[bool], page: int
    ) -> AsyncIterator[Sequence[Mapping[Any, Any]]]:
        """Rows matching ``where`` by seq, a page per connection (none is held between pages)."""
        after = 0
        while True:
            query = sa.select(audit_log).where(where, A.seq > after).order_by(A.seq).limit(page)
            async with self._db.connect() as conn:
                rows = [r._mapping for r in (await conn.execute(query)).all()]
            if rows:
                yield rows
            if len(rows) < page:
                return
            after = rows[-1]["seq"]


async def append_after_write(
    conn: AsyncConnection, events: Sequence[AuditEvent]
) -> list[AuditEntry]:
    """Add ``events`` inside a transaction that has just changed a row (a compare-and-set), so
    the state change and its audit entries commit together or not at all. On SQLite that write
    already holds the one write lock; PostgreSQL takes the audit's advisory lock here."""
    if not events:
        return []
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({PG_AUDIT_LOCK})"))
    return await _chain_on(conn, events)


async def _chain_on(conn: AsyncConnection, events: Sequence[AuditEvent]) -> list[AuditEntry]:
    """Read the newest entry and insert ``events`` after it (the caller holds the write lock)."""
    newest = sa.select(A.seq, A.hash).order_by(A.seq.desc()).limit(1)
    last = (await conn.execute(newest)).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    entries = chain(events, after_seq=seq, after_hash=prev)
    await conn.execute(audit_log.insert(), [_row(e) for e in entries])
    return entries


async def _write_lock(conn: AsyncConnection) -> None:
    """Take the audit trail's write lock before reading its newest entry."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({PG_AUDIT_LOCK})"))
    elif conn.dialect.name == "sqlite":
        # The driver begins a transaction only at the first write, so the read before it could
        # see an entry another writer is about to follow; take SQLite's one write lock now.
        await conn.exec_driver_sql("BEGIN IMMEDIATE")


def _row(entry: AuditEntry) -> dict[str, Any]:
    """One row for an executemany INSERT (which takes column keys, not columns)."""
    e = entry.event
    return {
        "seq": entry.seq,
        "at": e.at,
        "kind": e.kind.value,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "channel_id": e.channel_id,
        "thread_link": e.thread_link,
        "request_id": e.request_id,
        "targets": list(e.targets),
        "count": e.count,
        "stop_type": e.stop_type,
        "reason": e.reason,
        "rule": e.rule,
        "job_ids": list(e.job_ids),
        "cloud_request_ids": list(e.cloud_request_ids),
        "detail": dict(e.detail),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry(m: Mapping[Any, Any]) -> AuditEntry:
    event = AuditEvent(
        kind=AuditKind(m["kind"]),
        at=m["at"],
        actor_id=m["actor_id"],
        actor_name=m["actor_name"],
        channel_id=m["channel_id"],
        thread_link=m["thread_link"],
        request_id=m["request_id"],
        targets=tuple(m["targets"]),
        count=m["count"],
        stop_type=m["stop_type"],
        reason=m["reason"],
        rule=m["rule"],
        job_ids=tuple(m["job_ids"]),
        cloud_request_ids=tuple(m["cloud_request_ids"]),
        detail=dict(m["detail"]),
    )
    return AuditEntry(m["seq"], event, m["prev_hash"], m["hash"])
