"""Step 3a: a confirmed request gets its public root message before anything is sent.

One root per request, whatever Slack does: a post Slack takes without answering ("no answer"),
or one the bot died right after, may be in the channel, so before posting again the bot looks
for it by its metadata and adopts it. While Slack can say neither, the request stays CONFIRMED
and nothing is sent; housekeeping tries again, and an old confirmation is never acted on (the
thread then says so).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.blocks.message import Message
from bot.blocks.notices import (
    not_in_channel_message,
    slack_refused_message,
    slack_silent_message,
    submitted_message,
)
from bot.blocks.progress import root_message
from bot.core.audit import AuditEvent, AuditKind
from bot.core.lifecycle import RequestState
from bot.ids import MetadataEvent
from bot.slack.place import Place
from bot.slack.poster import NotInChannel, Poster, SlackFailure, SlackUnreachable
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock
from bot.stops.reach import requester_of, thread_of
from bot.stops.trail import Trail
from bot.store import RequestRow, StopRecord
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)
ATTEMPTS = 3
LOOK_AFTER_SECONDS = 1.0  # give a post Slack did not answer a moment to show up


class _Unknown:
    """Slack could not say whether the root is there."""


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Roots:
    requests: RequestStore
    poster: Poster
    clock: Clock
    trail: Trail
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    async def open(
        self, record: StopRecord, place: Place | None, first: Message | None = None
    ) -> StopRecord | None:
        """The record with its root and thread, or None: nothing may be sent now. ``first`` is
        what the root says at first (the progress root, or an approval request).

        Slack refusing the post (it answered): with a person clicking, or when the answer is
        final, the request goes back to PREVIEWED (the same button works again) and the person
        is told why; during recovery a passing refusal leaves it CONFIRMED for housekeeping.
        """
        req = record.request
        if req.root_ts:
            return record
        thread = thread_of(record, self.poster)
        if req.root_unsure_at is None:
            # Marked before the first post: a crash between Slack taking it and its ts being
            # recorded leaves the mark, so the next try looks for it before posting again.
            await self.requests.root_unsure(req.id, self.clock())
        for attempt in range(ATTEMPTS):
            if attempt or req.root_unsure_at is not None:
                found = await self._look(thread, req)
                if isinstance(found, str):
                    return await self._adopt(record, found, req.thread_ts or found)
                if found is UNKNOWN:
                    await self.sleep(LOOK_AFTER_SECONDS * (attempt + 1))
                    continue
            try:
                opened = await thread.open(
                    first or root_message(record.summary(), 0, 0, "submitting")
                )
            except SlackUnreachable:
                req = await self._unsure(req)
                continue
            except SlackFailure as exc:
                await self._refused(record, place, exc)
                return None
            assert opened.root_ts is not None  # open() sets both
            assert opened.thread_ts is not None
            return await self._adopt(record, opened.root_ts, opened.thread_ts)
        log.warning(
            "Slack is not answering; the request stays confirmed", extra={"request": req.id}
        )
        if place is not None:
            await self.poster.tell_quietly(place, slack_silent_message())
        return None

    async def adopt(self, record: StopRecord, clicked_ts: str | None = None) -> StopRecord:
        """The record with its root if it has one, or if it can be found now: the message a
        person just clicked on (``clicked_ts``), or a post Slack took without answering,
        found by its metadata. Never posts."""
        req = record.request
        if req.root_ts:
            return record
        if clicked_ts:
            return await self._adopt(record, clicked_ts, req.thread_ts or clicked_ts)
        if req.root_unsure_at is None:
            return record
        found = await self._look(thread_of(record, self.poster), req)
        if isinstance(found, str):
            return await self._adopt(record, found, req.thread_ts or found)
        return record

    async def _look(self, thread: RequestThread, req: RequestRow) -> str | _Unknown | None:
        since = req.root_unsure_at or req.confirmed_at or req.created_at
        try:
            return await thread.find(MetadataEvent.ROOT, since)
        except SlackFailure as exc:
            log.warning("could not look for the root", extra={"error": exc.error})
            return UNKNOWN

    async def _unsure(self, req: RequestRow) -> RequestRow:
        now = self.clock()
        log.warning("root post unanswered: it may be in the channel", extra={"request": req.id})
        await self.requests.root_unsure(req.id, now)
        await self.sleep(LOOK_AFTER_SECONDS)
        return dataclasses.replace(req, root_unsure_at=now)

    async def _adopt(self, record: StopRecord, root_ts: str, thread_ts: str) -> StopRecord:
        """Record the root; the confirmation (or the approval request) enters the audit now,
        with its thread's link, in the same transaction: from here on it is public."""
        req = record.request
        changed = dataclasses.replace(
            req, root_ts=root_ts, thread_ts=thread_ts, root_unsure_at=None
        )
        audit = await self._made_public(changed)
        await self.requests.record_root(req.id, root_ts, thread_ts, self.clock(), audit)
        return record.with_request(changed)

    async def _made_public(self, req: RequestRow) -> list[AuditEvent]:
        if req.state is RequestState.AWAITING_APPROVAL:
            kind, detail = (
                AuditKind.APPROVAL_REQUESTED,
                {"why": req.approval.why if req.approval else ""},
            )
        elif req.state is RequestState.CONFIRMED:
            kind, detail = (AuditKind.BREAK_GLASS if req.break_glass else AuditKind.CONFIRMED), {}
        else:
            return []
        actor = await self.trail.who(req.user_id)  # only the requester confirms or asks
        return [self.trail.event(kind, req, actor, detail=detail)]

    async def _refused(self, record: StopRecord, place: Place | None, exc: SlackFailure) -> None:
        req = record.request
        log.warning("root post failed", extra={"request": req.id, "error": exc.error})
        if place is None and exc.transient:
            return
        now = self.clock()
        await self.requests.no_root(req.id, now)
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
