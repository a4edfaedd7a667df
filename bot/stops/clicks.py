"""Step 2: the requester's click. One compare-and-set decides the single winner among double clicks,
concurrent clicks and replays; every loser is told what happened instead."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.blocks.notices import (
    already_handled_message,
    cancelled_message,
    expired_message,
    not_yours_message,
    taken_message,
)
from bot.core.clicks import Refusal, refusal
from bot.core.clock import Timing
from bot.core.lifecycle import RequestState, chunks
from bot.logs import request_id_var
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.stops.ports import Clock
from bot.store import RequestRow, StopRecord
from bot.store.requests import AllTaken, RequestStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clicks:
    requests: RequestStore
    poster: Poster
    timing: Timing
    clock: Clock

    async def confirm(self, request_id: str, place: Place) -> StopRecord | None:
        """The confirmed request with its chunks if this click won; None if it was refused."""
        request_id_var.set(request_id)  # every log line of this click (its own task) names it
        now = self.clock()
        req = await self.requests.get(request_id)
        if await self._refused(req, place, now):
            return None
        assert req is not None  # a missing request is always refused
        ids = chunks([t.id for t in req.targets])
        try:
            record = await self.requests.confirm(request_id, place.user_id, now, ids)
        except AllTaken as all_taken:
            notice = taken_message(all_taken.taken, req.names, left=0)
            await self.poster.tell(place, notice, replace=False)
            return None
        if record is None:
            # Lost a race with a concurrent click (or the clock ran out meanwhile): say so.
            fresh = await self.requests.get(request_id)
            if not await self._refused(fresh, place, now):
                # The winner put it back meanwhile (it could not post here): click again.
                await self.poster.tell(place, already_handled_message("previewed"), replace=False)
            return None
        log.info("request confirmed", extra={"request": request_id, "user": place.user_id})
        taken = {s.id: s.by_request for s in record.request.skipped if s.by_request}
        if taken:
            left = len(record.request.targets)
            await self.poster.tell(place, taken_message(taken, req.names, left=left), replace=False)
        return record

    async def cancel(self, request_id: str, place: Place) -> None:
        """Only the requester, only while previewed; anyone else is told why not."""
        request_id_var.set(request_id)
        now = self.clock()
        if await self._refused(await self.requests.get(request_id), place, now):
            return
        if not await self.requests.cancel(request_id, place.user_id, now):
            await self._refused(await self.requests.get(request_id), place, now)
            return
        log.info("request cancelled", extra={"request": request_id, "user": place.user_id})
        await self.poster.tell(place, cancelled_message(), replace=True)

    async def _refused(self, req: RequestRow | None, place: Place, now: float) -> bool:
        """Answer a click that cannot act; True if it was refused."""
        why = refusal(req, place.user_id, now)
        if why is None:
            return False
        if why is Refusal.EXPIRED and req is not None:
            await self.requests.move(req.id, RequestState.EXPIRED, now)
        message, replace = self._refusal_message(why, req)
        await self.poster.tell(place, message, replace=replace)
        return True

    def _refusal_message(self, why: Refusal, req: RequestRow | None) -> tuple[Message, bool]:
        """What to tell the clicker, and whether it replaces the preview."""
        if why is Refusal.NOT_YOURS and req is not None:
            return not_yours_message(req.user_id), False
        if why is Refusal.HANDLED and req is not None:
            return already_handled_message(req.state.value), False
        return expired_message(self.timing.confirm_ttl), True
