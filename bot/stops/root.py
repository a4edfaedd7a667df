"""Step 3a: a confirmed request gets its public root message before anything is sent."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from bot.blocks.notices import not_in_channel_message, slack_refused_message, submitted_message
from bot.blocks.progress import root_message
from bot.core.lifecycle import RequestState
from bot.slack.place import Place
from bot.slack.poster import NotInChannel, Poster, SlackFailure
from bot.stops.ports import Clock
from bot.stops.reach import requester_of, thread_of
from bot.store import StopRecord
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Roots:
    requests: RequestStore
    poster: Poster
    clock: Clock

    async def open(self, record: StopRecord, place: Place | None) -> StopRecord | None:
        """Post the root once; the record with its root and thread, or None: nothing is sent.

        With a person clicking, or when Slack's answer is final, the request goes back to
        PREVIEWED (the same button works again) and the person is told why. During recovery a
        passing failure leaves it CONFIRMED for housekeeping to try again.
        """
        req = record.request
        if req.root_ts:
            return record
        message = root_message(record.summary(), 0, 0, "submitting")
        try:
            opened = await thread_of(record, self.poster).open(message)
        except SlackFailure as exc:
            await self._refused(record, place, exc)
            return None
        assert opened.root_ts is not None  # open() sets both
        assert opened.thread_ts is not None
        await self.requests.record_root(req.id, opened.root_ts, opened.thread_ts, self.clock())
        return record.with_request(
            dataclasses.replace(req, root_ts=opened.root_ts, thread_ts=opened.thread_ts)
        )

    async def _refused(self, record: StopRecord, place: Place | None, exc: SlackFailure) -> None:
        req = record.request
        log.warning("root post failed", extra={"request": req.id, "error": exc.error})
        if place is None and exc.transient:
            return
        now = self.clock()
        await self.requests.move(req.id, RequestState.PREVIEWED, now)
        if isinstance(exc, NotInChannel):
            notice = not_in_channel_message()
        else:
            notice = slack_refused_message(exc.error)
        await self.poster.tell_quietly(place or requester_of(req, now), notice)

    async def tell_underway(self, record: StopRecord, place: Place) -> None:
        """Replace the clicker's preview with "stopping N servers: follow the thread"."""
        req = record.request
        notice = submitted_message(req.id, req.channel_id, count=len(req.targets))
        try:
            await self.poster.tell(place, notice, replace=True)
        except SlackFailure as exc:  # the thread still tells everything; don't stop for this
            log.warning("could not replace preview", extra={"error": exc.error})
