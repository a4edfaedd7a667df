"""Scheduled stops and their reminders: every move is one compare-and-set on the request row,
with its reminder rows changed in the same transaction, so a click racing the time, a postpone
racing a reminder and two Run now clicks each decide exactly once.

Starting a schedule (its time came, or Run now) is ``RequestStore.confirm`` with ``Start``:
the same transaction that makes the chunks of any stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.audit import AuditEvent
from bot.core.lifecycle import (
    SCHEDULE_OPEN_STATES,
    WAITING_STATES,
    ReminderState,
    RequestState,
    reminder_sources_of,
)
from bot.store.audit import append_after_write
from bot.store.database import Database
from bot.store.rows import RequestRow
from bot.store.schema import stop_reminders, stop_requests

R = stop_requests.c
M = stop_reminders.c
Audit = Sequence[AuditEvent]
Reminders = Sequence[tuple[float, float]]  # (offset before the time, due time)
_WAITING = [s.value for s in WAITING_STATES]
_OPEN = [s.value for s in SCHEDULE_OPEN_STATES]


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    request_id: str
    offset: float  # seconds before the time
    due_at: float


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def schedule(
        self,
        request_id: str,
        user_id: str,
        now: float,
        reminders: Reminders,
        *,
        approved: bool = False,
        late_reason: str | None = None,
        audit: Audit = (),
    ) -> bool:
        """PREVIEWED → SCHEDULED by its requester's click before the preview expires and
        before its time (or APPROVED → SCHEDULED, ``approved``, whose time may have passed:
        ``late_reason`` says so), with its reminders."""
        if approved:
            guard = R.state == RequestState.APPROVED.value
        else:
            guard = sa.and_(
                R.state == RequestState.PREVIEWED.value,
                R.user_id == user_id,
                R.expires_at > now,
                R.run_at > now,
            )
        where = sa.and_(R.id == request_id, R.run_at.is_not(None), guard)
        values: dict[sa.Column[Any], Any] = {
            R.state: RequestState.SCHEDULED.value,
            R.confirmed_by: user_id,
            R.late_reason: late_reason,
        }
        return await self._move(where, values, now, request_id, reminders=reminders, audit=audit)

    async def postpone(
        self,
        request_id: str,
        by: str,
        now: float,
        *,
        seen_run_at: float,
        run_at: float,
        reminders: Reminders,
        audit: Audit = (),
    ) -> bool:
        """A waiting schedule, still due at ``seen_run_at`` (what the person postponed from),
        moves to ``run_at`` (POSTPONED); its pending reminders give way to ``reminders``."""
        where = sa.and_(
            R.id == request_id,
            R.state.in_(_WAITING),
            R.run_at == seen_run_at,
            R.run_at > now,  # a schedule whose time came is starting, or missed: not moved
        )
        values = {R.state: RequestState.POSTPONED.value, R.run_at: run_at}
        return await self._move(
            where, values | _changed(by, now), now, request_id, reminders=reminders, audit=audit
        )

    async def reschedule(
        self,
        request_id: str,
        by: str,
        now: float,
        *,
        run_at: float,
        reminders: Reminders,
        audit: Audit = (),
    ) -> bool:
        """MISSED → SCHEDULED at a new time."""
        where = sa.and_(R.id == request_id, R.state == RequestState.MISSED.value)
        values = {R.state: RequestState.SCHEDULED.value, R.run_at: run_at, R.late_by: None}
        values |= {R.late_reason: None}
        return await self._move(
            where, values | _changed(by, now), now, request_id, reminders=reminders, audit=audit
        )

    async def cancel(self, request_id: str, by: str, now: float, audit: Audit = ()) -> bool:
        """A waiting or missed schedule → CANCELLED (who may is the caller's to check)."""
        where = sa.and_(R.id == request_id, R.state.in_(_OPEN))
        values = {R.state: RequestState.CANCELLED.value} | _changed(by, now)
        return await self._move(where, values, now, request_id, audit=audit)

    async def miss(self, request_id: str, now: float, grace: float, audit: Audit = ()) -> bool:
        """A waiting schedule whose time passed more than ``grace`` ago → MISSED."""
        where = sa.and_(R.id == request_id, R.state.in_(_WAITING), R.run_at < now - grace)
        values = {R.state: RequestState.MISSED.value, R.late_by: now - R.run_at}
        return await self._move(where, values, now, request_id, audit=audit)

    async def note_late(self, request_id: str, reason: str, now: float) -> None:
        """A due schedule could not start now (``reason``, said when it starts or is missed)."""
        where = sa.and_(R.id == request_id, R.state.in_(_WAITING))
        stmt = stop_requests.update().where(where).values({R.late_reason: reason})
        async with self._db.begin() as conn:
            await conn.execute(stmt.values({R.updated_at: now}))

    async def unannounce(self, request_id: str, now: float) -> bool:
        """SCHEDULED → PREVIEWED: the announcement could not be posted (click again)."""
        where = sa.and_(R.id == request_id, R.state == RequestState.SCHEDULED.value)
        values = {R.state: RequestState.PREVIEWED.value}
        return await self._move(where, values, now, request_id)

    async def _move(
        self,
        where: sa.ColumnElement[bool],
        values: dict[sa.Column[Any], Any],
        now: float,
        request_id: str,
        *,
        reminders: Reminders = (),
        audit: Audit = (),
    ) -> bool:
        """The compare-and-set; when it wins, pending reminders are dropped and ``reminders``
        made in the same transaction, with the audit entries."""
        stmt = stop_requests.update().where(where).values(values | {R.updated_at: now})
        async with self._db.begin() as conn:
            if (await conn.execute(stmt)).rowcount != 1:
                return False
            await _drop_pending(conn, request_id, now)
            if reminders:
                rows = [_reminder(request_id, o, at, now) for o, at in reminders]
                await conn.execute(stop_reminders.insert(), rows)
            await append_after_write(conn, audit)
            return True

    async def pending(self, request_id: str) -> list[Reminder]:
        query = (
            sa.select(stop_reminders)
            .where(M.request_id == request_id, M.state == ReminderState.PENDING.value)
            .order_by(M.due_at)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Reminder(r.id, r.request_id, r.offset_s, r.due_at) for r in rows]

    async def claim_reminder(self, reminder_id: int, now: float) -> bool:
        """PENDING → SENT before it is posted: a reminder is posted at most once."""
        return await self._reminder_to(reminder_id, ReminderState.SENT, now)

    async def skip_reminder(self, reminder_id: int, now: float) -> bool:
        return await self._reminder_to(reminder_id, ReminderState.SKIPPED, now)

    async def _reminder_to(self, reminder_id: int, to: ReminderState, now: float) -> bool:
        sources = [s.value for s in reminder_sources_of(to)]
        stmt = (
            stop_reminders.update()
            .where(M.id == reminder_id, M.state.in_(sources))
            .values({M.state: to.value, M.updated_at: now})
        )
        async with self._db.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount == 1)

    async def waiting(self) -> list[RequestRow]:
        """Every schedule waiting for its time, soonest first (rebuilt into alarms at start)."""
        return await self._rows(R.state.in_(_WAITING))

    async def overdue(self, now: float) -> list[str]:
        """Waiting schedules with a moment that has come (their time, or a pending reminder),
        in one query: the minute's sweep rings them in case an alarm was lost."""
        reminder_due = (
            sa.select(M.id)
            .where(
                M.request_id == R.id,
                M.state == ReminderState.PENDING.value,
                M.due_at <= now,
            )
            .exists()
        )
        query = (
            sa.select(R.id)
            .where(R.state.in_(_WAITING), sa.or_(R.run_at <= now, reminder_due))
            .order_by(R.run_at)
        )
        async with self._db.connect() as conn:
            return [str(rid) for rid in (await conn.execute(query)).scalars()]

    async def unannounced(self) -> list[RequestRow]:
        """Waiting schedules whose announcement Slack never confirmed."""
        return await self._rows(sa.and_(R.state.in_(_WAITING), R.root_ts.is_(None)))

    async def upcoming(self, channel_id: str, limit: int = 50) -> list[RequestRow]:
        """This channel's schedules that are still open (waiting or missed), soonest first."""
        where = sa.and_(R.channel_id == channel_id, R.state.in_(_OPEN))
        return await self._rows(where, limit)

    async def _rows(
        self, where: sa.ColumnElement[bool], limit: int | None = None
    ) -> list[RequestRow]:
        query = sa.select(stop_requests).where(where).order_by(R.run_at, R.id).limit(limit)
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [RequestRow.from_mapping(r._mapping) for r in rows]


def _changed(by: str, now: float) -> dict[sa.Column[Any], Any]:
    return {R.changed_by: by, R.changed_at: now}


async def _drop_pending(conn: AsyncConnection, request_id: str, now: float) -> None:
    sources = [s.value for s in reminder_sources_of(ReminderState.DROPPED)]
    stmt = (
        stop_reminders.update()
        .where(M.request_id == request_id, M.state.in_(sources))
        .values({M.state: ReminderState.DROPPED.value, M.updated_at: now})
    )
    await conn.execute(stmt)


def _reminder(request_id: str, offset: float, due_at: float, now: float) -> dict[str, Any]:
    return {
        M.request_id.key: request_id,
        M.offset_s.key: offset,
        M.due_at.key: due_at,
        M.state.key: ReminderState.PENDING.value,
        M.updated_at.key: now,
    }
