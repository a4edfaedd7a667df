"""Killing the real bot process mid-flow and starting it again: the database carries the request
across, so the stop is sent at most once and the thread gets exactly one report."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.ids import ActionId, MetadataEvent
from bot.runtime import Runtime
from simulator.runner import RunningSimulator, start_simulator
from simulator.state import Simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import CHANNEL, SIGNING_SECRET, block_action, slash_command
from tests.support.bot_process import BotProcess, bot_env, free_port
from tests.support.harness import SK, Bot, button_value, make_settings, new_simulator
from tests.support.slack_text import readable

pytestmark = pytest.mark.slow
UNCERTAIN = "may or may not"
ACCEPTED = "Huawei Cloud accepted the stop"


@dataclass
class World:
    """FakeSlack and the simulator in this process; the bot as a child process on a fixed port."""

    slack: FakeSlack
    sim: Simulator
    env: dict[str, str]
    tmp_path: Path
    bots: list[BotProcess] = field(default_factory=list)

    async def start_bot(self, name: str) -> BotProcess:
        bot = BotProcess.start(self.env, self.tmp_path, name)
        self.bots.append(bot)
        await bot.wait_healthy()
        return bot

    def logs(self) -> str:
        return "\n".join(bot.tail() for bot in self.bots)

    async def post(self, bot: BotProcess, body: bytes, headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(base_url=bot.url, timeout=5) as http:
            response = await http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 200, f"{response.text}\n{self.logs()}"
        return response

    async def preview(self, bot: BotProcess, text: str) -> str:
        """Run ``/bms <text>`` and return the request id on the preview's confirm button."""
        url = self.slack.new_response_url("commands")
        await self.post(bot, *slash_command(text, response_url=url))
        await self.wait_for(lambda: any(r.url == url for r in self.slack.responses))
        preview = next(r for r in self.slack.responses if r.url == url)
        request_id = button_value(preview.blocks or [])
        assert request_id, f"no confirm button in the preview\n{self.logs()}"
        return request_id

    async def confirm(self, bot: BotProcess, request_id: str) -> None:
        url = self.slack.new_response_url("actions")
        click = block_action(
            ActionId.CONFIRM, request_id, response_url=url, message_ts="1764255601.000200"
        )
        await self.post(bot, *click)

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        try:
            await self.slack.wait_for(predicate, timeout=timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    async def wait_idle(self, bot: BotProcess, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot polls nothing any more (its /healthz counts what it watches)."""
        deadline = time.monotonic() + timeout
        while (health := await bot.health()) is None or health["watching"]:
            assert time.monotonic() < deadline, f"still watching: {health}\n{self.logs()}"
            await asyncio.sleep(0.05)

    def result_parts(self) -> list[tuple[str, int, int]]:
        """(request id, part, parts) of every report part Slack accepted."""
        found = []
        for call in self.slack.calls_to("chat.postMessage"):
            metadata = call.args.get("metadata") or {}
            if call.ok and metadata.get("event_type") == MetadataEvent.RESULT_PART:
                payload = metadata["event_payload"]
                found.append((payload["request_id"], payload["part"], payload["parts"]))
        return found

    def channel_text(self) -> str:
        """Everything the bot has said in the channel, roots and thread replies."""
        said = [m for m in self.slack.messages.values() if m.channel == CHANNEL and m.bot_id]
        return "\n".join(readable(m.text, m.blocks) for m in said)

    def roots(self) -> list[Any]:
        return [
            m
            for m in self.slack.messages.values()
            if m.channel == CHANNEL and m.bot_id and m.thread_ts is None
        ]


def assert_each_part_once(parts: list[tuple[str, int, int]], logs: str) -> None:
    """Every part of one report was posted, and none twice."""
    assert parts, f"no report was posted\n{logs}"
    counts = Counter((rid, part) for rid, part, _ in parts)
    assert all(n == 1 for n in counts.values()), f"a report part was posted twice: {counts}"
    [(_, total)] = {(rid, total) for rid, _, total in parts}
    assert sorted(part for _, part in counts) == list(range(1, total + 1)), counts


def assert_no_secrets(world: World) -> None:
    for bot in world.bots:
        logs = bot.logs()
        for secret in ("xoxb-test", SK, SIGNING_SECRET):
            assert secret not in logs, f"{secret!r} appears in {bot.log_path.name}"


def job_polls(sim: Simulator) -> int:
    return sum(1 for r in sim.request_log if r.method == "GET" and "/jobs/" in r.path)


@contextlib.asynccontextmanager
async def world_of(
    tmp_path: Path,
    *,
    stop_seconds: float,
    channel_name: str,
    slack: FakeSlack | None = None,
    **env: str,
) -> AsyncIterator[World]:
    """The fake Slack (``slack``, or a plain one) and the simulator here, the bot's environment
    for a child process."""
    slack = slack or FakeSlack()
    await slack.start()
    slack.add_channel(CHANNEL, name=channel_name)
    sim = new_simulator(stop_seconds=stop_seconds)
    running: RunningSimulator = await start_simulator(sim)
    w = World(
        slack,
        sim,
        bot_env(slack.api_url, running.url, tmp_path / "bot.db", free_port(), **env),
        tmp_path,
    )
    try:
        yield w
    finally:
        for bot in w.bots:
            await bot.terminate()
        await running.close()
        await slack.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    # Slow servers: the job is still RUNNING when the first bot is killed.
    async with world_of(tmp_path, stop_seconds=2.5, channel_name="incident-42") as w:
        yield w


async def test_kill_mid_poll_then_restart_reports_once(world: World) -> None:
    """A bot killed while polling resumes after a restart: one stop call, one report, final root."""
    servers = world.sim.seed(2)
    first = await world.start_bot("first")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(lambda: world.sim.stop_calls and job_polls(world.sim) >= 1)
    [job] = world.sim.jobs.values()
    assert job.status == "RUNNING", "the job ended before the kill: nothing was cut mid-poll"
    assert world.result_parts() == []

    first.kill()
    second = await world.start_bot("second")
    await world.wait_for(world.result_parts)
    await world.wait_idle(second)

    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    [root] = world.roots()
    replies = world.slack.thread_replies(CHANNEL, root.ts)
    assert sum("Results" in r.text for r in replies) == 1
    assert "Done" in readable(root.text, root.blocks), world.logs()
    assert all(s.status == "SHUTOFF" for s in servers)
    assert_no_secrets(world)


async def test_kill_right_after_confirm_ack_tells_the_truth(world: World) -> None:
    """Killed as soon as the click is acked, the restarted bot stops at most once and says so."""
    servers = world.sim.seed(2)
    first = await world.start_bot("first")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    first.kill()

    second = await world.start_bot("second")
    # /healthz answers only after start-up recovery, so whatever recovery says has been said.
    assert len(world.sim.stop_calls) <= 1, world.logs()
    if not world.roots():
        # The confirmation never reached the database: nothing was sent, and the button still works.
        assert world.sim.stop_calls == [], world.logs()
        await world.confirm(second, request_id)
    else:
        assert ACCEPTED in world.channel_text() or UNCERTAIN in world.channel_text(), world.logs()
    await world.wait_for(lambda: world.result_parts() or UNCERTAIN in world.channel_text())

    assert len(world.sim.stop_calls) <= 1, world.logs()
    if world.result_parts():
        await world.wait_idle(second)
        if UNCERTAIN not in world.channel_text():  # an uncertain send may not have arrived
            assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
        assert_each_part_once(world.result_parts(), world.logs())
    assert_no_secrets(world)


async def test_kill_while_the_stop_is_in_flight(world: World) -> None:
    """Killed while Huawei holds the answer to the stop, the restarted bot says it may have run."""
    servers = world.sim.seed(2)
    world.sim.faults.add("stop", delay=30)  # the stop takes effect; its answer never arrives
    first = await world.start_bot("first")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(lambda: world.sim.stop_calls)
    first.kill()

    await world.start_bot("second")
    await world.wait_for(lambda: UNCERTAIN in world.channel_text(), timeout=3)

    assert len(world.sim.stop_calls) == 1
    assert_no_secrets(world)


def poll_ticks_running() -> list[asyncio.Task[Any]]:
    """APScheduler job tasks (the bot's poll ticks) that have not finished."""
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "") == "run_coroutine_job"
    ]


async def test_stop_waits_for_a_poll_tick_in_flight(tmp_path: Path) -> None:
    """When stop() returns, no poll tick is still running against the closed database."""
    slack = FakeSlack()
    await slack.start()
    slack.add_channel(CHANNEL)
    sim = new_simulator(stop_seconds=30)
    running = await start_simulator(sim)
    db_file = tmp_path / "bot.db"
    runtime = Runtime(make_settings(slack.api_url, running.url, f"sqlite+aiosqlite:///{db_file}"))
    lock = sqlite3.connect(db_file, timeout=5, isolation_level=None)
    try:
        await runtime.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.port}") as http:
            bot = Bot(slack, sim, runtime, http)
            _, request_id = await bot.preview(f"stop {sim.seed(1)[0].id}")
            assert request_id
            await bot.click(ActionId.CONFIRM, request_id)
            await slack.wait_for(lambda: job_polls(sim) >= 1)
        assert runtime.deps is not None
        pool = runtime.deps.store.engine.pool
        # Hold the next poll's answer; while it waits, lock SQLite so its write then blocks.
        sim.faults.add("job", delay=0.5)
        polls = job_polls(sim)
        await slack.wait_for(lambda: job_polls(sim) > polls)
        lock.execute("BEGIN IMMEDIATE")
        await slack.wait_for(lambda: pool.checkedout() == 1)  # the tick is inside its write
        asyncio.get_running_loop().call_later(0.5, lock.rollback)  # lets a waiting stop() end

        await runtime.stop()

        assert poll_ticks_running() == [], "stop() returned while a poll tick was mid-write"
    finally:
        with contextlib.suppress(sqlite3.Error):
            lock.rollback()
        lock.close()
        # Let the cut-off tick unwind before the event loop closes (else it may never close).
        await slack.wait_for(lambda: not poll_ticks_running(), timeout=5)
        await runtime.stop()
        await running.close()
        await slack.close()


