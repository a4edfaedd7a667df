"""The whole bot in Socket Mode: the Runtime dials the fake Slack's WebSocket, and tests deliver
envelopes through it the way Slack does, instead of signed HTTP requests.

    async with running_socket_bot(tmp_path) as bot:
        ack, url = await bot.command("stop i-1")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.runtime import Runtime
from simulator.runner import start_simulator
from simulator.state import Simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_records import ResponsePost
from tests.fakes.slack_requests import (
    ALICE,
    CHANNEL,
    app_mention_payload,
    block_action_payload,
    slash_command_payload,
)
from tests.fakes.slack_socket import Ack
from tests.support.harness import make_settings, new_simulator

APP_TOKEN = "xapp-test"


@dataclass
class SocketBot:
    """Drive a Socket Mode bot with envelopes, and read what it did."""

    slack: FakeSlack
    sim: Simulator
    runtime: Runtime

    async def command(self, text: str, *, user: str = ALICE) -> tuple[Ack, str]:
        """Deliver ``/bms <text>``; returns the ack and the response_url."""
        url = self.slack.new_response_url("commands")
        payload = slash_command_payload(text, user_id=user, response_url=url)
        return await self.slack.send_envelope("slash_commands", payload), url

    async def click(
        self, action_id: str, value: str, *, user: str = ALICE, **fields: Any
    ) -> tuple[Ack, str]:
        """Deliver a button click on the ephemeral preview; returns the ack and its response_url."""
        url = self.slack.new_response_url("actions")
        fields.setdefault("message_ts", "1764255601.000200")
        payload = block_action_payload(action_id, value, user_id=user, response_url=url, **fields)
        return await self.slack.send_envelope("interactive", payload), url

    async def mention(self, text: str, *, retry_attempt: int = 0, **fields: Any) -> Ack:
        """Deliver an app_mention event (``retry_attempt`` > 0 is Slack redelivering it)."""
        payload = app_mention_payload(text, **fields)
        reason = "timeout" if retry_attempt else ""
        return await self.slack.send_envelope(
            "events_api", payload, retry_attempt=retry_attempt, retry_reason=reason
        )

    def responses(self, url: str) -> list[ResponsePost]:
        return [r for r in self.slack.responses if r.url == url]

    async def wait_response(self, url: str, count: int = 1) -> ResponsePost:
        await self.slack.wait_for(lambda: len(self.responses(url)) >= count)
        return self.responses(url)[count - 1]

    async def wait_idle(self) -> None:
        """Wait until no request is being polled, so stopping cannot cut a poll tick short."""
        deps = self.runtime.deps
        assert deps is not None, "the runtime is not started"
        await self.slack.wait_for(lambda: not deps.watcher.watching(), timeout=10)

    def root_messages(self, channel: str = CHANNEL) -> list[Any]:
        return [
            m
            for m in self.slack.messages.values()
            if m.channel == channel and m.thread_ts is None and m.bot_id
        ]


@asynccontextmanager
async def running_socket_bot(
    tmp_path: Any, *, sim: Simulator | None = None, **overrides: Any
) -> AsyncIterator[SocketBot]:
    """A Runtime with an app token and no signing secret, connected to a fresh FakeSlack."""
    slack = FakeSlack(app_token=APP_TOKEN)
    sim = sim or new_simulator()
    await slack.start()
    slack.add_channel(CHANNEL, name="incident-42")
    running = await start_simulator(sim)
    overrides = {"slack_app_token": APP_TOKEN, "slack_signing_secret": None, **overrides}
    settings = make_settings(
        slack.api_url, running.url, f"sqlite+aiosqlite:///{tmp_path}/bot.db", **overrides
    )
    runtime = Runtime(settings)
    try:
        await runtime.start()
        await slack.wait_connected()
        yield SocketBot(slack, sim, runtime)
    finally:
        # The runtime first: a fake closing under a live client makes the SDK reconnect.
        await runtime.stop()
        await running.close()
        await slack.close()
