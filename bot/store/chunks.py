"""Batch-stop calls (chunks): claimed before they are sent, so none is ever sent twice.

Every write is a compare-and-set on the chunk's state and hands back the snapshot it made (or
None when another sender or poller got there first), so the caller never reads the row again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bot.core.audit import AuditEvent
from bot.core.lifecycle import ChunkState, RequestState, chunk_sources_of
from bot.core.models import ServerResult
from bot.store.audit import append_after_write
from bot.store.codec import encode_results
from bot.store.database import Database
from bot.store.rows import ChunkRow
from bot.store.schema import stop_chunks, stop_requests

C = stop_chunks.c
Values = dict[sa.Column[Any], Any]


class ChunkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def jobs_in_flight(self) -> int:
        """How many submitted jobs are being polled (the leader's sweep, for the poll interval)."""
        running = RequestState.SUBMITTED.value  # through the indexed request state, not a scan
        query = (
            sa.select(sa.func.count())
            .select_from(stop_chunks.join(stop_requests))
            .where(stop_requests.c.state == running, C.state == ChunkState.SUBMITTED.value)
        )
        async with self._db.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def claim(
        self, chunk: ChunkRow, now: float, *, owner: str, lease: float, sent_at: float | None = None
    ) -> ChunkRow | None:
        """PENDING → SUBMITTING: this sender (``owner``, a replica) will POST it at ``sent_at``
        (its paced turn; now by default), and its claim is live for ``lease`` seconds; None if
        another sender has it."""
        until, at = now + lease, now if sent_at is None else sent_at
        values = {C.submitted_at: at, C.claimed_by: owner, C.lease_until: until}
        claimed = await self._move(chunk, ChunkState.SUBMITTING, now, values)
        if claimed is None:
            return None
        return dataclasses.replace(claimed, sent_at=at, claimed_by=owner, lease_until=until)

    async def accepted(
        self, chunk: ChunkRow, job_id: str, now: float, audit: Sequence[AuditEvent] = ()
    ) -> ChunkRow | None:
        """Huawei answered with a job id: the chunk is SUBMITTED and will be polled; ``audit``
        is written with the change."""
        changed = await self._move(chunk, ChunkState.SUBMITTED, now, {C.job_id: job_id}, audit)
        return dataclasses.replace(changed, job_id=job_id) if changed else None

    async def lost(self, chunk: ChunkRow, now: float) -> ChunkRow | None:
        """Huawei no longer knows the job: its servers will be checked instead."""
        return await self._move(chunk, ChunkState.LOST, now, {})

    async def settle(
        self,
        chunk: ChunkRow,
        to: ChunkState,
        results: Mapping[str, ServerResult],
        *,
        error_code: str | None,
        error_message: str,
        now: float,
    ) -> ChunkRow | None:
        """REJECTED (nothing stopped) or UNCERTAIN (no answer), with every server's result."""
        values = {
            C.verdicts: encode_results(results),
            C.error_code: error_code,
            C.error_message: error_message,
        }
        changed = await self._move(chunk, to, now, values)
        if changed is None:
            return None
        return dataclasses.replace(
            changed,
            results=_as_stored(results, chunk.job_id),
            error_code=error_code,
            error_message=error_message,
        )

    async def ended(
        self, chunk: ChunkRow, job_status: str, results: Mapping[str, ServerResult], now: float
    ) -> ChunkRow | None:
        """The job reached SUCCESS or FAIL: its final per-server results."""
        values = {C.verdicts: encode_results(results), C.job_status: job_status, C.polled_at: now}
        changed = await self._move(chunk, ChunkState.ENDED, now, values)
        if changed is None:
            return None
        return dataclasses.replace(
            changed, job_status=job_status, results=_as_stored(results, chunk.job_id)
        )

    async def record_poll(
        self, chunk: ChunkRow, job_status: str, results: Mapping[str, ServerResult], now: float
    ) -> ChunkRow:
        """What a poll saw while the job still runs (no state change); failures reset to 0."""
        values = {
            C.job_status: job_status,
            C.verdicts: encode_results(results),
            C.polled_at: now,
            C.poll_failures: 0,
            C.job_missing_polls: 0,
            C.updated_at: now,
        }
        stmt = (
            stop_chunks.update()
            .where(C.id == chunk.id, C.state == ChunkState.SUBMITTED.value)
            .values(values)
        )
        async with self._db.begin() as conn:
            await conn.execute(stmt)
        return dataclasses.replace(
            chunk,
            job_status=job_status,
            results=_as_stored(results, chunk.job_id),
            poll_failures=0,
            job_missing_polls=0,
            updated_at=now,
        )

    async def record_poll_failure(
        self, chunk: ChunkRow, message: str, now: float, *, job_missing: bool = False
    ) -> ChunkRow:
        """Count a failed poll, and a "job not found" in a row (``job_missing``; any other
        failure ends the row); the chunk with both counts as stored."""
        missing = C.job_missing_polls + 1 if job_missing else 0
        stmt = (
            stop_chunks.update()
            .where(C.id == chunk.id)
            .values({C.poll_failures: C.poll_failures + 1, C.error_message: message})
            .values({C.job_missing_polls: missing, C.updated_at: now})
            .returning(C.poll_failures, C.job_missing_polls)
        )
        async with self._db.begin() as conn:
            failures, in_a_row = (await conn.execute(stmt)).one()
        return dataclasses.replace(
            chunk, poll_failures=int(failures), job_missing_polls=int(in_a_row), updated_at=now
        )

    async def _move(
        self,
        chunk: ChunkRow,
        to: ChunkState,
        now: float,
        values: Values,
        audit: Sequence[AuditEvent] = (),
    ) -> ChunkRow | None:
        sources = [s.value for s in chunk_sources_of(to)]
        stmt = (
            stop_chunks.update()
            .where(C.id == chunk.id, C.state.in_(sources))
            .values({**values, C.state: to.value, C.updated_at: now})
        )
        async with self._db.begin() as conn:
            if (await conn.execute(stmt)).rowcount != 1:
                return None
            await append_after_write(conn, audit)
        return dataclasses.replace(chunk, state=to, updated_at=now)


def _as_stored(results: Mapping[str, ServerResult], job_id: str | None) -> dict[str, ServerResult]:
    """The results as a later read gives them back: filed under the chunk's job."""
    return {sid: dataclasses.replace(r, job_id=job_id) for sid, r in results.items()}
