"""Socket Mode end to end: the Runtime connects to the fake Slack's WebSocket, and slash commands,
clicks and mentions arrive as envelopes that must be acked within Slack's 3 seconds."""

from __future__ import annotations

import logging

import pytest

from bot.ids import ActionId, MetadataEvent
from bot.runtime import Runtime, StartupError
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_limits import validate_message
from tests.fakes.slack_requests import ALICE, BOB, CHANNEL
from tests.support.harness import button_value, make_settings, value_of
from tests.support.slack_text import readable, texts
from tests.support.socket_bot import SocketBot, running_socket_bot

ACK_BUDGET_SECONDS = 3.0
DUPLICATE_LOG = "duplicate event delivery ignored"


@pytest.fixture
async def bot(tmp_path):
    async with running_socket_bot(tmp_path) as b:
        yield b


def result_posts(bot: SocketBot) -> list[int]:
    """Part numbers of the report parts the bot posted successfully, in order."""
    return [
        call.args["metadata"]["event_payload"]["part"]
        for call in bot.slack.calls_to("chat.postMessage")
        if call.ok
        and (call.args.get("metadata") or {}).get("event_type") == MetadataEvent.RESULT_PART
    ]


def lookups(bot: SocketBot, server_id: str) -> int:
    """How many times the bot read this server from the simulator (once per stop preview)."""
    wanted = f"/baremetalservers/{server_id}"
    return sum(1 for r in bot.sim.request_log if r.method == "GET" and r.path.endswith(wanted))


async def test_slash_command_is_acked_in_time_and_previewed(bot: SocketBot) -> None:
    """A /bms stop envelope is acked within 3 s with a valid message, then previewed."""
    servers = bot.sim.seed(2)
    ack, url = await bot.command(f"stop {servers[0].id} {servers[1].id} reason: disk full")

    assert ack.latency < ACK_BUDGET_SECONDS
    if ack.payload:
        assert validate_message(ack.payload.get("text"), ack.payload.get("blocks")) is None
    preview = await bot.wait_response(url)
    shown = readable(preview.text, preview.blocks)
    assert "web-001" in shown
    assert "web-002" in shown
    assert button_value(preview.blocks or []), "the preview has no confirm button"
    assert validate_message(preview.text, preview.blocks) is None
    assert bot.sim.stop_calls == []


async def test_confirm_click_stops_once_and_reports_in_thread(bot: SocketBot) -> None:
    """An interactive envelope with the confirm click submits one stop and reports per server."""
    servers = bot.sim.seed(2)
    _, url = await bot.command(f"stop {servers[0].id} {servers[1].id}")
    request_id = button_value((await bot.wait_response(url)).blocks or [])
    assert request_id

    ack, click_url = await bot.click(ActionId.CONFIRM, request_id)

    assert ack.latency < ACK_BUDGET_SECONDS
    assert (await bot.wait_response(click_url)).replace_original
    await bot.slack.wait_for(lambda: result_posts(bot) == [1], timeout=10)
    assert bot.sim.stop_calls == [[s.id for s in servers]]
    [root] = bot.root_messages()
    report = "\n".join(texts(m.blocks) for m in bot.slack.thread_replies(CHANNEL, root.ts))
    for server in servers:
        assert server.id in report
    assert "Results" in report
    await bot.wait_idle()
    assert "Done" in readable(root.text, root.blocks)
    assert f"<@{ALICE}>" in readable(root.text, root.blocks)


async def test_mention_in_thread_previews_there_and_ignores_its_retry(
    bot: SocketBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A mention in a thread gets an ephemeral preview there; its redelivery starts no flow."""
    caplog.set_level(logging.INFO, logger="handlers.events")
    [server] = bot.sim.seed(1)
    parent = bot.slack.add_message(CHANNEL, "web-001 is filling its disk", user=BOB)
    text = f"<@{bot.slack.bot_user_id}> stop {server.id}"
    said = bot.slack.add_message(CHANNEL, text, user=ALICE, thread_ts=parent.ts)
    event = {"ts": said.ts, "thread_ts": parent.ts, "event_id": "Ev0MENTION01"}

    first = await bot.mention(text, **event)
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    retry = await bot.mention(text, retry_attempt=1, **event)
    # Either the bot says it dropped the retry, or a second preview shows it did not.
    await bot.slack.wait_for(lambda: DUPLICATE_LOG in caplog.text or len(bot.slack.ephemerals) > 1)

    assert first.latency < ACK_BUDGET_SECONDS
    assert retry.latency < ACK_BUDGET_SECONDS
    [preview] = bot.slack.ephemerals
    assert preview.user == ALICE
    assert preview.channel == CHANNEL
    assert preview.thread_ts == parent.ts
    assert "web-001" in readable(preview.text, preview.blocks)
    assert button_value(preview.blocks)
    assert lookups(bot, server.id) == 1
    assert bot.sim.stop_calls == []


async def test_wrong_app_token_is_explained(tmp_path) -> None:
    """A wrong app-level token stops start-up with a plain StartupError naming SLACK_APP_TOKEN."""
    async with FakeSlack() as slack:
        settings = make_settings(
            slack.api_url,
            "http://127.0.0.1:9/unused",
            f"sqlite+aiosqlite:///{tmp_path}/s.db",
            slack_app_token="xapp-wrong",
            slack_signing_secret=None,
        )
        runtime = Runtime(settings)
        try:
            with pytest.raises(StartupError, match="SLACK_APP_TOKEN"):
                await runtime.start()
        finally:
            await runtime.stop()


async def test_a_scheduled_stop_in_socket_mode_is_announced_then_runs_once(
    bot: SocketBot,
) -> None:
    """Socket Mode takes the Schedule click the same way: an announcement, then one stop at its
    time, reported in the announcement's thread."""
    [server] = bot.sim.seed(1)
    _, url = await bot.command(f"stop {server.id} in 2s reason: maintenance")
    preview = await bot.wait_response(url)
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id
    ack, _ = await bot.click(ActionId.CONFIRM, request_id)
    assert ack.latency < ACK_BUDGET_SECONDS
    await bot.slack.wait_for(bot.root_messages, timeout=5)
    [root] = bot.root_messages()
    assert "Scheduled stop of 1 server" in readable(root.text, root.blocks)
    assert bot.sim.stop_calls == []
    await bot.slack.wait_for(lambda: result_posts(bot) == [1], timeout=15)
    assert bot.sim.stop_calls == [[server.id]]
    replies = bot.slack.thread_replies(CHANNEL, root.ts)
    assert any("Results" in texts(m.blocks) for m in replies)


async def test_readyz_says_the_socket_is_connected(bot: SocketBot) -> None:
    """In Socket Mode /readyz names the connection's state: connected once the bot dialled."""
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bot.runtime.port}") as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["slack"] == "connected"
