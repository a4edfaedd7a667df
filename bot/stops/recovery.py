"""After a crash: settle the calls a dead sender left behind, before the request goes on.

A chunk still SUBMITTING was claimed by a sender that may have reached Huawei. Its sender is known
dead at start-up when the bot runs alone (a SQLite file is held by one process, and it just
started); otherwise, with several replicas or while running, only once the claim's lease has run
out (the claimer's ``lease_until``, longer than any send can take). Either way it is uncertain,
never resent. A chunk never sent, of a confirmation older than its window, is not sent at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.bms.errors import CloudRejected, CloudUnavailable
from bot.core.clock import Timing
from bot.core.lifecycle import ChunkState
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock
from bot.stops.settle import Settlements
from bot.store import ChunkRow, StopRecord

STALE_CODE = "BOT.STALE"
_ORPHANED = "the bot stopped while sending this stop"
_STALE = (
    "not sent: the bot was down for longer than the confirmation window, so this old "
    "confirmation was not acted on. Run the command again if it is still needed."
)


@dataclass(frozen=True)
class Recoveries:
    settlements: Settlements
    timing: Timing
    clock: Clock
    alone: bool = True  # no other replica can hold a claim (SQLite)

    async def settle_orphans(
        self, thread: RequestThread, record: StopRecord, *, at_start: bool
    ) -> StopRecord | None:
        """The record with orphaned and stale chunks settled; None if one moved under us."""
        now = self.clock()
        too_old = self.timing.confirmation_too_old(record.request.confirmed_at, now)
        for chunk in record.chunks:
            orphaned = (at_start and self.alone) or self._lease_over(chunk, now)
            if chunk.state is ChunkState.SUBMITTING and orphaned:
                settled = await self._orphaned(thread, record, chunk)
            elif chunk.state is ChunkState.PENDING and too_old:
                stale = CloudRejected(_STALE, code=STALE_CODE)
                settled = await self.settlements.reject(thread, record.request, chunk, stale)
            else:
                continue
            if settled is None:
                return None
            record = record.with_chunk(settled)
        return record

    def in_hand(self, record: StopRecord, *, at_start: bool) -> bool:
        """A live sender holds a claim on one of its calls (sending, or queued for its turn):
        nothing to recover now."""
        if at_start and self.alone:
            return False
        now = self.clock()
        return any(
            c.state is ChunkState.SUBMITTING and not self._lease_over(c, now) for c in record.chunks
        )

    def _lease_over(self, chunk: ChunkRow, now: float) -> bool:
        if chunk.lease_until is not None:
            return chunk.lease_until <= now
        return self.timing.claim_orphaned(chunk.updated_at, now)  # claimed before leases

    async def _orphaned(
        self, thread: RequestThread, record: StopRecord, chunk: ChunkRow
    ) -> ChunkRow | None:
        err = CloudUnavailable(_ORPHANED, maybe_sent=True)
        return await self.settlements.give_up(thread, record.request, chunk, err)
