"""APScheduler as a clock: one interval job per active request, one date job per scheduled stop
(its next reminder or its time), all rebuilt from the database at start.

Jobs live in the in-memory job store on purpose: the database rows are the truth, so the schedule is
derived from them (``watch`` and ``alarm`` for every request with work ahead at start-up), not
pickled beside them. A date job whose time passed still runs (``misfire_grace_time=None``):
APScheduler's default would skip and delete it, and the wake decides from the row whether it is
too late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
PollFn = Callable[[str], Awaitable[None]]
JOB_DEFAULTS = {
    "coalesce": True,  # a late tick runs once, not once per missed interval
    "max_instances": 1,  # never two polls of one request at once
    "misfire_grace_time": None,  # a late tick still runs, however late
}


class Watcher:
    """Schedules the poll of each submitted request every ``interval`` seconds until told."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.scheduler = AsyncIOScheduler(job_defaults=JOB_DEFAULTS, timezone=UTC)
        self._poll: PollFn | None = None
        self._wake: PollFn | None = None
        self._running: set[asyncio.Task[Any]] = set()

    def start(
        self,
        poll: PollFn,
        housekeeping: Callable[[], Awaitable[None]],
        wake: PollFn | None = None,
    ) -> None:
        """Start ticking; must be called inside the running event loop. ``wake`` is what an
        ``alarm`` calls, with the request id."""

        async def tracked_poll(request_id: str) -> None:
            await self._tracked(poll(request_id))

        async def tracked_wake(request_id: str) -> None:
            if wake is not None:
                await self._tracked(wake(request_id))

        async def tracked_housekeeping() -> None:
            await self._tracked(housekeeping())

        self._poll = tracked_poll
        self._wake = tracked_wake
        self.scheduler.add_job(
            tracked_housekeeping,
            "interval",
            seconds=60,
            id="housekeeping",
            replace_existing=True,
        )
        self.scheduler.start()

    async def _tracked(self, work: Awaitable[None]) -> None:
        """Run one job, remembered so that shutdown can let it finish its database writes."""
        task = asyncio.current_task()
        assert task is not None  # APScheduler runs coroutine jobs as tasks
        self._running.add(task)
        try:
            await work
        finally:
            self._running.discard(task)

    def every(self, name: str, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        """Another periodic job (``name`` is its id), tracked like the others."""

        async def tracked() -> None:
            await self._tracked(_done(work()))

        self.scheduler.add_job(tracked, "interval", seconds=seconds, id=name, replace_existing=True)

    def watch(self, request_id: str, *, first_in: float | None = None) -> None:
        if self._poll is None:
            raise RuntimeError("Watcher.start() must run before watch()")
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

    def unwatch(self, request_id: str) -> None:
        job = self.scheduler.get_job(f"poll:{request_id}")
        if job is not None:
            job.remove()
            log.info("stopped watching request", extra={"request": request_id})

    def alarm(self, request_id: str, at: float) -> None:
        """Wake the scheduled stop ``request_id`` at ``at`` (epoch seconds; now if past)."""
        if self._wake is None:
            raise RuntimeError("Watcher.start() must run before alarm()")
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
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        self.scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)


async def _done(work: Awaitable[object]) -> None:
    await work
