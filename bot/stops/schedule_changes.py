"""People changing a scheduled stop: Cancel, Postpone (an hour, or a time of their own), and
after a miss Run now and Reschedule; the buttons and ``/bms cancel`` / ``/bms postpone`` alike.

Each change is one compare-and-set in ``store.schedules`` (a Postpone must still see the time it
was clicked from); who may change a schedule is ``Gate.may_change_schedule``; everything people
are told about a change they cannot make says why, from the row as it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.blocks.message import Message
from bot.blocks.policy import directory_down_message
from bot.blocks.problems import problem_line
from bot.blocks.schedule import (
    cancelled_reply,
    moved_meanwhile_message,
    not_allowed_message,
    postponed_reply,
    rescheduled_reply,
    run_now_reply,
    schedule_closed_message,
    starting_now_message,
    still_announcing_message,
)
from bot.core.audit import AuditKind
from bot.core.lifecycle import SCHEDULE_OPEN_STATES, WAITING_STATES, RequestState
from bot.core.problems import Problem, ProblemKind
from bot.core.when import After, When, resolve
from bot.policy.people import DirectoryUnavailable
from bot.slack.place import Place
from bot.stops.reach import thread_of
from bot.stops.schedules import Schedules, iso, log, run_time
from bot.store import RequestRow, StopRecord
from bot.store.requests import Start


@dataclass(frozen=True)
class ScheduleChanges:
    at: Schedules  # the schedule's own steps: the announcement, the start, the alarm

    async def _changeable(
        self, request_id: str, place: Place, states: frozenset[RequestState]
    ) -> RequestRow | None:
        """The schedule if it is in ``states`` and ``place``'s person may change it; else they
        are told why not."""
        req = await self.at.requests.get(request_id)
        if req is None or req.run_at is None or req.state not in states:
            await self._cannot(req, place)
            return None
        if states == WAITING_STATES and req.run_at <= self.at.clock():
            await self.at.poster.tell(place, starting_now_message(), replace=False)
            return None
        try:
            allowed = await self.at.gate.may_change_schedule(req, place.user_id)
        except DirectoryUnavailable:
            await self.at.poster.tell(place, directory_down_message(), replace=False)
            return None
        if not allowed:
            detail = {"step": "change schedule"}
            await self.at.trail.note(AuditKind.REFUSED, req, place.user_id, detail=detail)
            await self.at.poster.tell(
                place, not_allowed_message(self.at.who_may(req)), replace=False
            )
            return None
        announced = (await self.at.roots.adopt(StopRecord(req, ()), place.clicked_ts)).request
        if announced.root_ts is None:
            # Its announcement is being posted (or Slack has not said where): a change now
            # would never show there, so it waits for the announcement.
            await self.at.poster.tell(place, still_announcing_message(), replace=False)
            return None
        return announced

    async def changeable(self, request_id: str, place: Place, *, missed: bool) -> bool:
        """Whether ``place``'s person may postpone (or, ``missed``, reschedule) it now."""
        states = frozenset({RequestState.MISSED}) if missed else WAITING_STATES
        return await self._changeable(request_id, place, states) is not None

    async def cancel(self, request_id: str, place: Place) -> None:
        """Cancel (the button or ``/bms cancel``): nothing will stop."""
        req = await self._changeable(request_id, place, SCHEDULE_OPEN_STATES)
        if req is None:
            return
        now = self.at.clock()
        if not await self.at.close(
            req, place.user_id, now, reply=cancelled_reply(place.user_id, now), why="cancelled"
        ):
            await self._changed_meanwhile(request_id, place)
            return
        log.info("scheduled stop cancelled", extra={"request": req.id, "user": place.user_id})
        await self.at.poster.tell(place, cancelled_reply(place.user_id, now), replace=False)

    async def postpone(
        self, request_id: str, place: Place, when: When, seen: float | None = None
    ) -> str | None:
        """Postpone 1 hour, the modal, or ``/bms postpone``: later by a duration, or to a time
        (never earlier than it is now). ``seen``: the time the person postponed from (a
        modal's); a problem with the new time is returned as its words, and nothing changes."""
        req = await self._changeable(request_id, place, WAITING_STATES)
        if req is None:
            return None
        assert req.run_at is not None
        if seen is not None and seen != req.run_at:
            await self.at.poster.tell(place, moved_meanwhile_message(), replace=False)
            return None
        now = self.at.clock()
        new = await self._new_time(req, place, when, now, base=req.run_at)
        if isinstance(new, str):
            return new
        if new <= req.run_at:
            return (
                "Postpone moves a stop later; to run it sooner, cancel it and schedule a new one."
            )
        reminders = self.at.rules.reminder_times(new, now)
        actor = await self.at.trail.who(place.user_id)
        detail = {"from": iso(req.run_at), "to": iso(new)}
        audit = [self.at.trail.event(AuditKind.POSTPONED, req, actor, detail=detail)]
        if not await self.at.schedules.postpone(
            req.id,
            place.user_id,
            now,
            seen_run_at=req.run_at,
            run_at=new,
            reminders=reminders,
            audit=audit,
        ):
            await self._changed_meanwhile(request_id, place)
            return None
        log.info("scheduled stop postponed", extra={"request": req.id, "run_at": new})
        await self._moved(req, new, postponed_reply(place.user_id, req.run_at, new))
        return None

    async def reschedule(self, request_id: str, place: Place, when: When) -> str | None:
        """Reschedule a missed stop (its modal): a new time, its reminders, a new alarm."""
        req = await self._changeable(request_id, place, frozenset({RequestState.MISSED}))
        if req is None:
            return None
        now = self.at.clock()
        new = await self._new_time(req, place, when, now, base=now)
        if isinstance(new, str):
            return new
        reminders = self.at.rules.reminder_times(new, now)
        actor = await self.at.trail.who(place.user_id)
        audit = [
            self.at.trail.event(
                AuditKind.POSTPONED, req, actor, detail={"to": iso(new), "how": "rescheduled"}
            )
        ]
        if not await self.at.schedules.reschedule(
            req.id, place.user_id, now, run_at=new, reminders=reminders, audit=audit
        ):
            await self._changed_meanwhile(request_id, place)
            return None
        await self._moved(req, new, rescheduled_reply(place.user_id, new))
        return None

    async def _moved(self, req: RequestRow, run_at: float, reply: Message) -> None:
        """A schedule moved to ``run_at``: the announcement shows it, the thread hears
        ``reply``, and the alarm follows."""
        await self.at.show(req.id)
        await thread_of(StopRecord(req, ()), self.at.poster).say(reply)
        await self.at.arm(dataclasses.replace(req, run_at=run_at))

    async def run_now(self, request_id: str, place: Place) -> StopRecord | None:
        """Run now on a missed stop: started at once, exactly once however many click."""
        req = await self._changeable(request_id, place, frozenset({RequestState.MISSED}))
        if req is None:
            return None
        record = await self.at.start(req, Start.RUN_NOW, self.at.clock(), user_id=place.user_id)
        if record is None:
            fresh = await self.at.requests.get(request_id)
            if fresh is not None and fresh.state is not RequestState.MISSED:
                await self.at.poster.tell(
                    place, schedule_closed_message(fresh.state.value), replace=False
                )
            return None
        await thread_of(record, self.at.poster).say(run_now_reply(place.user_id))
        return record

    async def _new_time(
        self, req: RequestRow, place: Place, when: When, now: float, *, base: float
    ) -> float | str:
        """The new time ``when`` names for this person (a duration counts from ``base``), or
        the words of what is wrong with it."""
        zone = await self._zone(place.user_id)
        counts_from = base if isinstance(when, After) and not when.from_now else now
        start = datetime.fromtimestamp(counts_from, UTC)
        resolved = resolve(when, zone, start, self.at.rules.horizon_days)
        if isinstance(resolved, Problem):
            return problem_line(resolved)
        if resolved.timestamp() - now > self.at.rules.horizon_days * 86400:
            return problem_line(Problem(ProblemKind.TIME_TOO_FAR, limit=self.at.rules.horizon_days))
        return run_time(resolved)

    async def _zone(self, user_id: str) -> str | None:
        try:
            return (await self.at.gate.people.person(user_id)).tz
        except DirectoryUnavailable:
            return None

    async def _changed_meanwhile(self, request_id: str, place: Place) -> None:
        fresh = await self.at.requests.get(request_id)
        if fresh is not None and fresh.state in WAITING_STATES:
            due_now = fresh.run_at is not None and fresh.run_at <= self.at.clock()
            await self.at.poster.tell(
                place,
                starting_now_message() if due_now else moved_meanwhile_message(),
                replace=False,
            )
            return
        await self._cannot(fresh, place)

    async def _cannot(self, req: RequestRow | None, place: Place) -> None:
        """Why a schedule's button or command cannot act on ``req`` as it is."""
        state = req.state.value if req else None
        scheduled = req is None or req.run_at is not None
        await self.at.poster.tell(
            place, schedule_closed_message(state, scheduled=scheduled), replace=False
        )
