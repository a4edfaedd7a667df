"""APScheduler as a clock: one interval job per active request, one date job per scheduled stop
(its next reminder or its time), all rebuilt from the database at start.

Only the leader (``bot/store/leadership.py``) runs them: ``follow`` drops every poll and alarm
and pauses housekeeping and the sweep, at once; ``lead`` resumes them, and the new leader
rebuilds the rest from the rows. Jobs every replica needs (``every``) run either way.

Jobs live in the in-memory job store on purpose: the database rows are the truth, so the schedule is
derived from them (``watch`` and ``alarm`` for every request with work ahead at start-up), not
pickled beside them. A date job whose time passed still runs (``misfire_grace_time=None``):
APScheduler's default would skip and delete it, and the wake decides from the row whether it is
too late.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import metrics

log = logging.getLogger(__name__)
PollFn = Callable[[str], Awaitable[None]]
_LEADERS_JOBS = frozenset({"housekeeping", "sweep"})
JOB_DEFAULTS = {
    "coalesce": True,  # a late tick runs once, not once per missed interval
    "max_instances": 1,  # never two polls of one request at once
    "misfire_grace_time": None,  # a late tick still runs, however late
}


# APScheduler's words when a tick finds the job's previous run still going (``max_instances=1``).
_SKIPPED = 'Execution of job "%s" skipped: maximum number of running instances reached'


class _ExpectedSkips(logging.Filter):
    """A skipped tick is by design here: a poll still waiting its turn within the job-query limit
    makes the next tick redundant. APScheduler warns of each one, which at a thousand requests
    in flight is thousands of lines a minute; logged at DEBUG instead (``Watcher`` counts them in
    the metrics from the scheduler's own event, whatever the log level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith(_SKIPPED)):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _count_skip(_: object) -> None:
    metrics.TICKS_SKIPPED.inc()


_SCHEDULER_LOG = logging.getLogger("apscheduler.scheduler")
if not any(isinstance(f, _ExpectedSkips) for f in _SCHEDULER_LOG.filters):
    _SCHEDULER_LOG.addFilter(_ExpectedSkips())


class Watcher:
    """Schedules the poll of each submitted request every ``interval`` seconds until told."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.scheduler = AsyncIOScheduler(job_defaults=JOB_DEFAULTS, timezone=UTC)
        self.scheduler.add_listener(_count_skip, EVENT_JOB_MAX_INSTANCES)
        self._poll: PollFn | None = None
        self._wake: PollFn | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self.leading = True
        self._stopping = False
        # request id → when its last poll began (monotonic) and the interval it was due at
        self._polled: dict[str, tuple[float, float]] = {}

    def start(
        self,
        poll: PollFn,
        housekeeping: Callable[[], Awaitable[None]],
        wake: PollFn | None = None,
        sweep: Callable[[], Awaitable[None]] | None = None,
        *,
        leading: bool = True,
    ) -> None:
        """Start ticking; must be called inside the running event loop. ``wake`` is what an
        ``alarm`` calls, with the request id; ``sweep`` runs every ``interval`` on the leader
        (the work other replicas made). ``leading=False``: wait for ``lead``."""

        async def tracked_poll(request_id: str) -> None:
            ran = time.monotonic()
            last, every = self._polled.get(request_id, (None, self.interval))
            if last is not None:
                metrics.POLL_LAG.observe(max(0.0, ran - last - every))
            self._polled[request_id] = (ran, every)
            await self._tracked(lambda: poll(request_id))

        async def tracked_wake(request_id: str) -> None:
            if wake is not None:
                await self._tracked(lambda: wake(request_id))

        async def tracked_housekeeping() -> None:
            await self._tracked(housekeeping)

        self._poll = tracked_poll
        self._wake = tracked_wake
        self.scheduler.add_job(
            tracked_housekeeping,
            "interval",
            seconds=60,
            id="housekeeping",
            replace_existing=True,
        )
        if sweep is not None:

            async def tracked_sweep() -> None:
                await self._tracked(sweep)

            self.scheduler.add_job(
                tracked_sweep, "interval", seconds=self.interval, id="sweep", replace_existing=True
            )
        self.scheduler.start()
        if not leading:
            self.follow()

    def follow(self) -> None:
        """Another replica leads: drop every poll and alarm, pause the leader's own jobs."""
        self.leading = False
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("poll:", "wake:")):
                job.remove()
            elif job.id in _LEADERS_JOBS:
                job.pause()
        self._polled.clear()

    async def hand_over(self, grace: float) -> None:
        """Shutting down: follow at once, and give the jobs running now ``grace`` seconds, so the
        next leader can start soon without two replicas working on one request for long."""
        self.follow()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)

    def lead(self) -> None:
        """This replica leads: the leader's own jobs run again (polls and alarms come from the
        rows, through ``watch`` and ``alarm``)."""
        self.leading = True
        for job in self.scheduler.get_jobs():
            if job.id in _LEADERS_JOBS:
                job.resume()

    async def _tracked(self, make: Callable[[], Awaitable[None]], *, leaders: bool = True) -> None:
        """Run one job, remembered so that shutdown can let it finish its database writes. A
        job APScheduler handed over just before a shutdown (or, for the leader's jobs, a
        step-down) but started after it does nothing: the store may be closing."""
        if self._stopping or (leaders and not self.leading):
            return
        task = asyncio.current_task()
        assert task is not None  # APScheduler runs coroutine jobs as tasks
        self._running.add(task)
        try:
            await make()
        finally:
            self._running.discard(task)

    def every(self, name: str, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        """Another periodic job (``name`` is its id), tracked like the others."""

        async def tracked() -> None:
            await self._tracked(lambda: _done(work()), leaders=False)

        self.scheduler.add_job(tracked, "interval", seconds=seconds, id=name, replace_existing=True)

    def watch(self, request_id: str, *, first_in: float | None = None) -> None:
        if self._poll is None:
            raise RuntimeError("Watcher.start() must run before watch()")
        if not self.leading:
            return  # the leader's sweep finds it in the rows
        first = datetime.now(UTC) + timedelta(
            seconds=self.interval if first_in is None else first_in
        )
        self.scheduler.add_job(
            self._poll,
            "interval",
            seconds=self.interval,
            args=[request_id],
            id=f"poll:{request_id}",
            replace_existing=True,
            next_run_time=first,
        )
        log.info("watching request", extra={"request": request_id})

    def retime(self, request_id: str, every: float) -> None:
        """Poll ``request_id`` every ``every`` seconds from its last poll on (a change of less
        than a tenth is not worth a reschedule)."""
        job = self.scheduler.get_job(f"poll:{request_id}")
        if job is None or abs(job.trigger.interval.total_seconds() - every) < every / 10:
            return
        began, _ = self._polled.get(request_id, (time.monotonic(), every))
        start = datetime.now(UTC) - timedelta(seconds=time.monotonic() - began)
        job.reschedule("interval", seconds=every, start_date=start)
        self._polled[request_id] = (began, every)

    def unwatch(self, request_id: str) -> None:
        self._polled.pop(request_id, None)
        job = self.scheduler.get_job(f"poll:{request_id}")
        if job is not None:
            job.remove()
            log.info("stopped watching request", extra={"request": request_id})

    def alarm(self, request_id: str, at: float) -> None:
        """Wake the scheduled stop ``request_id`` at ``at`` (epoch seconds; now if past)."""
        if self._wake is None:
            raise RuntimeError("Watcher.start() must run before alarm()")
        if not self.leading:
            return  # the leader's sweep arms it from the rows
        self.scheduler.add_job(
            self._wake,
            "date",
            run_date=datetime.fromtimestamp(at, UTC),
            args=[request_id],
            id=f"wake:{request_id}",
            replace_existing=True,
        )

    def disarm(self, request_id: str) -> None:
        job = self.scheduler.get_job(f"wake:{request_id}")
        if job is not None:
            job.remove()

    def alarms(self) -> dict[str, float]:
        """Request id → when its alarm rings."""
        return {
            j.id.removeprefix("wake:"): j.next_run_time.timestamp()
            for j in self.scheduler.get_jobs()
            if j.id.startswith("wake:") and j.next_run_time is not None
        }

    def armed(self) -> list[str]:
        """The scheduled stops with an alarm set."""
        return list(self.alarms())

    def watching(self) -> list[str]:
        return [
            j.id.removeprefix("poll:")
            for j in self.scheduler.get_jobs()
            if j.id.startswith("poll:")
        ]

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop ticking, then give running jobs ``grace`` seconds to finish before cancelling."""
        if not self.scheduler.running:
            return
        self._stopping = True
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        self.scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)


async def _done(work: Awaitable[object]) -> None:
    await work
