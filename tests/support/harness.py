"""The whole bot, running for real on 127.0.0.1 against the fake Slack and the BMS simulator.

Requests go in over HTTP, signed like Slack signs them; the bot talks HTTP to both fakes; state is
in a real database. Nothing inside the product is replaced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.core.lifecycle import RequestState
from bot.ids import ActionId
from bot.runtime import Runtime
from bot.settings import Settings
from simulator.runner import RunningSimulator, start_simulator
from simulator.state import Simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_limits import validate_message
from tests.fakes.slack_records import ResponsePost
from tests.fakes.slack_requests import (
    ALICE,
    CHANNEL,
    SIGNING_SECRET,
    app_mention,
    block_action,
    slash_command,
    view_submission,
)
from tests.support.slack_text import texts

PROJECT = "0123456789abcdef0123456789abcdef"
AK, SK = "TESTACCESSKEY", "test-secret-key"
SIMULATOR_URL = "<simulator url>"  # an override value replaced by the running simulator's URL


def make_settings(slack_api_url: str, bms_url: str, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack_api_url,
        "host": "127.0.0.1",
        "port": 0,
        "bms_endpoint": bms_url,
        "huaweicloud_sdk_ak": AK,
        "huaweicloud_sdk_sk": SK,
        "huaweicloud_sdk_project_id": PROJECT,
        "bms_database_url": db_url,
        "bms_poll_interval": 0.05,
        # Paced like Huawei's limit only where a test says so (tests/bot/test_stop_pacing.py).
        "bms_stop_calls_per_minute": 60_000,
        "bms_progress_interval": 0,
        "bms_retry_base_delay": 0.01,
        "bms_retry_max_seconds": 3,
        "bms_http_timeout": 2,
        "bms_reconcile_seconds": 1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def new_simulator(**kwargs: Any) -> Simulator:
    kwargs.setdefault("init_seconds", 0.05)
    kwargs.setdefault("stop_seconds", 0.1)
    return Simulator(PROJECT, AK, SK, **kwargs)


@dataclass
class Bot:
    """Drive the running bot the way Slack would, and read what it did."""

    slack: FakeSlack
    sim: Simulator
    runtime: Runtime
    http: httpx.AsyncClient

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post("/slack/events", content=body, headers=headers)

    async def command(
        self, text: str, *, user: str = ALICE, channel: str = CHANNEL
    ) -> tuple[httpx.Response, str]:
        """Send ``/bms <text>``; returns the ack and the response_url."""
        url = self.slack.new_response_url("commands")
        req = slash_command(text, user_id=user, channel_id=channel, response_url=url)
        return await self.post(req.body, req.headers), url

    async def click(
        self, action_id: str, value: str, *, user: str = ALICE, channel: str = CHANNEL
    ) -> tuple[httpx.Response, str]:
        url = self.slack.new_response_url("actions")
        req = block_action(
            action_id,
            value,
            user_id=user,
            channel_id=channel,
            response_url=url,
            message_ts="1764255601.000200",
            trigger_id=self.slack.mint_trigger_id(user),  # so the listener may open a modal
        )
        return await self.post(req.body, req.headers), url

    async def submit_view(
        self,
        callback_id: str,
        private_metadata: str,
        values: Mapping[str, Mapping[str, Any]],
        *,
        user: str = ALICE,
    ) -> httpx.Response:
        """Submit a modal (values: block_id -> action_id -> text); returns the ack, whose body
        carries any `response_action` such as field errors."""
        trigger_id = self.slack.mint_trigger_id(user)
        req = view_submission(
            callback_id, private_metadata, values, user_id=user, trigger_id=trigger_id
        )
        return await self.post(req.body, req.headers)

    async def mention(self, text: str, **fields: Any) -> httpx.Response:
        req = app_mention(text, **fields)
        return await self.post(req.body, req.headers)

    def responses(self, url: str) -> list[ResponsePost]:
        return [r for r in self.slack.responses if r.url == url]

    async def wait_response(self, url: str, count: int = 1) -> ResponsePost:
        await self.slack.wait_for(lambda: len(self.responses(url)) >= count)
        return self.responses(url)[count - 1]

    async def preview(self, text: str, **kw: Any) -> tuple[ResponsePost, str | None]:
        """Run a stop command; return the preview and its request id (None without buttons)."""
        response, url = await self.command(text, **kw)
        assert response.status_code == 200, response.text
        preview = await self.wait_response(url)
        return preview, button_value(preview.blocks or [])

    async def confirm(self, text: str) -> tuple[str, str]:
        """Preview a stop and click its Stop button; returns (request id, click response_url)."""
        _, request_id = await self.preview(text)
        assert request_id, self.slack.summary()
        click, url = await self.click(ActionId.CONFIRM, request_id)
        assert click.status_code == 200
        return request_id, url

    def replies(self, channel: str = CHANNEL) -> list[Any]:
        """Bot replies in the thread of the first root message."""
        roots = self.root_messages(channel)
        return self.slack.thread_replies(channel, roots[0].ts) if roots else []

    def thread_files(self, channel: str = CHANNEL) -> list[str]:
        """The text of each file shared in the thread of the first root message."""
        shared = [f for m in self.replies(channel) for f in m.files or []]
        contents = (self.slack.files.files[str(f["id"])].content for f in shared)
        return [content.decode() for content in contents if content is not None]

    def thread_text(self, channel: str = CHANNEL) -> str:
        return "\n".join(m.text + "\n" + texts(m.blocks) for m in self.replies(channel))

    async def settled(self, request_id: str, within: float = 15) -> RequestState:
        """Wait until the request reaches a final state; returns it."""
        deps = self.runtime.deps
        assert deps is not None
        final = {RequestState.FINISHED, RequestState.TIMED_OUT}
        final |= {RequestState.CANCELLED, RequestState.EXPIRED}
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            row = await deps.store.requests.get(request_id)
            if row is not None and row.state in final:
                return row.state
            await asyncio.sleep(0.02)
        raise AssertionError(f"request {request_id} not settled:\n{self.slack.summary()}")

    def root_messages(self, channel: str = CHANNEL) -> list[Any]:
        return [
            m
            for m in self.slack.messages.values()
            if m.channel == channel and m.thread_ts is None and m.bot_id
        ]


def value_of(blocks: list[dict[str, Any]] | None, action_id: str) -> str | None:
    """The value of the button with ``action_id`` (None when the message has none)."""
    for block in blocks or []:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    return None


def button_value(blocks: list[dict[str, Any]]) -> str | None:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element.get("style") == "danger":
                return str(element["value"])
    return None


def ack_problem(response: httpx.Response) -> str | None:
    """Slack shows an ack body as a message: it must pass the same checks (None when empty)."""
    if not response.content:
        return None
    if not response.headers.get("content-type", "").startswith("application/json"):
        return validate_message(response.text, None)  # Slack shows a plain-text body as is
    body = json.loads(response.content)
    return validate_message(body.get("text"), body.get("blocks"))


@asynccontextmanager
async def running_bot(
    tmp_path: Any,
    *,
    sim: Simulator | None = None,
    slack: FakeSlack | None = None,
    db_url: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Bot]:
    slack = slack or FakeSlack()
    sim = sim or new_simulator()
    await slack.start()
    slack.add_channel(CHANNEL, name="incident-42")
    running: RunningSimulator = await start_simulator(sim)
    url = db_url or f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    overrides = {k: running.url if v == SIMULATOR_URL else v for k, v in overrides.items()}
    runtime = Runtime(make_settings(slack.api_url, running.url, url, **overrides))
    try:
        await runtime.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.port}") as http:
            yield Bot(slack, sim, runtime, http)
    finally:
        await runtime.stop()
        await running.close()
        await slack.close()
