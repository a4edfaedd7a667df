"""Scheduled stops: announced at the click (or the approval), reminded, started at their time,
or missed when they could not run in time (people changing them: ``schedule_changes.py``).

The row decides everything (``bot/core/schedule.py`` for the rules, ``store.schedules`` for the
compare-and-sets); the alarm is only a clock and may ring late, twice, or not at all (the
minute's sweep rings it then). Starting is ``RequestStore.confirm`` with ``Start``, after which
the stop runs exactly as an immediate one (``StopService._launch``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.blocks.approval import not_stopped_after_all_message
from bot.blocks.message import Message, notice
from bot.blocks.notices import already_handled_message
from bot.blocks.policy import mentions, no_longer_allowed_text
from bot.blocks.problems import problem_line
from bot.blocks.schedule import (
    announcement_message,
    missed_message,
    nothing_left_scheduled_message,
    reminder_message,
    scheduled_message,
    starting_message,
)
from bot.bms.errors import CloudError
from bot.core.audit import AuditKind
from bot.core.classify import classify
from bot.core.lifecycle import SCHEDULE_OPEN_STATES, WAITING_STATES, RequestState, chunks
from bot.core.models import SkipReason
from bot.core.problems import Problem, ProblemKind
from bot.core.schedule import (
    RETRY_SECONDS,
    Due,
    Scheduling,
    due,
    late_by,
    next_wake,
    reminders_due,
)
from bot.policy.people import DirectoryUnavailable
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.stops.gate import Gate
from bot.stops.ports import Clock, Schedule, StopCloud
from bot.stops.reach import thread_of
from bot.stops.root import Roots
from bot.stops.trail import BOT, Trail
from bot.store import RequestRow, StopRecord
from bot.store.requests import AllTaken, RequestStore, Start
from bot.store.schedules import ScheduleStore

log = logging.getLogger(__name__)
_CHANGED = (SkipReason.UNKNOWN, SkipReason.STOPPED, SkipReason.STOPPING)


def run_time(at: datetime) -> float:
    """A schedule's time in whole seconds (the modal and the buttons carry it exactly)."""
    return float(math.ceil(at.timestamp()))


