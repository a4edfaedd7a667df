"""The watcher as a clock for scheduled stops: an alarm rings once at its time, a past one rings
at once (APScheduler's default would drop it), a new alarm replaces the old, a disarmed one
never rings."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot import metrics
from bot.watcher import Watcher


async def _nothing(_: str = "") -> None:
    return None


async def started(rang: list[tuple[str, float]]) -> Watcher:
    watcher = Watcher(interval=60)

    async def wake(request_id: str) -> None:
        rang.append((request_id, time.time()))

    watcher.start(_nothing, _nothing, wake)
    return watcher


async def test_an_alarm_rings_once_at_its_time() -> None:
    """An alarm 0.2 s ahead rings once, not before its time."""
    rang: list[tuple[str, float]] = []
    watcher = await started(rang)
    at = time.time() + 0.2
    watcher.alarm("req_a", at)
    assert watcher.alarms()["req_a"] == pytest.approx(at, abs=1e-3)
    await asyncio.sleep(0.6)
    await watcher.shutdown()
    assert [r for r, _ in rang] == ["req_a"]
    assert rang[0][1] >= at


async def test_an_alarm_in_the_past_rings_at_once() -> None:
    """A time that passed while the bot was down still rings (misfire grace is unlimited)."""
    rang: list[tuple[str, float]] = []
    watcher = await started(rang)
    watcher.alarm("req_b", time.time() - 3600)
    await asyncio.sleep(0.3)
    await watcher.shutdown()
    assert [r for r, _ in rang] == ["req_b"]


async def test_a_new_alarm_replaces_the_old_and_disarm_silences_it() -> None:
    """One alarm per request: the later setting wins; a disarmed alarm never rings."""
    rang: list[tuple[str, float]] = []
    watcher = await started(rang)
    watcher.alarm("req_c", time.time() + 0.1)
    watcher.alarm("req_c", time.time() + 0.3)
    watcher.alarm("req_d", time.time() + 0.1)
    watcher.disarm("req_d")
    await asyncio.sleep(0.7)
    await watcher.shutdown()
    assert [r for r, _ in rang] == ["req_c"]


async def test_a_follower_polls_and_rings_nothing_until_it_leads() -> None:
    """Following drops every poll and alarm and ignores new ones; leading runs them again."""
    polled: list[str] = []
    rang: list[tuple[str, float]] = []
    swept: list[float] = []

    async def poll(request_id: str) -> None:
        polled.append(request_id)

    async def wake(request_id: str) -> None:
        rang.append((request_id, time.time()))

    async def sweep() -> None:
        swept.append(time.time())

    watcher = Watcher(interval=0.1)
    watcher.start(poll, _nothing, wake, sweep)
    watcher.watch("req_p", first_in=0.05)
    watcher.alarm("req_old", time.time() + 0.05)
    watcher.follow()
    watcher.watch("req_q", first_in=0)
    watcher.alarm("req_r", time.time())
    assert watcher.watching() == []
    assert watcher.armed() == []
    await asyncio.sleep(0.4)
    assert (polled, rang, swept) == ([], [], [])
    watcher.lead()
    watcher.watch("req_s", first_in=0)
    watcher.alarm("req_t", time.time())
    await asyncio.sleep(0.4)
    await watcher.shutdown()
    assert "req_s" in polled
    assert [r for r, _ in rang] == ["req_t"]
    assert swept


async def test_a_watcher_started_as_follower_waits_for_lead() -> None:
    """Started with leading=False, nothing the leader owns runs."""
    swept: list[float] = []

    async def sweep() -> None:
        swept.append(time.time())

    watcher = Watcher(interval=0.1)
    watcher.start(_nothing, _nothing, None, sweep, leading=False)
    watcher.watch("req_x", first_in=0)
    await asyncio.sleep(0.3)
    await watcher.shutdown()
    assert swept == []
    assert watcher.watching() == []


async def test_a_job_that_starts_after_shutdown_does_nothing() -> None:
    """A poll APScheduler handed over just before shutdown but started after it does not run
    its work (the store is closing; it once opened a connection nobody closed)."""
    polled: list[str] = []

    async def poll(request_id: str) -> None:
        polled.append(request_id)

    watcher = Watcher(interval=60)
    watcher.start(poll, _nothing)
    handed_over = watcher._poll
    assert handed_over is not None
    await watcher.shutdown()
    await handed_over("req_late")
    assert polled == []


async def test_retime_changes_a_polls_interval_from_its_last_poll() -> None:
    """A retimed poll runs at its new interval; a change under a tenth is left alone."""
    polls: list[float] = []

    async def poll(_: str) -> None:
        polls.append(time.monotonic())

    watcher = Watcher(interval=0.1)
    watcher.start(poll, _nothing)
    watcher.watch("req_p", first_in=0)
    await asyncio.sleep(0.05)
    watcher.retime("req_p", 0.5)
    job = watcher.scheduler.get_job("poll:req_p")
    assert job is not None
    assert job.trigger.interval.total_seconds() == 0.5
    watcher.retime("req_p", 0.52)
    job = watcher.scheduler.get_job("poll:req_p")
    assert job is not None
    assert job.trigger.interval.total_seconds() == 0.5
    await asyncio.sleep(0.7)
    await watcher.shutdown()
    assert len(polls) == 2
    assert polls[1] - polls[0] == pytest.approx(0.5, abs=0.1)


async def test_a_tick_skipped_behind_a_running_poll_is_counted_not_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A poll still waiting (its turn at Huawei) when its next tick comes: the tick is skipped
    by design, so no warning is logged for it; the metric counts it, whatever the log level."""
    release = asyncio.Event()

    async def slow_poll(_: str) -> None:
        await release.wait()

    async def skips(count: int) -> None:
        """Until ``count`` more ticks were skipped (the ticks come every 0.05 s)."""
        target = metrics.TICKS_SKIPPED._value.get() + count
        deadline = time.monotonic() + 10
        while metrics.TICKS_SKIPPED._value.get() < target:
            assert time.monotonic() < deadline, "ticks behind a running poll were not counted"
            await asyncio.sleep(0.01)

    watcher = Watcher(interval=0.05)
    watcher.start(slow_poll, _nothing)
    watcher.watch("req_slow", first_in=0)
    with caplog.at_level(logging.DEBUG, logger="apscheduler"):
        await skips(3)
    scheduler_log = logging.getLogger("apscheduler")
    level = scheduler_log.level
    scheduler_log.setLevel(logging.ERROR)  # the count does not need the log
    try:
        await skips(2)
    finally:
        scheduler_log.setLevel(level)
    release.set()
    await watcher.shutdown()
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [], [r.getMessage() for r in warned]
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped, "the skipped ticks were not logged at all"
    assert all(r.levelno == logging.DEBUG for r in skipped)
