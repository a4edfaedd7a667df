"""Polling jobs against the simulator: failures keep polling, progress, and the job timeout."""

from __future__ import annotations

import asyncio

from bot.core.lifecycle import RequestState
from tests.fakes.slack_api import FakeSlack
from tests.support.harness import new_simulator, running_bot, texts


async def test_failing_polls_warn_once_and_keep_going(tmp_path) -> None:
    """Failing job queries are retried, the thread is warned once, and the result still comes."""
    sim = new_simulator(stop_seconds=0.5)
    async with running_bot(tmp_path, sim=sim, bms_retry_attempts=1) as bot:
        server = bot.sim.seed(1)[0]
        bot.sim.faults.add("job", 500, "BMS.9999", "Internal error", times=4)
        request_id, _ = await bot.confirm(f"stop {server.id}")
        assert await bot.settled(request_id) is RequestState.FINISHED
        thread = "\n".join(texts(m.blocks) for m in bot.replies())
        assert thread.count("keep trying") == 1
        assert "Results" in "\n".join(m.text for m in bot.replies())


def edited_twice(bot) -> bool:
    roots = bot.root_messages()
    return bool(roots) and roots[0].edit_count >= 2


async def test_job_timeout_stops_polling_and_says_how_to_check(tmp_path) -> None:
    """A job still running at the timeout: the thread says so, names the job, and polling stops."""
    sim = new_simulator(stop_seconds=30)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=0.5) as bot:
        server = bot.sim.seed(1)[0]
        request_id, _ = await bot.confirm(f"stop {server.id}")
        assert await bot.settled(request_id) is RequestState.TIMED_OUT
        job_id = next(iter(bot.sim.jobs))
        await bot.slack.wait_for(lambda: "/bms status" in bot.thread_text() and edited_twice(bot))
        thread = bot.thread_text()
        assert job_id in thread
        assert "/bms status" in thread
        assert not bot.runtime.deps.watcher.watching()
        root = bot.root_messages()[0]
        assert (
            "still running" in (root.text + texts(root.blocks)).lower()
            or "timed out" in (root.text + texts(root.blocks)).lower()
        )


async def test_progress_edits_the_root(tmp_path) -> None:
    """The root message is edited in place as servers finish, and ends with the outcome."""
    sim = new_simulator(stop_seconds=0.3)
    async with running_bot(tmp_path, sim=sim) as bot:
        servers = bot.sim.seed(3)
        for i, server in enumerate(servers):
            server.stop_seconds = 0.2 + 0.4 * i
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id) is RequestState.FINISHED
        root = bot.root_messages()[0]
        assert root.edit_count >= 3
        assert "3/3" in root.text + texts(root.blocks)


async def test_rate_limited_edits_do_not_hold_up_results(tmp_path) -> None:
    """Progress edits refused with 429 are skipped and paused, not waited out: results come."""
    slack = FakeSlack(rate_limits={"chat.update": 1})
    sim = new_simulator(stop_seconds=0.2)
    async with running_bot(tmp_path, sim=sim, slack=slack) as bot:
        servers = bot.sim.seed(3)
        for i, server in enumerate(servers):
            server.stop_seconds = 0.2 + 0.3 * i
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        await bot.slack.wait_for(lambda: "Results" in bot.thread_text(), timeout=10)
        refused = [c for c in bot.slack.calls_to("chat.update") if c.error == "ratelimited"]
        assert 1 <= len(refused) <= 2  # paused for Retry-After after the first refusal
        assert request_id


async def test_timeout_still_reports_what_is_known(tmp_path) -> None:
    """At the timeout, servers that already failed are reported with Huawei's code; the slow one
    is listed as still pending."""
    sim = new_simulator(stop_seconds=0.1)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=1.0) as bot:
        good = bot.sim.seed(1)[0]
        bad = bot.sim.add_server(name="db-1", fail_code="BMS.0037", fail_reason="rebooting")
        slow = bot.sim.add_server(name="slow-1", stop_seconds=30)
        request_id, _ = await bot.confirm(f"stop {good.id} {bad.id} {slow.id}")
        assert await bot.settled(request_id) is RequestState.TIMED_OUT
        await bot.slack.wait_for(lambda: "BMS.0037" in bot.thread_text())
        thread = bot.thread_text()
        assert slow.id in thread
        assert good.id in thread


async def test_a_long_job_is_polled_less_often_as_it_runs(tmp_path) -> None:
    """Two seconds into a job, its poll runs every tenth of that (not every 0.05 s), and the
    result still comes."""
    sim = new_simulator(stop_seconds=2.5)
    async with running_bot(tmp_path, sim=sim) as bot:
        server = bot.sim.seed(1)[0]
        request_id, _ = await bot.confirm(f"stop {server.id}")
        await asyncio.sleep(2.2)
        job = bot.runtime.deps.watcher.scheduler.get_job(f"poll:{request_id}")
        assert job is not None
        assert job.trigger.interval.total_seconds() >= 0.15
        assert await bot.settled(request_id) is RequestState.FINISHED
