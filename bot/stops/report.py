"""Step 5: the per-server report, posted into the thread exactly once per part, and the end.

Each part is marked as maybe posted (a compare-and-set: one poster per part, even with two
replicas briefly leading at once), posted, then the stored count of posted parts is advanced by
compare-and-set. A crash, or a lost leadership, between the mark and the count leaves the mark:
whoever posts next looks for the part by its metadata first, and waits out a fresh mark (another
poster may be mid-post), so no part is repeated or lost. A passing Slack failure leaves the count
where it was and the next tick tries again, for up to the job timeout; a final one (or one that
lasts longer) is told to the requester privately, and the request finishes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.approval import finished_line
from bot.blocks.message import Message
from bot.blocks.notices import (
    report_file_refused_message,
    report_undeliverable_message,
    timeout_message,
)
from bot.blocks.report_file import ReportFile, report_parts
from bot.core.clock import Timing
from bot.core.lifecycle import ChunkState, RequestState
from bot.ids import MetadataEvent
from bot.slack.poster import NotInChannel, Poster, SlackFailure, SlackUnreachable
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock, Schedule
from bot.stops.reach import requester_of, show_state
from bot.stops.trail import Trail
from bot.store import RequestRow, StopRecord
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)
# A part marked this recently and not found may still be on its way (a Slack call's timeout and
# its connection retry, twice over): its poster's, not to be posted again yet.
PART_CLAIM_SECONDS = 45.0
_OUTCOME = {
    "done": "✅ Done",
    "partial": "⚠️ Partly failed",
    "failed": "❌ Failed",
    "uncertain": "❓ Uncertain",
    "timed_out": "⏱️ Timed out",
    "running": "⏳ Running",
    "submitting": "⏳ Submitting",
}


@dataclass(frozen=True)
class Reports:
    requests: RequestStore
    poster: Poster
    schedule: Schedule
    timing: Timing
    clock: Clock
    trail: Trail

    async def finish(self, thread: RequestThread, record: StopRecord) -> None:
        """Every job has ended: the report, the final root, and FINISHED."""
        req = record.request
        if req.state is not RequestState.REPORTING or not req.thread_ts:
            return
        if not await self._post_parts(thread, record):
            return
        outcome = record.outcome()
        await show_state(thread, record, outcome, final=True)
        audit = self.trail.outcome(record, outcome)
        if await self.requests.move(req.id, RequestState.FINISHED, self.clock(), audit):
            self.schedule.unwatch(req.id)
            thread.close()
            log.info("request finished", extra={"outcome": outcome})
            link = self.trail.link(req)
            await self.trail.announce(
                finished_line(record.summary(), _OUTCOME[outcome], req.channel_id, link)
            )

    async def time_out(self, thread: RequestThread, record: StopRecord) -> None:
        """Stop watching: say which jobs still run and how to check them; report what is known."""
        audit = self.trail.outcome(record, "timed_out")
        if not await self.requests.move(record.id, RequestState.TIMED_OUT, self.clock(), audit):
            return
        self.schedule.unwatch(record.id)
        running = [c.job_id for c in record.in_state(ChunkState.SUBMITTED) if c.job_id]
        log.warning("request timed out", extra={"jobs": running})
        await thread.say(timeout_message(running, self.timing.job_timeout))
        # Best effort, once: polling has stopped, so a part that fails now is not tried again.
        await self._post_parts(thread, record)
        await show_state(thread, record, "timed_out", final=True)
        thread.close()

    async def _post_parts(self, thread: RequestThread, record: StopRecord) -> bool:
        """Post the report parts not posted yet; False if a passing failure means "try again".

        A part Slack took without answering may be in the thread: the next try looks for it
        (by its metadata) before posting it again, so no part is posted twice.
        """
        req = record.request
        parts = report_parts(record.summary(), record.results())
        for index in range(req.report_parts_posted, len(parts)):
            seen = req.part_unsure_at if index == req.report_parts_posted else None
            found = await self._already_there(thread, req, parts[index], index, seen)
            if found is None:
                return False  # Slack cannot say yet, or another poster may be mid-post
            if not found:
                if not await self.requests.claim_part(req.id, index, seen, self.clock()):
                    return False  # another poster has this part
                try:
                    await _post(thread, parts[index])
                except SlackUnreachable as exc:
                    log.warning("report part unanswered: looking for it next tick")
                    await self.requests.part_unsure(req.id, self.clock())
                    return await self._not_posted(record, exc)
                except SlackFailure as exc:
                    if _file_unwelcome(parts[index], exc):
                        await self._file_refused(thread, record, exc)  # the summary stands
                    else:
                        await self.requests.part_refused(req.id, index, self.clock())
                        return await self._not_posted(record, exc)
            if not await self.requests.count_report_part(req.id, index, self.clock()):
                return False  # someone else is posting this report
        return True

    async def _already_there(
        self,
        thread: RequestThread,
        req: RequestRow,
        part: Message | ReportFile,
        index: int,
        seen: float | None,
    ) -> bool | None:
        """Whether ``part`` (number ``index + 1``), marked at ``seen``, is in the thread; None to
        try next tick (Slack cannot say, or a fresh mark not found: its poster may be mid-post)."""
        if seen is None:
            return False
        looked = await self._look(thread, req, part, index + 1)
        if looked is False and self.clock() - seen < PART_CLAIM_SECONDS:
            return None
        return looked

    async def _look(
        self, thread: RequestThread, req: RequestRow, part: Message | ReportFile, number: int
    ) -> bool | None:
        """Whether report part ``number`` is in the thread already; None if Slack cannot say.
        A post is found by its metadata, the file by its name."""
        if not thread.thread_ts:
            return False
        since = req.part_unsure_at or req.created_at
        try:
            if isinstance(part, ReportFile):
                ts = await thread.find_file(part.filename, since)
            else:
                ts = await thread.find(MetadataEvent.RESULT_PART, since, part=number)
        except SlackFailure as exc:
            log.warning("could not look for a report part", extra={"error": exc.error})
            return None
        return ts is not None

    async def _file_refused(
        self, thread: RequestThread, record: StopRecord, exc: SlackFailure
    ) -> None:
        """Slack will not take the file (no ``files:write``, uploads disabled): say so in the
        thread under the summary, and count the part as done."""
        log.error("report file refused; the summary stands", extra={"error": exc.error})
        await thread.say(report_file_refused_message(exc.error, record.job_ids))

    async def _not_posted(self, record: StopRecord, exc: SlackFailure) -> bool:
        """A part Slack refused: False to try again next tick, True once told privately."""
        req, now = record.request, self.clock()
        if exc.transient and not self.timing.report_overdue(req.finished_at, now):
            log.error("report post failed; retrying next tick", extra={"error": exc.error})
            return False
        log.error("report cannot be posted; telling the requester", extra={"error": exc.error})
        notice = report_undeliverable_message(req.id, exc.error, record.job_ids)
        await self.poster.tell_quietly(requester_of(req, now), notice)
        return True


async def _post(thread: RequestThread, part: Message | ReportFile) -> None:
    if isinstance(part, ReportFile):
        await thread.post_file(part)
    else:
        await thread.post_part(part)


def _file_unwelcome(part: Message | ReportFile, exc: SlackFailure) -> bool:
    """Slack takes posts in this thread but will not take the file, and never will."""
    return isinstance(part, ReportFile) and not exc.transient and not isinstance(exc, NotInChannel)
