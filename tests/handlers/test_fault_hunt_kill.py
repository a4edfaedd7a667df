"""Fault hunt: the real ``bms-bot`` process killed with SIGKILL between an approval (APPROVED
committed) and its stop POST, then started again."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.ids import ActionId
from simulator.runner import RunningSimulator, start_simulator
from simulator.state import Simulator
from tests.fakes.slack_api import FakeSlack, _read_args
from tests.fakes.slack_requests import ALICE, BOB, CHANNEL, block_action, slash_command
from tests.support.bot_process import BotProcess, audit_verify, bot_env, free_port
from tests.support.harness import new_simulator, value_of

pytestmark = pytest.mark.slow
ONCALL, LEADS = "S0ONCALL1", "S0LEADS01"


class HeldSlack(FakeSlack):
    """A fake Slack that can hold one chat.postMessage (by a word in its text) until released,
    so the bot can be killed while it waits for that answer."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_word: str | None = None
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage" and self.hold_word:
            args, _ = await _read_args(request)
            if self.hold_word in str(args.get("text", "")):
                self.hold_word = None
                self.held.set()
                await self.release.wait()
        return await super()._api(request)


def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(
        f"""
[[grant]]
name = "sre-oncall"
requesters = ["@sre-oncall"]
channels = ["{CHANNEL}"]
approval = "always"
approvers = ["@sre-leads"]

[[protect]]
name = "keep-tagged"
tags = ["keep"]

[audit]
readers = ["@sre-leads"]
""",
        encoding="utf-8",
    )
    return path


@dataclass
class World:
    slack: HeldSlack
    sim: Simulator
    env: dict[str, str]
    tmp_path: Path
    bots: list[BotProcess] = field(default_factory=list)

    async def start_bot(self, name: str) -> BotProcess:
        bot = BotProcess.start(self.env, self.tmp_path, name)
        self.bots.append(bot)
        await bot.wait_healthy(timeout=30)
        return bot

    def logs(self) -> str:
        return "\n".join(bot.tail() for bot in self.bots)

    async def post(self, bot: BotProcess, body: bytes, headers: dict[str, str]) -> None:
        async with httpx.AsyncClient(base_url=bot.url, timeout=5) as http:
            response = await http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 200, f"{response.text}\n{self.logs()}"

    async def click(self, bot: BotProcess, action: str, value: str, user: str = ALICE) -> None:
        url = self.slack.new_response_url("actions")
        req = block_action(
            action, value, user_id=user, response_url=url, message_ts="1764255601.000200"
        )
        await self.post(bot, req.body, req.headers)

    async def wait_for(self, predicate: Any, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        try:
            await self.slack.wait_for(predicate, timeout=timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    async def ask(self, bot: BotProcess, ids: list[str]) -> str:
        """Alice previews and clicks "Ask for approval"; the approval request is posted."""
        url = self.slack.new_response_url("commands")
        req = slash_command(f"stop {' '.join(ids)} reason: patching", response_url=url)
        await self.post(bot, req.body, req.headers)
        await self.wait_for(lambda: any(r.url == url for r in self.slack.responses))
        preview = next(r for r in self.slack.responses if r.url == url)
        request_id = value_of(preview.blocks, ActionId.CONFIRM)
        assert request_id, f"no button on the preview\n{self.logs()}"
        await self.click(bot, ActionId.CONFIRM, request_id)
        await self.wait_for(
            lambda: any(
                value_of(m.blocks, ActionId.APPROVE) == request_id
                for m in self.slack.messages.values()
            )
        )
        return request_id

    def db(self) -> Path:
        return self.tmp_path / "bot.db"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    slack = HeldSlack()
    await slack.start()
    slack.add_channel(CHANNEL, name="incident-42")
    slack.add_usergroup(ONCALL, "sre-oncall", [ALICE])
    slack.add_usergroup(LEADS, "sre-leads", [BOB])
    sim = new_simulator()
    running: RunningSimulator = await start_simulator(sim)
    env = bot_env(
        slack.api_url,
        running.url,
        tmp_path / "bot.db",
        free_port(),
        BMS_POLICY_FILE=str(policy(tmp_path)),
    )
    w = World(slack, sim, env, tmp_path)
    try:
        yield w
    finally:
        slack.release.set()
        for bot in w.bots:
            await bot.terminate()
        await running.close()
        await slack.close()


def _state(db: Path, request_id: str) -> str:
    with sqlite3.connect(db) as conn:
        return str(
            conn.execute("SELECT state FROM stop_requests WHERE id = ?", (request_id,)).fetchone()[
                0
            ]
        )


def _kinds(db: Path, request_id: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT kind FROM audit_log WHERE request_id = ? ORDER BY seq", (request_id,)
        ).fetchall()
    return [r[0] for r in rows]


async def _kill_after_approve(world: World, ids: list[str]) -> str:
    """Ask, Bob approves; the bot is killed while its "Approved by" reply is held (APPROVED
    committed, nothing confirmed or sent yet); a second bot starts. The request id."""
    first = await world.start_bot("first")
    request_id = await world.ask(first, ids)
    world.slack.hold_word = "Approved by"
    await world.click(first, ActionId.APPROVE, request_id, user=BOB)
    await asyncio.wait_for(world.slack.held.wait(), 15)
    assert _state(world.db(), request_id) == "approved", world.logs()
    assert world.sim.stop_calls == []
    first.kill()
    world.slack.release.set()
    await world.start_bot("second")
    deadline = time.monotonic() + 20
    while _state(world.db(), request_id) != "finished":
        assert time.monotonic() < deadline, world.logs()
        await asyncio.sleep(0.1)
    return request_id


async def test_kill_between_approved_and_the_stop_post_stops_once(world: World) -> None:
    """SIGKILL after APPROVED commits and before the stop POST: the restarted bot sends exactly one
    stop, the audit has one APPROVED entry, and `bms-bot audit verify` passes."""
    servers = world.sim.seed(3)
    request_id = await _kill_after_approve(world, [s.id for s in servers])
    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    kinds = _kinds(world.db(), request_id)
    assert kinds.count("approved") == 1, kinds
    assert kinds.count("submitted") == 1, kinds
    assert kinds[-1] == "finished", kinds
    code, said = await audit_verify(world.db())
    assert code == 0, said


async def test_a_server_protected_before_the_approval_is_not_stopped_after_a_crash(
    world: World,
) -> None:
    """A server tagged `keep` (protected) after the preview and before Approve is left out even
    when the bot is killed between APPROVED and the stop POST."""
    servers = world.sim.seed(3)
    ids = [s.id for s in servers]
    first = await world.start_bot("first")
    request_id = await world.ask(first, ids)
    servers[0].tags = ("keep",)  # protected now, after the preview, before the approval
    world.slack.hold_word = "Approved by"
    await world.click(first, ActionId.APPROVE, request_id, user=BOB)
    await asyncio.wait_for(world.slack.held.wait(), 15)
    assert _state(world.db(), request_id) == "approved", world.logs()
    first.kill()
    world.slack.release.set()
    await world.start_bot("second")
    deadline = time.monotonic() + 20
    while _state(world.db(), request_id) not in ("finished", "cancelled"):
        assert time.monotonic() < deadline, world.logs()
        await asyncio.sleep(0.1)
    sent = [i for call in world.sim.stop_calls for i in call]
    assert servers[0].id not in sent, f"the protected server was stopped: {sent}"