def chunk_rows(db: Path) -> list[tuple[str, str | None]]:
    """(state, job id) of every stored chunk, read straight from the SQLite file."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT state, job_id FROM stop_chunks ORDER BY id").fetchall()


async def test_sigterm_lets_a_stop_in_flight_finish(world: World) -> None:
    """SIGTERM while the stop's answer is on its way: the bot waits for it, so the call is
    recorded with its job, not left uncertain; the next start simply reports."""
    servers = world.sim.seed(2)
    world.sim.faults.add("stop", delay=1.5)  # the answer comes, but slowly
    first = await world.start_bot("first")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(lambda: world.sim.stop_calls)
    first.process.terminate()
    await world.wait_for(lambda: first.process.poll() is not None, timeout=15)
    [(state, job_id)] = chunk_rows(world.tmp_path / "bot.db")
    assert (state, job_id) == ("submitted", next(iter(world.sim.jobs))), first.tail()

    second = await world.start_bot("second")
    await world.wait_for(world.result_parts)
    await world.wait_idle(second)
    assert UNCERTAIN not in world.channel_text()
    assert world.sim.stop_calls == [[s.id for s in servers]]
    assert_each_part_once(world.result_parts(), world.logs())


async def test_kill_while_the_stop_is_in_flight_is_settled_from_the_servers(world: World) -> None:
    """Killed while the answer is held back, the restarted bot finds the servers stopped: the
    thread says the stop was accepted after all and reports each server stopped, once."""
    servers = world.sim.seed(2)
    world.sim.faults.add("stop", delay=30)
    first = await world.start_bot("first")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(lambda: world.sim.stop_calls)
    first.kill()

    second = await world.start_bot("second")
    await world.wait_for(lambda: "after all" in world.channel_text(), timeout=15)
    await world.wait_for(world.result_parts)
    await world.wait_idle(second)
    assert world.sim.stop_calls == [[s.id for s in servers]]
    assert_each_part_once(world.result_parts(), world.logs())
    [root] = world.roots()
    assert "Done" in readable(root.text, root.blocks), world.logs()
