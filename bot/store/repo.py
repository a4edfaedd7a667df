"""The store: every state change is one atomic compare-and-set UPDATE (``WHERE state IN …``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.lifecycle import (
    ACTIVE_REQUEST_STATES,
    ChunkState,
    RequestState,
    chunk_sources_of,
    sources_of,
)
from bot.core.results import Verdict, encode
from bot.store.rows import ChunkRow, NewRequest, RequestRow
from bot.store.schema import seen_events, stop_chunks, stop_requests

R = stop_requests.c
C = stop_chunks.c


class Store:
    """Requests, their chunks and seen event ids; safe to share between replicas on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create_request(self, new: NewRequest) -> None:
        p = new.preview
        values = {
            "id": p.request_id,
            "team_id": new.team_id,
            "channel_id": new.channel_id,
            "user_id": p.user_id,
            "origin": new.origin,
            "thread_ts": new.thread_ts,
            "response_url": new.response_url,
            "soft": p.soft,
            "reason": p.reason,
            "targets": [[t.id, t.name, t.status] for t in p.targets],
            "skipped": [[s.id, s.reason.value, s.name, s.status] for s in p.skipped],
            "state": RequestState.PREVIEWED.value,
            "created_at": new.created_at,
            "expires_at": p.expires_at.timestamp(),
            "updated_at": new.created_at,
            "progress_done": 0,
            "report_parts_posted": 0,
        }
        async with self.engine.begin() as conn:
            await conn.execute(stop_requests.insert().values(values))

    async def get_request(self, request_id: str) -> RequestRow | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(stop_requests).where(R.id == request_id))).first()
        return RequestRow.from_mapping(row._mapping) if row else None

    async def requests_in(self, states: Sequence[RequestState]) -> list[RequestRow]:
        query = sa.select(stop_requests).where(R.state.in_([s.value for s in states]))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(R.created_at))).all()
        return [RequestRow.from_mapping(r._mapping) for r in rows]

    async def active_requests(self) -> list[RequestRow]:
        return await self.requests_in(sorted(ACTIVE_REQUEST_STATES))

    async def move(
        self,
        request_id: str,
        to: RequestState,
        now: float,
        *,
        where: Sequence[sa.ColumnElement[bool]] = (),
        **values: Any,
    ) -> bool:
        """Compare-and-set a request into ``to`` from a state allowed to reach it; True if moved."""
        sources = [s.value for s in sources_of(to)]
        stmt = (
            stop_requests.update()
            .where(R.id == request_id, R.state.in_(sources), *where)
            .values(state=to.value, updated_at=now, **values)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def confirm(
        self, request_id: str, user_id: str, now: float, chunk_ids: Sequence[Sequence[str]]
    ) -> bool:
        """The single winning click: PREVIEWED → CONFIRMED by its requester before expiry, and its
        chunks created in the same transaction. Every other click, concurrent or replayed, loses."""
        stmt = (
            stop_requests.update()
            .where(
                R.id == request_id,
                R.state == RequestState.PREVIEWED.value,
                R.user_id == user_id,
                R.expires_at > now,
            )
            .values(state=RequestState.CONFIRMED.value, confirmed_by=user_id, confirmed_at=now)
            .values(updated_at=now)
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(stmt)).rowcount != 1:
                return False
            await conn.execute(sa.delete(stop_chunks).where(C.request_id == request_id))
            rows = [_new_chunk(request_id, i, ids, now) for i, ids in enumerate(chunk_ids)]
            if rows:
                await conn.execute(stop_chunks.insert(), rows)
            return True

    async def set_request_fields(self, request_id: str, now: float, **values: Any) -> None:
        stmt = stop_requests.update().where(R.id == request_id).values(updated_at=now, **values)
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def advance_counter(self, request_id: str, column: str, expected: int, new: int) -> bool:
        """CAS on an integer column (report parts posted, progress shown)."""
        col = stop_requests.c[column]
        stmt = (
            stop_requests.update().where(R.id == request_id, col == expected).values({column: new})
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def chunks(self, request_id: str) -> list[ChunkRow]:
        query = sa.select(stop_chunks).where(C.request_id == request_id).order_by(C.chunk_no)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [ChunkRow.from_mapping(r._mapping) for r in rows]

    async def chunk_by_job_id(self, job_id: str) -> ChunkRow | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(stop_chunks).where(C.job_id == job_id))).first()
        return ChunkRow.from_mapping(row._mapping) if row else None

    async def move_chunk(
        self,
        chunk_id: int,
        to: ChunkState,
        now: float,
        verdicts: Mapping[str, Verdict] | None = None,
        **values: Any,
    ) -> bool:
        """Compare-and-set a chunk into ``to``; True if this caller made the move."""
        if verdicts is not None:
            values["verdicts"] = encode(verdicts)
        sources = [s.value for s in chunk_sources_of(to)]
        stmt = (
            stop_chunks.update()
            .where(C.id == chunk_id, C.state.in_(sources))
            .values(state=to.value, updated_at=now, **values)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def record_poll(
        self, chunk_id: int, now: float, job_status: str, verdicts: Mapping[str, Verdict]
    ) -> None:
        """Store what a poll saw while the job still runs (no state change)."""
        stmt = (
            stop_chunks.update()
            .where(C.id == chunk_id, C.state == ChunkState.SUBMITTED.value)
            .values(job_status=job_status, verdicts=encode(verdicts), polled_at=now)
            .values(poll_failures=0, updated_at=now)
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def record_poll_failure(self, chunk_id: int, now: float, message: str) -> int:
        """Count a failed poll; returns how many failed in a row."""
        stmt = (
            stop_chunks.update()
            .where(C.id == chunk_id)
            .values(poll_failures=C.poll_failures + 1, error_message=message, updated_at=now)
            .returning(C.poll_failures)
        )
        async with self.engine.begin() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def first_sighting(self, event_id: str, now: float) -> bool:
        """Record an Events API event id; False if it was seen before (a retried delivery)."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(seen_events.insert().values(event_id=event_id, seen_at=now))
        except IntegrityError:
            return False
        return True

    async def expire_previews(self, now: float) -> int:
        stmt = (
            stop_requests.update()
            .where(R.state == RequestState.PREVIEWED.value, R.expires_at <= now)
            .values(state=RequestState.EXPIRED.value, updated_at=now)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount

    async def forget_events(self, before: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(sa.delete(seen_events).where(seen_events.c.seen_at < before))


def _new_chunk(request_id: str, no: int, ids: Sequence[str], now: float) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "chunk_no": no,
        "server_ids": list(ids),
        "state": ChunkState.PENDING.value,
        "poll_failures": 0,
        "updated_at": now,
    }
