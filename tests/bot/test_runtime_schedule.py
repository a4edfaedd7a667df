"""A scheduled stop with the real bot process over loopback: ``/bms stop … in 12s`` with one
reminder gives an announcement, one reminder, one stop call at the time and the results in the
announcement's thread; killing the bot with ``kill -9`` before the time changes nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.ids import ActionId, MetadataEvent
from tests.bot.test_runtime_restart import (
    World,
    assert_each_part_once,
    assert_no_secrets,
    world_of,
)
from tests.fakes.slack_requests import CHANNEL, slash_command
from tests.support.bot_process import BotProcess
from tests.support.harness import value_of
from tests.support.slack_text import readable

pytestmark = pytest.mark.slow
LEAD = 12  # seconds from the command to the stop
ANNOUNCED = "Scheduled stop of 2 servers"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_of(
        tmp_path, stop_seconds=1.0, channel_name="maintenance", BMS_REMINDERS="6s"
    ) as w:
        yield w


async def schedule(world: World, bot: BotProcess, ids: list[str]) -> str:
    """``/bms stop <ids> in 12s``, then the Schedule click; the request id."""
    url = world.slack.new_response_url("commands")
    await world.post(
        bot, *slash_command(f"stop {' '.join(ids)} in {LEAD}s reason: patching", response_url=url)
    )
    await world.wait_for(
        lambda: any(
            r.url == url and value_of(r.blocks or [], ActionId.CONFIRM)
            for r in world.slack.responses
        )
    )
    preview = next(r for r in world.slack.responses if r.url == url and r.blocks)
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id, world.logs()
    assert "<!date^" in str(preview.blocks), "the preview shows the time as Slack's date token"
    await world.confirm(bot, request_id)
    await world.wait_for(
        lambda: any(ANNOUNCED in readable(m.text, m.blocks) for m in world.roots())
    )
    return request_id


def run_at(world: World, request_id: str) -> float:
    with sqlite3.connect(world.tmp_path / "bot.db") as db:
        (value,) = db.execute(
            "SELECT run_at FROM stop_requests WHERE id = ?", (request_id,)
        ).fetchone()
    return float(value)


def reminders(world: World, root_ts: str) -> list[Any]:
    return [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.ok
        and (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.REMINDER
        and c.args.get("thread_ts") == root_ts
    ]


async def until_stopped(world: World) -> float:
    """Wait for the stop call; when it was seen (epoch seconds, to the 20 ms)."""
    deadline = time.monotonic() + LEAD + 30
    while not world.sim.stop_calls:
        assert time.monotonic() < deadline, f"no stop call\n{world.logs()}"
        await asyncio.sleep(0.02)
    return time.time()


async def assert_the_whole_life_cycle(
    world: World, request_id: str, ids: list[str], stopped_at: float
) -> None:
    """One announcement, one reminder, one stop call at (not before) the time, the results once
    in the announcement's thread, and the announcement showing the outcome."""
    due = run_at(world, request_id)
    assert stopped_at >= due, f"stopped {due - stopped_at:.1f}s early"
    await world.wait_for(world.result_parts, timeout=20)
    [root] = world.roots()
    assert world.sim.stop_calls == [ids], world.logs()
    assert len(reminders(world, root.ts)) == 1, world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    parts = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.ok and (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.RESULT_PART
    ]
    assert {c.args.get("thread_ts") for c in parts} == {root.ts}
    await world.wait_for(lambda: "Done" in readable(root.text, root.blocks), timeout=10)
    replies = " ".join(
        readable(r.text, r.blocks) for r in world.slack.thread_replies(CHANNEL, root.ts)
    )
    assert "Starting the scheduled stop of 2 servers now" in replies
    assert_no_secrets(world)


async def test_a_scheduled_stop_runs_once_at_its_time(world: World) -> None:
    """in 12s with BMS_REMINDERS=6s: announcement, one reminder, one stop POST, results."""
    servers = world.sim.seed(2)
    ids = [s.id for s in servers]
    bot = await world.start_bot("only")
    request_id = await schedule(world, bot, ids)
    assert world.sim.stop_calls == []
    stopped_at = await until_stopped(world)
    await assert_the_whole_life_cycle(world, request_id, ids, stopped_at)


async def test_kill_9_before_the_time_changes_nothing(world: World) -> None:
    """Killed after the announcement and started again: the same one reminder, one stop, one
    report, from the rows alone."""
    servers = world.sim.seed(2)
    ids = [s.id for s in servers]
    first = await world.start_bot("first")
    request_id = await schedule(world, first, ids)
    first.kill()
    await world.start_bot("second")
    stopped_at = await until_stopped(world)
    await assert_the_whole_life_cycle(world, request_id, ids, stopped_at)