@dataclass(frozen=True)
class Schedules:
    requests: RequestStore
    schedules: ScheduleStore
    poster: Poster
    gate: Gate
    cloud: StopCloud
    roots: Roots
    alarms: Schedule
    rules: Scheduling
    clock: Clock
    trail: Trail

    # -- announcing ---------------------------------------------------------------------------

    async def schedule(
        self, req: RequestRow, place: Place | None, *, approved: bool = False
    ) -> None:
        """The requester's click (or the approval) on a scheduled preview: SCHEDULED with its
        reminders, then the announcement, which becomes the thread root."""
        now = self.clock()
        assert req.run_at is not None
        reminders = self.rules.reminder_times(req.run_at, now)
        actor = await self.trail.who(place.user_id if place and not approved else req.user_id)
        detail = {"run_at": iso(req.run_at), "reminders": str(len(reminders))}
        audit = [self.trail.event(AuditKind.SCHEDULED, req, actor, detail=detail)]
        late = APPROVED_LATE if approved and req.run_at <= now else None
        if not await self.schedules.schedule(
            req.id, req.user_id, now, reminders, approved=approved, late_reason=late, audit=audit
        ):
            if place is not None:
                await self._lost_click(req.id, place, now)
            return
        log.info("stop scheduled", extra={"request": req.id, "run_at": req.run_at})
        scheduled = await self.requests.get(req.id) or dataclasses.replace(
            req, state=RequestState.SCHEDULED
        )
        announcement = self.announcement(scheduled)
        opened = await self.roots.open(StopRecord(scheduled, ()), place, announcement)
        if opened is None:  # refused: back to PREVIEWED and told
            fresh = await self.requests.get(req.id)
            if fresh is not None and fresh.state is RequestState.SCHEDULED:
                await self.arm(fresh)  # unanswered: the sweep posts it; the time still holds
            else:
                self.alarms.disarm(req.id)  # one the leader's sweep set meanwhile
            return
        if scheduled.root_ts:  # the approval request was the root: it becomes the announcement
            await thread_of(opened, self.poster).show(announcement)
        if place is not None:
            notice_ = scheduled_message(req.id, req.channel_id, req.run_at)
            await self.poster.tell(place, notice_, replace=True)
        await self.arm(opened.request)

    async def _lost_click(self, request_id: str, place: Place, now: float) -> None:
        fresh = await self.requests.get(request_id)
        if fresh is not None and fresh.run_at is not None and fresh.run_at <= now:
            past = Problem(ProblemKind.TIME_PAST, example="in 1h")
            text = f"The time of this stop has passed: {problem_line(past)}. Nothing was scheduled."
            await self.poster.tell(place, notice(text), replace=True)
            return
        state = fresh.state.value if fresh else "gone"
        await self.poster.tell(place, already_handled_message(state), replace=False)

    def announcement(self, req: RequestRow) -> Message:
        who_may = self.who_may(req)
        return announcement_message(req.schedule(), who_may)

    def who_may(self, req: RequestRow) -> str:
        changers = self.gate.changers(req)
        others = f" or {mentions(changers, self.gate.groups)}" if changers else ""
        return f"<@{req.user_id}>{others}"

    async def show(self, request_id: str) -> None:
        """The announcement as the row says now, read again after each edit until it holds
        still: two changes racing (a Cancel landing during a Postpone) can each edit, but the
        last edit always shows the last change. A schedule that has started is the progress
        message's now; it is left alone."""
        shown: tuple[object, ...] | None = None
        for _ in range(SHOW_ATTEMPTS):
            req = await self.requests.get(request_id)
            if req is None or req.run_at is None or req.state not in _ANNOUNCED:
                return
            now_showing = (req.state, req.run_at, req.changed_by)
            if now_showing == shown:
                return
            record = StopRecord(req, ())
            await thread_of(record, self.poster).show(self.announcement(req), final=True)
            shown = now_showing

    async def announce_unseen(self) -> None:
        """Waiting schedules whose announcement Slack never confirmed: find it or post it."""
        for req in await self.schedules.unannounced():
            opened = await self.roots.open(StopRecord(req, ()), None, self.announcement(req))
            if opened is not None:
                await self.arm(opened.request)

    # -- the clock ----------------------------------------------------------------------------

    async def arm(self, req: RequestRow) -> None:
        """Set the alarm for the schedule's next moment (a reminder, or its time)."""
        assert req.run_at is not None
        pending = await self._pending(req.id)
        self.alarms.alarm(req.id, next_wake(pending, req.run_at, self.clock()))

    async def _pending(self, request_id: str) -> list[tuple[int, float]]:
        """(id, due time) of the schedule's reminders still to post, as the rules take them."""
        return [(r.id, r.due_at) for r in await self.schedules.pending(request_id)]

    async def rebuild(self) -> int:
        """At start: the announcements a crash kept from Slack, then an alarm for every waiting
        schedule (a past time rings at once)."""
        await self.announce_unseen()
        waiting = await self.schedules.waiting()
        for req in waiting:
            await self.arm(req)
        return len(waiting)

    async def arm_unarmed(self) -> int:
        """The leader's sweep: an alarm for each announced waiting schedule without one (made
        on another replica); how many."""
        armed = set(self.alarms.armed())
        waiting = await self.schedules.waiting()
        # Unannounced ones are their clicker's (or housekeeping's, if a crash kept them unseen).
        new = [req for req in waiting if req.id not in armed and req.root_ts is not None]
        for req in new:
            await self.arm(req)
        return len(new)

    async def overdue(self) -> list[str]:
        """Waiting schedules whose next moment has come (the sweep's backstop for a lost
        alarm): their ids."""
        return await self.schedules.overdue(self.clock())

    async def wake(self, request_id: str) -> StopRecord | None:
        """The alarm rang: post the due reminder, or start the stop (the confirmed record,
        for the service to send), or call it missed. Anything else was decided meanwhile."""
        req = await self.requests.get(request_id)
        if req is None or req.state not in WAITING_STATES or req.run_at is None:
            return None
        if req.root_ts is None:  # a crash (or a silent Slack) came before its announcement
            opened = await self.roots.open(StopRecord(req, ()), None, self.announcement(req))
            req = opened.request if opened is not None else req
        assert req.run_at is not None
        now = self.clock()
        plan = reminders_due(await self._pending(req.id), req.run_at, now)
        for skipped in plan.skip:
            await self.schedules.skip_reminder(skipped, now)
        if plan.post is not None and await self.schedules.claim_reminder(plan.post, now):
            await thread_of(StopRecord(req, ()), self.poster).say(
                reminder_message(req.schedule(), now)
            )
        verdict = due(req.run_at, now, self.rules.grace)
        if verdict is Due.WAIT:
            await self.arm(req)
            return None
        if verdict is Due.MISSED:
            await self._miss(req, now)
            return None
        return await self.start(req, Start.SCHEDULE, now)

    async def _miss(self, req: RequestRow, now: float) -> None:
        audit = [
            self.trail.event(
                AuditKind.MISSED, req, BOT, detail={"late_by": f"{now - (req.run_at or now):.0f}s"}
            )
        ]
        if not await self.schedules.miss(req.id, now, self.rules.grace, audit):
            return
        log.warning("scheduled stop missed", extra={"request": req.id})
        missed = dataclasses.replace(
            req, state=RequestState.MISSED, late_by=now - (req.run_at or now)
        )
        await self.show(req.id)
        await thread_of(StopRecord(missed, ()), self.poster).say(missed_message(missed.schedule()))

    async def start(
        self, req: RequestRow, by: Start, now: float, user_id: str | None = None
    ) -> StopRecord | None:
        """Its time came (or Run now): the policy and the servers judged again, the changed
        ones left out and listed, then CONFIRMED with its chunks, once."""
        ids = [t.id for t in req.targets]
        try:
            found = await self.cloud.find_servers(ids)
            check = await self.gate.recheck(req, found)
        except (DirectoryUnavailable, CloudError) as exc:
            log.warning(
                "could not check a due schedule; trying again",
                extra={"request": req.id, "error": str(exc)},
            )
            await self.schedules.note_late(req.id, _why_not_now(exc), now)
            self.alarms.alarm(req.id, now + RETRY_SECONDS)
            return None
        if not check.verdict.allowed:
            why = no_longer_allowed_text(
                check.verdict, req.user_id, req.channel_id, self.gate.groups
            )
            await self.close(req, None, now, reply=not_stopped_after_all_message(why), why=why)
            return None
        _, skipped = classify(ids, found)
        changed = [s for s in skipped if s.reason in _CHANGED]
        audit_kind = AuditKind.CONFIRMED
        actor = await self.trail.who(user_id or req.user_id)
        try:
            record = await self.requests.confirm(
                req.id,
                user_id or req.user_id,
                now,
                chunks(ids),
                by=by,
                protected=check.protected,
                changed=changed,
                audit=lambda r: [
                    self.trail.event(audit_kind, r, actor, detail={"start": by.value})
                ],
            )
        except AllTaken as left:
            reply = nothing_left_scheduled_message(left.changed, len(left.taken))
            await self.close(req, None, now, reply=reply, why="nothing left to stop")
            return None
        if record is None:
            return None  # cancelled, postponed or started meanwhile: that one decided
        left_out = [
            s
            for s in record.request.skipped
            if s.reason in (*_CHANGED, SkipReason.PROTECTED, SkipReason.TAKEN)
        ]
        late = late_by(req.run_at or now, now)
        log.info("scheduled stop starting", extra={"request": req.id, "late_by": late or 0})
        await thread_of(record, self.poster).say(
            starting_message(
                len(record.request.targets),
                late,
                [s for s in left_out if s.id in set(ids)],
                req.late_reason,
            )
        )
        return record

    async def close(
        self, req: RequestRow, by: str | None, now: float, *, reply: Message, why: str
    ) -> bool:
        """Open → CANCELLED, with the announcement and the thread told; False if it lost."""
        actor = await self.trail.who(by)
        audit = [
            self.trail.event(
                AuditKind.CANCELLED, req, actor, detail={"how": "schedule", "why": why}
            )
        ]
        if not await self.schedules.cancel(req.id, by or "", now, audit):
            return False
        self.alarms.disarm(req.id)
        await self.show(req.id)
        await thread_of(StopRecord(req, ()), self.poster).say(reply)
        return True


APPROVED_LATE = "it was approved only after its time"
SHOW_ATTEMPTS = 3
_ANNOUNCED = SCHEDULE_OPEN_STATES | {RequestState.CANCELLED}


def _why_not_now(exc: Exception) -> str:
    """Why a due stop could not start this moment, as the thread will say it."""
    if isinstance(exc, DirectoryUnavailable):
        return "Slack could not say who the requester is at its time, so it was tried again"
    return (
        "Huawei Cloud could not be reached to check the servers at its time, so it was tried again"
    )


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
