"""``StopService``: the one face of a stop request's life cycle (``bot/core/lifecycle.py``).

Every state change of a request goes through one of its methods. Each step is a small object
built here once, holding exactly the collaborators it uses; a method reads the request once and
hands the snapshot from step to step:

    preview ─▶ confirm ─▶ open the root ─▶ send the calls ─▶ (poll ticks) ─▶ report ─▶ finished
               cancel                       resume after a crash            time out

A new state is a new row in the transition table and one new step here, not edits everywhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from datetime import UTC, datetime

from bot.blocks.approval import break_glass_alert
from bot.blocks.notices import cloud_error_message, selection_refused_message
from bot.blocks.policy import directory_down_message, mentions, refused_message
from bot.blocks.preview import preview_message
from bot.blocks.schedule import time_refused_message, when_line
from bot.bms.errors import CloudError
from bot.core.audit import AuditKind
from bot.core.clock import Timing, events_forgotten_before
from bot.core.lifecycle import CHUNK_SETTLED, RequestState
from bot.core.parser import StopCommand
from bot.core.problems import Problem
from bot.core.schedule import RETRY_SECONDS, Scheduling
from bot.core.when import When, resolve, zone_name
from bot.logs import request_id_var
from bot.policy.model import Policy
from bot.policy.people import DirectoryUnavailable
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.slack.thread import RequestThread
from bot.stops.approvals import Approvals
from bot.stops.clicks import Asked, Clicks, ToSchedule
from bot.stops.gate import Gate
from bot.stops.poll import Polls
from bot.stops.ports import Clock, People, Schedule, StopCloud, Turns
from bot.stops.preview import Previews
from bot.stops.reach import thread_of
from bot.stops.reconcile import Reconciliations
from bot.stops.recovery import Recoveries
from bot.stops.report import Reports
from bot.stops.root import Roots
from bot.stops.schedule_changes import ScheduleChanges
from bot.stops.schedules import Schedules, run_time
from bot.stops.select import select
from bot.stops.settle import Settlements
from bot.stops.submit import Submissions
from bot.stops.trail import BOT, Trail, refusal_detail
from bot.store import DatabaseUnavailable, RequestRow, StopRecord, Store

log = logging.getLogger(__name__)


class StopService:
    def __init__(  # noqa: PLR0917 - the collaborators of the whole life cycle
        self,
        cloud: StopCloud,
        store: Store,
        poster: Poster,
        schedule: Schedule,
        timing: Timing,
        people: People,
        *,
        policy: Policy | None = None,
        scheduling: Scheduling | None = None,
        now: Clock = time.time,
        replica: str = "single",
        turns: Turns | None = None,
    ) -> None:
        self.cloud = cloud
        self.store = store
        self.poster = poster
        self.schedule = schedule
        self.timing = timing
        self.now = now
        self._sending: set[asyncio.Task[object]] = set()  # clicks and resumes between CAS and POST
        self._jobs_in_flight = 0  # counted by each sweep: how long a full round of polls takes
        requests, chunks = store.requests, store.chunks
        settlements = Settlements(chunks, now)
        self.gate = gate = Gate(policy, people, cloud)
        audit_channel = policy.audit.channel if policy else None
        self.trail = trail = Trail(store.audit, people, poster, now, audit_channel)
        self.previews = Previews(cloud, requests, gate, timing, now, trail)
        self.clicks = Clicks(requests, poster, gate, timing, now, trail)
        self.roots = Roots(requests, poster, now, trail)
        self.scheduling = scheduling or Scheduling()
        self.schedules = Schedules(
            requests, store.schedules, poster, gate, cloud, self.roots, schedule,
            self.scheduling, now, trail,
        )  # fmt: skip
        self.changes = ScheduleChanges(self.schedules)
        self.approvals = Approvals(requests, poster, gate, self.roots, self.schedules, now, trail)
        self.submissions = Submissions(
            cloud, requests, chunks, settlements, schedule, now, trail, replica,
            timing.stale_claim, turns,
        )  # fmt: skip
        self.polls = Polls(cloud, requests, chunks, now)
        self.reconciliations = Reconciliations(cloud, chunks, self.previews, poster, timing, now)
        self.reports = Reports(requests, poster, schedule, timing, now, trail)
        self.recoveries = Recoveries(settlements, timing, now, alone=not store.shared)

    async def preview(self, command: StopCommand, place: Place) -> None:
        """Find what ``tag:`` selects, ask the policy, look the servers up and show the
        requester what would stop, with the buttons (or why they may not)."""
        try:
            selection = await select(self.cloud, command)
        except CloudError as err:
            log.warning("listing failed", extra={"error": str(err)})
            await self.poster.tell(place, cloud_error_message(err, "listing the servers"))
            return
        if isinstance(selection, Problem):
            await self.poster.tell(place, selection_refused_message(selection))
            return
        command = selection.command
        named = len(command.server_ids)
        try:
            person, verdict = await self.gate.admit(
                place.user_id, place.channel_id, named, break_glass=command.break_glass
            )
        except DirectoryUnavailable:
            await self.poster.tell(place, directory_down_message())
            return
        if not verdict.allowed:
            log.info("request refused by the policy", extra={"denial": verdict.denial})
            await self.trail.note(
                AuditKind.REFUSED,
                None,
                place.user_id,
                channel=place.channel_id,
                rule=verdict.rule,
                detail=refusal_detail(verdict, "request", place.channel_id, self.gate.groups),
                targets=command.server_ids,
            )
            await self.poster.tell(
                place, refused_message(verdict, place.channel_id, self.gate.groups)
            )
            return
        run_at, zone = None, zone_name(person.tz)
        if command.when is not None:
            at = resolve(command.when, person.tz, self._utcnow(), self.scheduling.horizon_days)
            if isinstance(at, Problem):
                await self.poster.tell(place, time_refused_message(at))
                return
            run_at = datetime.fromtimestamp(run_time(at), UTC)
        try:
            shown = await self.previews.prepare(
                command, place, verdict, run_at, zone, found=selection.found
            )
        except CloudError as err:
            log.warning("lookup failed", extra={"error": str(err)})
            await self.poster.tell(place, cloud_error_message(err, "looking up the servers"))
            return
        approvers = mentions(shown.approval.approvers, self.gate.groups) if shown.approval else ""
        when = when_line(run_at.timestamp(), self.now(), zone) if run_at else ""
        await self.poster.tell(place, preview_message(shown, approvers=approvers, when=when))

    def _utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    async def confirm(self, request_id: str, place: Place) -> None:
        """The Stop button: the single winning click goes on to the root and the stop calls,
        or, where the policy wants a second person, to the approval request."""
        result = await self.clicks.confirm(request_id, place)
        if isinstance(result, Asked):
            await self.approvals.open(result.request, place)
        elif isinstance(result, ToSchedule):
            await self.schedules.schedule(result.request, place)
        elif result is not None:
            await self._launch(result, place)
            if result.request.break_glass:
                await self._break_glass(request_id)

    async def _break_glass(self, request_id: str) -> None:
        """The stop went out without an approval: the approvers review it afterwards, and the
        audit channel hears of it at once."""
        record = await self.store.load(request_id)
        if record is None:
            return
        req = record.request
        alert = break_glass_alert(record.summary(), req.channel_id, self.trail.link(req))
        announced = await self.trail.announce(alert)
        if req.root_ts:
            await self.approvals.post_review(record, alert_failed=not announced)

    async def approve(self, request_id: str, place: Place) -> None:
        """The Approve button: the first valid decision confirms the stop and sends it."""
        record = await self.approvals.approve(request_id, place)
        if record is not None:
            await self._launch(record, None)

    async def may_decide(self, request_id: str, place: Place) -> bool:
        """The Reject button, before its modal opens: may this person decide?"""
        return await self.approvals.may_decide(request_id, place)

    async def reject(self, request_id: str, place: Place, note: str | None) -> None:
        """The Reject modal submitted."""
        await self.approvals.reject(request_id, place, note)

    async def withdraw(self, request_id: str, place: Place) -> None:
        """The requester's Withdraw on their approval request."""
        await self.approvals.withdraw(request_id, place)

    async def acknowledge(self, request_id: str, place: Place) -> None:
        """An approver reviewed a break-glass stop."""
        await self.approvals.acknowledge(request_id, place)

    async def cancel(self, request_id: str, place: Place) -> None:
        """The Cancel button."""
        await self.clicks.cancel(request_id, place)

    async def wake(self, request_id: str) -> None:
        """A scheduled stop's alarm: a reminder, the stop itself, or a miss. Never raises."""
        token = request_id_var.set(request_id)
        try:
            record = await self.schedules.wake(request_id)
            if record is not None:
                await self._launch(record, None)
        except asyncio.CancelledError:
            log.info("scheduled wake interrupted by shutdown; the next start decides again")
        except DatabaseUnavailable:
            self.schedule.alarm(request_id, self.now() + RETRY_SECONDS)
        except Exception:
            log.exception("scheduled wake failed; the sweep tries again")
        finally:
            request_id_var.reset(token)

    async def cancel_schedule(self, request_id: str, place: Place) -> None:
        """Cancel on a scheduled stop's announcement, or ``/bms cancel``."""
        await self.changes.cancel(request_id, place)

    async def postpone(
        self, request_id: str, place: Place, when: When, seen: float | None = None
    ) -> str | None:
        """Postpone (the buttons, the modal, ``/bms postpone``): the words of what is wrong
        with the new time, or None."""
        return await self.changes.postpone(request_id, place, when, seen)

    async def reschedule(self, request_id: str, place: Place, when: When) -> str | None:
        """Reschedule a missed stop (its modal)."""
        return await self.changes.reschedule(request_id, place, when)

    async def may_change_schedule(self, request_id: str, place: Place, *, missed: bool) -> bool:
        """Before a Postpone or Reschedule modal opens: may this person, on this schedule?"""
        return await self.changes.changeable(request_id, place, missed=missed)

    async def run_now(self, request_id: str, place: Place) -> None:
        """Run now on a missed scheduled stop."""
        record = await self.changes.run_now(request_id, place)
        if record is not None:
            await self._launch(record, None)

    async def resume(self, request_id: str, *, at_start: bool = False) -> None:
        """Drive on a request a crash (or a passing Slack failure) left CONFIRMED."""
        record = await self.store.load(request_id)
        if record is None or record.request.state is not RequestState.CONFIRMED:
            return
        if self.recoveries.in_hand(record, at_start=at_start):
            return  # its sender is alive (a queued stop call waits for its turn)
        thread = thread_of(record, self.poster)
        settled = await self.recoveries.settle_orphans(thread, record, at_start=at_start)
        if settled is None:
            settled = await self.store.load(request_id)
        if settled is not None:
            await self._launch(settled, None)

    async def drain(self, within: float) -> bool:
        """Let stop calls already on their way finish (at most ``within`` seconds), so a
        SIGTERM does not leave them uncertain; True if none was left running."""
        running = {t for t in self._sending if not t.done()}
        if running:
            log.info("letting stop calls in flight finish", extra={"calls": len(running)})
            _, left = await asyncio.wait(running, timeout=within)
            return not left
        return True

    async def _launch(self, record: StopRecord, place: Place | None) -> None:
        """Root first, then the calls, then polling; idempotent, so recovery can call it again.
        Tracked while it runs, so shutdown can let its stop calls finish."""
        task = asyncio.current_task()
        if task is not None:
            self._sending.add(task)
        try:
            await self._open_and_send(record, place)
        finally:
            if task is not None:
                self._sending.discard(task)

    async def _open_and_send(self, record: StopRecord, place: Place | None) -> None:
        opened = await self.roots.open(record, place)
        if opened is None:
            return
        if place is not None:
            await self.roots.tell_underway(opened, place)
        thread = thread_of(opened, self.poster)
        sent, complete = await self.submissions.send_pending(thread, opened)
        current = sent if complete else await self.store.load(record.id)
        if current is not None:
            await self.submissions.finish(thread, current)

    async def tick(self, request_id: str) -> None:
        """The scheduled poll of one request: never raises, so the schedule survives anything."""
        token = request_id_var.set(request_id)
        try:
            await self._tick(request_id)
        except asyncio.CancelledError:
            # Shutdown cancels running jobs; the rows say where we were, so the next start resumes.
            # Nothing awaits this task, so ending it quietly is the whole of cancelling it.
            log.info("poll interrupted by shutdown; it resumes at the next start")
        except DatabaseUnavailable:
            pass  # logged once per outage by the store; the next tick tries again
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("poll tick failed; retrying next tick", extra={"ref": ref})
        finally:
            request_id_var.reset(token)

    async def _tick(self, request_id: str) -> None:
        record = await self.store.load(request_id)
        state = record.request.state if record else None
        if record is None or state not in (RequestState.SUBMITTED, RequestState.REPORTING):
            self.schedule.unwatch(request_id)
            return
        thread = thread_of(record, self.poster)
        if state is RequestState.SUBMITTED:
            polled = await self.polls.poll(thread, record)
            checked = await self.reconciliations.check(thread, polled) if polled else None
            reporting = await self._reporting(thread, checked) if checked else None
            if reporting is None:
                return
            record = reporting
        await self.reports.finish(thread, record)

    async def _reporting(self, thread: RequestThread, record: StopRecord) -> StopRecord | None:
        """Every job has ended: REPORTING. Until then show the progress, or give up at the job
        timeout; None then."""
        now = self.now()
        if not all(c.state in CHUNK_SETTLED for c in record.chunks):
            if self.timing.job_timed_out(record.request.submitted_at, now):
                await self.reports.time_out(thread, record)
            else:
                await self.polls.show_progress(thread, record)
                self._repace(record, now)
            return None
        if not await self.store.requests.move(record.id, RequestState.REPORTING, now):
            return None
        reporting = dataclasses.replace(
            record.request, state=RequestState.REPORTING, finished_at=now
        )
        return record.with_request(reporting)

    def _repace(self, record: StopRecord, now: float) -> None:
        """Poll long jobs less often, and never faster than the job-query limit allows."""
        running_for = now - (record.request.submitted_at or now)
        self.schedule.retime(record.id, self.timing.poll_every(running_for, self._jobs_in_flight))

    async def resume_all(self) -> None:
        """Once at start, and on becoming the leader: poll what was being polled, finish what
        was being confirmed."""
        now = self.now()
        for req in await self.store.requests.active():
            try:
                if req.state is RequestState.APPROVED:
                    await self._approved(req)
                elif req.state is RequestState.CONFIRMED:
                    # With several replicas, a fresh confirmation is its clicker's to send.
                    if not self.store.shared or self.timing.confirm_stuck(req.confirmed_at, now):
                        await self.resume(req.id, at_start=True)
                else:
                    self.schedule.watch(req.id, first_in=0)
            # One request must not keep the bot from starting; housekeeping tries it again.
            except Exception:
                log.exception("could not resume a request", extra={"request": req.id})
        waiting = await self.schedules.rebuild()
        log.info(
            "recovered", extra={"watching": len(self.schedule.watching()), "scheduled": waiting}
        )

    async def _approved(self, req: RequestRow) -> None:
        """A crash came between an approval and its confirmation: carry the approval out."""
        record = await self.approvals.resume(req)
        if record is not None:
            await self._launch(record, None)

    async def sweep(self) -> None:
        """The leader, every poll interval: watch what another replica submitted, arm what it
        scheduled, ring any schedule whose moment has come (in case an alarm was lost), and
        drive on a confirmation whose sender died (its claim window over)."""
        try:
            watched = set(self.schedule.watching())
            polled = [RequestState.SUBMITTED, RequestState.REPORTING]
            for request_id in await self.store.requests.ids_in_states(polled):
                if request_id not in watched:
                    self.schedule.watch(request_id, first_in=0)
            self._jobs_in_flight = await self.store.chunks.jobs_in_flight()
            await self.schedules.arm_unarmed()
            for request_id in await self.schedules.overdue():
                await self.wake(request_id)
            await self._redrive_stuck()
        except DatabaseUnavailable:
            pass  # logged once per outage by the store; the next sweep tries again
        except Exception:
            log.exception("sweep failed; retrying at the next one")

    async def _redrive_stuck(self) -> None:
        now = self.now()
        for req in await self.store.requests.in_states([RequestState.CONFIRMED]):
            if self.timing.confirm_stuck(req.confirmed_at, now):
                try:
                    await self.resume(req.id)
                except DatabaseUnavailable:
                    raise
                except Exception:
                    log.exception("could not resume a request", extra={"request": req.id})

    async def housekeeping(self) -> None:
        """Every minute: expire unanswered previews and approvals, forget old events, carry out
        approvals a crash interrupted."""
        try:
            now = self.now()
            expired = await self.store.requests.expire_previews(
                now, audit=lambda r: [self.trail.event(AuditKind.EXPIRED, r, BOT)]
            )
            await self.approvals.expire()
            await self.approvals.repost_unseen()
            await self.schedules.announce_unseen()
            await self.store.events.forget(events_forgotten_before(now))
            for req in await self.store.requests.in_states([RequestState.APPROVED]):
                await self._approved(req)
            if expired:
                log.info("previews expired", extra={"count": expired})
        except DatabaseUnavailable:
            pass  # logged once per outage by the store; next minute tries again
        except Exception:
            log.exception("housekeeping failed; retrying next minute")
