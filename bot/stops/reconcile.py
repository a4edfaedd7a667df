"""Step 4b: stops whose answer was lost (UNCERTAIN) or whose job Huawei forgot (LOST), judged
each tick from the servers themselves (``bot/core/reconcile.py``).

Accepted after all: the results are per server and the thread says so. Never acted on: nothing
was stopped, the thread says so, and the requester gets a fresh preview with a "Submit again"
button (single use, through the same checks as any confirm).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.blocks.notices import not_accepted_message, reconciled_message
from bot.blocks.preview import preview_message
from bot.bms.errors import CloudError
from bot.bms.models import Server
from bot.core.clock import Timing
from bot.core.lifecycle import ChunkState
from bot.core.reconcile import NOT_ACCEPTED, NOT_ACCEPTED_CODE, Judgement, Reconciled, reconcile
from bot.slack.poster import Poster
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock, StopCloud
from bot.stops.preview import Previews
from bot.stops.reach import requester_of
from bot.store import ChunkRow, StopRecord
from bot.store.chunks import ChunkStore

log = logging.getLogger(__name__)
RECONCILED = "RECONCILED"  # the job status stored for results read from the servers
_JUDGED = frozenset({ChunkState.UNCERTAIN, ChunkState.LOST})


@dataclass(frozen=True)
class Reconciliations:
    cloud: StopCloud
    chunks: ChunkStore
    previews: Previews
    poster: Poster
    timing: Timing
    clock: Clock

    async def check(self, thread: RequestThread, record: StopRecord) -> StopRecord | None:
        """Judge every uncertain or lost chunk; the record as it now stands, or None if a chunk
        moved under this tick."""
        for chunk in record.chunks:
            if chunk.state not in _JUDGED:
                continue
            checked = await self._check(thread, record, chunk)
            if checked is None:
                return None
            record = record.with_chunk(checked)
        return record

    async def _check(
        self, thread: RequestThread, record: StopRecord, chunk: ChunkRow
    ) -> ChunkRow | None:
        try:
            found = await self.cloud.find_servers(chunk.server_ids)
        except CloudError as err:
            return await self.chunks.record_poll_failure(chunk, str(err), self.clock())
        now = self.clock()
        judged = reconcile(
            chunk.server_ids,
            found,
            record.request.names,
            waited=self.timing.waited_since(chunk.sent_at, now),
            window=self.timing.reconcile_window,
            job_known=chunk.job_id is not None,
        )
        if judged.judgement is Judgement.WAITING:
            return chunk
        if judged.judgement is Judgement.ACCEPTED:
            return await self._accepted(thread, chunk, judged)
        settled = await self.chunks.settle(
            chunk,
            ChunkState.REJECTED,
            judged.results,
            error_code=NOT_ACCEPTED_CODE,
            error_message=NOT_ACCEPTED,
            now=now,
        )
        if settled is not None:
            await self._not_accepted(thread, record, chunk, found, now)
        return settled

    async def _accepted(
        self, thread: RequestThread, chunk: ChunkRow, judged: Reconciled
    ) -> ChunkRow | None:
        ended = await self.chunks.ended(chunk, RECONCILED, judged.results, self.clock())
        if ended is not None:
            log.info("stop reconciled: accepted", extra={"chunk": chunk.chunk_no})
            if chunk.state is ChunkState.UNCERTAIN:
                await thread.say(reconciled_message(len(chunk.server_ids), judged.stopped))
        return ended

    async def _not_accepted(
        self,
        thread: RequestThread,
        record: StopRecord,
        chunk: ChunkRow,
        found: Mapping[str, Server],
        now: float,
    ) -> None:
        req = record.request
        log.warning("stop reconciled: never accepted", extra={"chunk": chunk.chunk_no})
        waited = self.timing.waited_since(chunk.sent_at, now)
        await thread.say(not_accepted_message(len(chunk.server_ids), waited, req.user_id))
        again = await self.previews.again(req, chunk.server_ids, found)
        await self.poster.tell_quietly(requester_of(req, now), preview_message(again, again=True))
