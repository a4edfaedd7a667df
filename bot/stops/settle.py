"""Settling a stop call that did not become a job: refused (nothing stopped) or unanswered (it
may have been accepted). Used by the sender and by recovery; said in the thread either way."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.blocks.notices import cloud_error_message, uncertain_submit_message
from bot.blocks.text import plural
from bot.bms.errors import CloudError
from bot.core.lifecycle import ChunkState
from bot.core.models import Outcome
from bot.core.results import uniform_results
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock
from bot.store import ChunkRow, RequestRow
from bot.store.chunks import ChunkStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settlements:
    chunks: ChunkStore
    clock: Clock

    async def reject(
        self, thread: RequestThread, req: RequestRow, chunk: ChunkRow, err: CloudError
    ) -> ChunkRow | None:
        """Huawei refused the call: nothing in this chunk was stopped."""
        settled = await self._settle(req, chunk, err, ChunkState.REJECTED, Outcome.FAILED)
        log.warning(
            "stop rejected", extra={"request": req.id, "chunk": chunk.chunk_no, "error": str(err)}
        )
        doing = f"stopping {plural(len(chunk.server_ids), 'server')}"
        await thread.say(cloud_error_message(err, doing, stopping=True))
        return settled

    async def give_up(
        self, thread: RequestThread, req: RequestRow, chunk: ChunkRow, err: CloudError
    ) -> ChunkRow | None:
        """No answer to the POST: it may have been accepted. Never resend blindly; say so."""
        settled = await self._settle(req, chunk, err, ChunkState.UNCERTAIN, Outcome.UNKNOWN)
        if settled is not None:
            log.warning("stop uncertain", extra={"request": req.id, "chunk": chunk.chunk_no})
            notice: Message = uncertain_submit_message(len(chunk.server_ids), err)
            await thread.say(notice)
        return settled

    async def _settle(
        self,
        req: RequestRow,
        chunk: ChunkRow,
        err: CloudError,
        to: ChunkState,
        outcome: Outcome,
    ) -> ChunkRow | None:
        results = uniform_results(chunk.server_ids, req.names, outcome, err.code, err.message)
        return await self.chunks.settle(
            chunk, to, results, error_code=err.code, error_message=err.message, now=self.clock()
        )
