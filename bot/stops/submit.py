"""Step 3b: the batch-stop calls. Each chunk is claimed by compare-and-set before its POST, so no
chunk is ever sent twice; then the request is SUBMITTED and its polling scheduled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.blocks.progress import jobs_submitted_message, stop_queued_message
from bot.bms.errors import CloudError, CloudUnavailable
from bot.core.audit import AuditKind
from bot.core.lifecycle import CHUNK_WATCHED, ChunkState, RequestState
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock, Schedule, StopCloud, Turns
from bot.stops.reach import show_state
from bot.stops.settle import Settlements
from bot.stops.trail import BOT, Trail
from bot.store import ChunkRow, StopRecord
from bot.store.chunks import ChunkStore
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)
QUEUE_NOTICE_SECONDS = 5.0  # a wait this long for a turn is said in the thread


@dataclass(frozen=True)
class Submissions:
    cloud: StopCloud
    requests: RequestStore
    chunks: ChunkStore
    settlements: Settlements
    schedule: Schedule
    clock: Clock
    trail: Trail
    owner: str  # this replica, written on each claim
    lease: float  # how long a claim stays live: longer than any stop POST with its retries
    turns: Turns | None = None  # Huawei's stop-call limit, for the whole bot (None: unpaced)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    async def send_pending(
        self, thread: RequestThread, record: StopRecord
    ) -> tuple[StopRecord, bool]:
        """Send every pending chunk; the record as it now stands, and False if another sender
        won a claim (then the record does not know that chunk's state: read it again)."""
        complete = True
        for chunk in record.in_state(ChunkState.PENDING):
            sent = await self._send(thread, record, chunk)
            if sent is None:
                complete = False
            else:
                record = record.with_chunk(sent)
        return record, complete

    async def _send(
        self, thread: RequestThread, record: StopRecord, chunk: ChunkRow
    ) -> ChunkRow | None:
        req = record.request
        now = self.clock()
        turn = now if self.turns is None else max(now, await self.turns.take(now))
        wait = turn - now
        # Claimed before waiting for its turn, the lease covering the wait: a queued call is
        # this sender's, never an orphan, and never sent by another.
        claimed = await self.chunks.claim(
            chunk, now, owner=self.owner, lease=wait + self.lease, sent_at=turn
        )
        if claimed is None:
            return None  # another sender has it
        if wait >= QUEUE_NOTICE_SECONDS:
            log.info("stop call queued", extra={"request": req.id, "wait": round(wait, 1)})
            await thread.say(stop_queued_message(len(chunk.server_ids), turn, wait))
        if (left := turn - self.clock()) > 0:
            await self.sleep(left)
        try:
            sent = await self.cloud.submit_stop(list(chunk.server_ids), soft=req.soft)
        except CloudUnavailable as err:
            if err.maybe_sent:
                return await self.settlements.give_up(thread, req, claimed, err)
            return await self.settlements.reject(thread, req, claimed, err)
        except CloudError as err:
            return await self.settlements.reject(thread, req, claimed, err)
        log.info(
            "stop submitted", extra={"request": req.id, "chunk": chunk.chunk_no, "job": sent.job_id}
        )
        audit = self.trail.event(
            AuditKind.SUBMITTED,
            req,
            BOT,
            job_ids=[sent.job_id],
            targets=chunk.server_ids,
            cloud_request_ids=[sent.request_id] if sent.request_id else [],
        )
        return await self.chunks.accepted(claimed, sent.job_id, self.clock(), [audit])

    async def finish(self, thread: RequestThread, record: StopRecord) -> None:
        """Every call settled: SUBMITTED, polling scheduled, the job ids in the thread."""
        if record.in_state(ChunkState.SUBMITTING):
            # Another sender holds a claim: stay CONFIRMED until it ends or recovery settles it.
            log.warning("a stop call is still being sent; leaving the request confirmed")
            return
        if not await self.requests.move(record.id, RequestState.SUBMITTED, self.clock()):
            return
        # Polling starts first, so no slow Slack call below can delay it. Nothing running (every
        # call refused or uncertain): report at once instead of after a poll interval.
        running = any(c.state in CHUNK_WATCHED for c in record.chunks)
        self.schedule.watch(record.id, first_in=None if running else 0)
        sent = [c for c in record.chunks if c.job_id]
        if sent:
            jobs = [c.job_id for c in sent if c.job_id]
            await thread.say(jobs_submitted_message(jobs, [len(c.server_ids) for c in sent]))
        if running:
            await show_state(thread, record, "running")
