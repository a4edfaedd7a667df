"""Stop requests: each state change is one compare-and-set UPDATE (``WHERE state IN …``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.audit import AuditEvent
from bot.core.lifecycle import (
    ACTIVE_REQUEST_STATES,
    CHUNK_SETTLED,
    WAITING_STATES,
    ChunkState,
    RequestState,
    sources_of,
)
from bot.core.models import Approval, Skipped, SkipReason
from bot.store import locks
from bot.store.audit import append_after_write
from bot.store.codec import encode_skipped, encode_targets
from bot.store.database import Database
from bot.store.rows import ChunkRow, NewRequest, RequestRow, StopRecord
from bot.store.schema import stop_chunks, stop_requests

R = stop_requests.c
C = stop_chunks.c
Values = dict[sa.Column[Any], Any]
Audit = Sequence[AuditEvent]  # the entries a state change writes with it
PG_CONFIRM_LOCK = locks.CONFIRM
# The moment a move happened, kept on the row for the clock rules (bot/core/clock.py).
_STAMPED = {RequestState.SUBMITTED: R.submitted_at, RequestState.REPORTING: R.finished_at}


class Start(StrEnum):
    """What moves a request to CONFIRMED (``RequestStore.confirm``)."""

    CLICK = "click"  # the requester's click on the preview, before it expires
    APPROVAL = "approval"  # a second person approved it
    SCHEDULE = "schedule"  # its scheduled time came
    RUN_NOW = "run_now"  # a missed schedule, run by a person's click


class RequestStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewRequest, audit: Audit = ()) -> None:
        """Store a PREVIEWED request, with its audit entries in the same transaction."""
        p = new.preview
        values = {
            R.id: p.request_id,
            R.team_id: new.team_id,
            R.channel_id: new.channel_id,
            R.user_id: p.user_id,
            R.origin: new.origin,
            R.thread_ts: new.thread_ts,
            R.response_url: new.response_url,
            R.soft: p.soft,
            R.reason: p.reason,
            R.targets: encode_targets(p.targets),
            R.skipped: encode_skipped(p.skipped),
            R.state: RequestState.PREVIEWED.value,
            R.created_at: new.created_at,
            R.expires_at: p.expires_at.timestamp(),
            R.updated_at: new.created_at,
            R.progress_done: 0,
            R.report_parts_posted: 0,
            R.rule: p.rule or None,
            R.approval_why: p.approval.why if p.approval else None,
            R.approvers: list(p.approval.approvers) if p.approval else None,
            R.break_glass: p.break_glass,
            R.run_at: p.run_at.timestamp() if p.run_at else None,
            R.first_run_at: p.run_at.timestamp() if p.run_at else None,
            R.tz: p.tz,
        }
        async with self._db.begin() as conn:
            await conn.execute(stop_requests.insert().values(values))
            await append_after_write(conn, audit)

    async def get(self, request_id: str) -> RequestRow | None:
        async with self._db.connect() as conn:
            return await get_request(conn, request_id)

    async def in_states(self, states: Sequence[RequestState]) -> list[RequestRow]:
        return await self._rows(R.state.in_([s.value for s in states]))

    async def count_by_state(self) -> dict[str, int]:
        """How many requests are in each state (one grouped query, for ``/metrics``)."""
        query = sa.select(R.state, sa.func.count()).group_by(R.state)
        async with self._db.connect() as conn:
            return {str(state): int(n) for state, n in (await conn.execute(query)).all()}

    async def ids_in_states(self, states: Sequence[RequestState]) -> list[str]:
        """The ids alone (the leader's sweep, every poll interval: cheap at a thousand rows)."""
        query = sa.select(R.id).where(R.state.in_([s.value for s in states]))
        async with self._db.connect() as conn:
            return [str(r) for r in (await conn.execute(query)).scalars()]

    async def active(self) -> list[RequestRow]:
        """Confirmed, submitted and reporting requests: the ones with work left."""
        return await self.in_states(sorted(ACTIVE_REQUEST_STATES))

    async def move(self, request_id: str, to: RequestState, now: float, audit: Audit = ()) -> bool:
        """Compare-and-set into ``to`` from a state allowed to reach it; True if this call moved
        it. Confirming and cancelling have their own methods: they check who clicks.

        Every state change takes its ``audit`` entries along: they commit in the same
        transaction as the change, and only when this call made it."""
        values: Values = {R.state: to.value, R.updated_at: now}
        if to in _STAMPED:
            values[_STAMPED[to]] = now
        return await self._cas(sa.and_(R.id == request_id, _from_sources(to)), values, audit)

    async def confirm(
        self,
        request_id: str,
        user_id: str,
        now: float,
        chunk_ids: Sequence[Sequence[str]],
        *,
        by: Start = Start.CLICK,
        protected: Mapping[str, str] | None = None,
        changed: Sequence[Skipped] = (),
        rule: str | None = None,
        audit: Callable[[RequestRow], Audit] | None = None,
    ) -> StopRecord | None:
        """The single winning click: PREVIEWED → CONFIRMED by its requester before expiry, with its
        chunks created in the same transaction. Every other click, concurrent or replayed, loses
        (None). The guard ``expires_at > now`` is ``bot.core.clock.preview_expired`` in SQL.

        Servers another active request is stopping are left out (skipped as TAKEN, with that
        request's id); if that leaves nothing, nothing changes and ``AllTaken`` says by whom.
        Confirmations are serialised (SQLite's one writer, PostgreSQL's advisory lock), so two
        requests can never both send a stop to the same server.

        ``protected``: servers the policy protects now (id → rule), left out like taken ones;
        ``changed``: servers that changed since the preview (stopped, gone), left out too.
        ``by`` says what confirms (``Start``): the requester's click before expiry, an approval
        (the requester's own click came before, and the approval's clock no longer matters), a
        schedule's time (``run_at`` reached), or Run now on a missed one. ``audit`` makes the
        entries for the confirmed request (its targets as confirmed), in the same transaction.
        """
        stmt = (
            stop_requests.update()
            .where(R.id == request_id, _start_guard(by, user_id, now))
            .values({R.state: RequestState.CONFIRMED.value, R.confirmed_by: user_id})
            .values({R.confirmed_at: now, R.updated_at: now})
        )
        if by in (Start.SCHEDULE, Start.RUN_NOW):
            stmt = stmt.values({R.late_by: now - R.run_at})
        if rule is not None:  # the grant that decided at this confirmation
            stmt = stmt.values({R.rule: rule})
        async with self._db.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({PG_CONFIRM_LOCK})"))
            if (await conn.execute(stmt)).rowcount != 1:
                return None
            request = await get_request(conn, request_id)
            assert request is not None  # updated a moment ago, in this transaction
            taken = await _taken(conn, request_id, [i for ids in chunk_ids for i in ids])
            kept = dict(protected or {})
            gone = {s.id: s for s in changed if s.id not in taken and s.id not in kept}
            out = taken.keys() | kept.keys() | gone.keys()
            if len(out) >= len(request.targets):
                raise AllTaken(taken, kept, tuple(gone.values()))  # rolls it all back
            if out:
                request = await _leave_out(conn, request, taken, kept, gone)
            await conn.execute(sa.delete(stop_chunks).where(C.request_id == request_id))
            groups = [[i for i in ids if i not in out] for ids in chunk_ids]
            rows = [
                _new_chunk(request_id, n, ids, now) for n, ids in enumerate(g for g in groups if g)
            ]
            if rows:
                await conn.execute(stop_chunks.insert(), rows)
            if audit is not None:
                await append_after_write(conn, audit(request))
            return StopRecord(request, await chunks_of(conn, request))

    async def ask_approval(
        self,
        request_id: str,
        user_id: str,
        now: float,
        until: float,
        *,
        approval: Approval,
        rule: str,
        audit: Audit = (),
    ) -> bool:
        """PREVIEWED → AWAITING_APPROVAL: the requester's click, before the preview expires; the
        approval stays open ``until``."""
        where = sa.and_(
            R.id == request_id,
            _from_sources(RequestState.AWAITING_APPROVAL),
            R.user_id == user_id,
            R.expires_at > now,
        )
        values = {R.state: RequestState.AWAITING_APPROVAL.value, R.expires_at: until}
        asked = {R.approval_why: approval.why, R.approvers: list(approval.approvers)}
        return await self._cas(where, values | asked | {R.rule: rule, R.updated_at: now}, audit)

    async def decide(
        self,
        request_id: str,
        to: RequestState,
        by: str | None,
        now: float,
        note: str | None,
        *,
        audit: Audit = (),
    ) -> bool:
        """AWAITING_APPROVAL → APPROVED or REJECTED, exactly once: by a person other than the
        requester before the approval expires, or (``by`` None) by the policy itself."""
        assert to in (RequestState.APPROVED, RequestState.REJECTED)
        where = sa.and_(R.id == request_id, R.state == RequestState.AWAITING_APPROVAL.value)
        if by is not None:
            where = sa.and_(where, R.user_id != by, R.expires_at > now)
        values = {R.state: to.value, R.decided_by: by, R.decided_at: now, R.decision_note: note}
        return await self._cas(where, values | {R.updated_at: now}, audit)

    async def expire_approvals(
        self,
        now: float,
        only: Sequence[str] | None = None,
        audit: Callable[[RequestRow], Audit] | None = None,
    ) -> list[RequestRow]:
        """Approval requests past their time (of ``only``, if given) become APPROVAL_EXPIRED:
        the rows that did (as they were)."""
        return await self._expire(RequestState.APPROVAL_EXPIRED, now, only, audit)

    async def _expire(
        self,
        to: RequestState,
        now: float,
        only: Sequence[str] | None,
        audit: Callable[[RequestRow], Audit] | None,
    ) -> list[RequestRow]:
        """One compare-and-set per request past its ``expires_at``, each with its audit."""
        stale = sa.and_(_from_sources(to), R.expires_at <= now)
        if only is not None:
            stale = sa.and_(stale, R.id.in_(list(only)))
        due = await self._rows(stale)
        values = {R.state: to.value, R.updated_at: now}
        moved = []
        for req in due:
            if await self._cas(sa.and_(R.id == req.id, stale), values, audit(req) if audit else ()):
                moved.append(req)
        return moved

    async def _rows(self, where: sa.ColumnElement[bool]) -> list[RequestRow]:
        query = sa.select(stop_requests).where(where).order_by(R.created_at)
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [RequestRow.from_mapping(r._mapping) for r in rows]

    async def acknowledge(self, request_id: str, by: str, now: float, audit: Audit = ()) -> bool:
        """A break-glass stop reviewed by an approver: once, by the first."""
        where = sa.and_(R.id == request_id, R.break_glass.is_(True), R.acknowledged_by.is_(None))
        values = {R.acknowledged_by: by, R.acknowledged_at: now, R.updated_at: now}
        return await self._cas(where, values, audit)

    async def cancel(self, request_id: str, user_id: str, now: float, audit: Audit = ()) -> bool:
        """PREVIEWED (or an approval request) → CANCELLED, by the requester only. Not a
        schedule: its Cancel is ``ScheduleStore.cancel``, which tells the announcement."""
        where = sa.and_(R.id == request_id, R.state.in_(_CANCELLABLE), R.user_id == user_id)
        values = {R.state: RequestState.CANCELLED.value, R.updated_at: now}
        return await self._cas(where, values, audit)

    async def record_root(
        self,
        request_id: str,
        root_ts: str,
        thread_ts: str,
        now: float,
        audit: Audit = (),
    ) -> bool:
        """The public root message is posted: remember it and where the thread hangs, once
        (False if a root was recorded already). ``audit``: the entries that become true now
        that the request is public, written with it."""
        values = {R.root_ts: root_ts, R.thread_ts: thread_ts, R.updated_at: now}
        where = sa.and_(R.id == request_id, R.root_ts.is_(None))
        return await self._cas(where, values | {R.root_unsure_at: None}, audit)

    async def root_unsure(self, request_id: str, now: float) -> None:
        """Slack did not answer the root post: it may be there; look before posting another."""
        await self._cas(R.id == request_id, {R.root_unsure_at: now, R.updated_at: now})

    async def no_root(self, request_id: str, now: float) -> None:
        """Slack refused the root post (it answered): there is nothing to look for."""
        await self._cas(R.id == request_id, {R.root_unsure_at: None, R.updated_at: now})

    async def part_unsure(self, request_id: str, now: float) -> None:
        """Slack did not answer the next report part: look for it before posting it again."""
        await self._cas(R.id == request_id, {R.part_unsure_at: now, R.updated_at: now})

    async def claim_part(
        self, request_id: str, posted: int, seen: float | None, now: float
    ) -> bool:
        """About to post part ``posted + 1``: mark it as maybe in the thread, from the mark this
        poster saw (``seen``; None for none). False if another poster marked it meanwhile: it is
        theirs to post (or to look for)."""
        mark = R.part_unsure_at.is_(None) if seen is None else R.part_unsure_at == seen
        where = sa.and_(R.id == request_id, R.report_parts_posted == posted, mark)
        return await self._cas(where, {R.part_unsure_at: now, R.updated_at: now})

    async def part_refused(self, request_id: str, posted: int, now: float) -> None:
        """Slack refused the part (it answered): it is not in the thread, nothing to look for."""
        where = sa.and_(R.id == request_id, R.report_parts_posted == posted)
        await self._cas(where, {R.part_unsure_at: None, R.updated_at: now})

    async def record_progress(self, request_id: str, done: int, now: float) -> None:
        """The root now shows ``done`` settled servers."""
        await self._cas(R.id == request_id, {R.progress_done: done, R.updated_at: now})

    async def count_report_part(self, request_id: str, posted: int, now: float) -> bool:
        """Part ``posted + 1`` is out: advance the count from ``posted``, or lose to who did."""
        where = sa.and_(R.id == request_id, R.report_parts_posted == posted)
        values = {R.report_parts_posted: posted + 1, R.part_unsure_at: None, R.updated_at: now}
        return await self._cas(where, values)

    async def expire_previews(
        self, now: float, audit: Callable[[RequestRow], Audit] | None = None
    ) -> int:
        """Unanswered previews past their expiry become EXPIRED; how many did."""
        return len(await self._expire(RequestState.EXPIRED, now, None, audit))

    async def names_for_job(self, job_id: str) -> dict[str, str]:
        """Server names of the request a Huawei job belongs to (empty if it is not the bot's)."""
        query = (
            sa.select(R.targets)
            .select_from(stop_chunks.join(stop_requests, C.request_id == R.id))
            .where(C.job_id == job_id)
        )
        async with self._db.connect() as conn:
            targets = (await conn.execute(query)).scalar()
        return {t[0]: t[1] for t in targets or ()}

    async def _cas(self, where: sa.ColumnElement[bool], values: Values, audit: Audit = ()) -> bool:
        stmt = stop_requests.update().where(where).values(values)
        async with self._db.begin() as conn:
            if (await conn.execute(stmt)).rowcount != 1:
                return False
            await append_after_write(conn, audit)
            return True


class AllTaken(Exception):
    """Every server of a confirmation is being stopped by another request (or is protected by
    the policy now): nothing changed."""

    def __init__(
        self,
        taken: dict[str, str],
        protected: dict[str, str] | None = None,
        changed: tuple[Skipped, ...] = (),
    ) -> None:
        super().__init__(f"{len(taken)} servers are taken by other requests")
        self.taken = taken  # server id → the request stopping it
        self.protected = protected or {}  # server id → the rule protecting it
        self.changed = changed  # stopped or gone since the preview


# Chunks still at work (every one not yet settled): their servers are being stopped (or may be).
_BUSY_CHUNKS = [s.value for s in ChunkState if s not in CHUNK_SETTLED]
_ACTIVE = [s.value for s in ACTIVE_REQUEST_STATES]
_CANCELLABLE = [RequestState.PREVIEWED.value, RequestState.AWAITING_APPROVAL.value]


async def _taken(conn: AsyncConnection, request_id: str, wanted: Sequence[str]) -> dict[str, str]:
    """Which of ``wanted`` another active request is already stopping, and which request."""
    query = (
        sa.select(C.server_ids, C.request_id)
        .select_from(stop_chunks.join(stop_requests, C.request_id == R.id))
        .where(R.state.in_(_ACTIVE), C.state.in_(_BUSY_CHUNKS), C.request_id != request_id)
    )
    want = set(wanted)
    taken: dict[str, str] = {}
    for server_ids, other in (await conn.execute(query)).all():
        taken |= {sid: other for sid in server_ids if sid in want}
    return taken


async def _leave_out(
    conn: AsyncConnection,
    req: RequestRow,
    taken: dict[str, str],
    protected: dict[str, str],
    changed: dict[str, Skipped],
) -> RequestRow:
    """The request without the taken, protected and changed servers, which join its skipped
    list."""
    out = taken.keys() | protected.keys() | changed.keys()
    targets = tuple(t for t in req.targets if t.id not in out)
    left_out = tuple(
        Skipped(t.id, SkipReason.PROTECTED, t.name, t.status, rule=protected[t.id])
        if t.id in protected
        else Skipped(t.id, SkipReason.TAKEN, t.name, t.status, taken[t.id])
        if t.id in taken
        else changed[t.id]
        for t in req.targets
        if t.id in out
    )
    skipped = req.skipped + left_out
    values = {R.targets: encode_targets(targets), R.skipped: encode_skipped(skipped)}
    await conn.execute(stop_requests.update().where(R.id == req.id).values(values))
    return dataclasses.replace(req, targets=targets, skipped=skipped)


def _start_guard(by: Start, user_id: str, now: float) -> sa.ColumnElement[bool]:
    """The compare of ``confirm``'s compare-and-set, for each way to start."""
    if by is Start.APPROVAL:  # a scheduled one is scheduled once approved, not confirmed
        return sa.and_(R.state == RequestState.APPROVED.value, R.run_at.is_(None))
    if by is Start.SCHEDULE:
        return sa.and_(R.state.in_([s.value for s in WAITING_STATES]), R.run_at <= now)
    if by is Start.RUN_NOW:
        return R.state == RequestState.MISSED.value
    return sa.and_(
        R.state == RequestState.PREVIEWED.value,
        R.user_id == user_id,
        R.expires_at > now,
        R.run_at.is_(None),
    )


def _from_sources(to: RequestState) -> sa.ColumnElement[bool]:
    return R.state.in_([s.value for s in sources_of(to)])


async def get_request(conn: AsyncConnection, request_id: str) -> RequestRow | None:
    row = (await conn.execute(sa.select(stop_requests).where(R.id == request_id))).first()
    return RequestRow.from_mapping(row._mapping) if row else None


async def chunks_of(conn: AsyncConnection, request: RequestRow) -> tuple[ChunkRow, ...]:
    query = sa.select(stop_chunks).where(C.request_id == request.id).order_by(C.chunk_no)
    names = request.names
    rows = (await conn.execute(query)).all()
    return tuple(ChunkRow.from_mapping(r._mapping, names) for r in rows)


def _new_chunk(request_id: str, no: int, ids: Sequence[str], now: float) -> dict[str, Any]:
    """One row for an executemany INSERT (which takes column keys, not columns)."""
    return {
        C.request_id.key: request_id,
        C.chunk_no.key: no,
        C.server_ids.key: list(ids),
        C.state.key: ChunkState.PENDING.value,
        C.poll_failures.key: 0,
        C.updated_at.key: now,
    }
