"""``@bms-bot stop …`` in an incident thread over real HTTP, with Slack's retried deliveries."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.lifecycle import RequestState
from bot.ids import ActionId
from tests.fakes.slack_requests import ALICE, CHANNEL
from tests.support.harness import Bot, button_value, running_bot, texts

THREAD = "1764255000.000100"


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


async def mention(bot: Bot, text: str, event_id: str = "Ev1", **kw) -> None:
    response = await bot.mention(
        f"<@U0BOT> {text}", ts="1764255700.000400", thread_ts=THREAD, event_id=event_id, **kw
    )
    assert response.status_code == 200


async def test_mention_runs_the_flow_in_the_thread(bot: Bot) -> None:
    """The preview is ephemeral in the thread; the root and results go into that same thread."""
    servers = bot.sim.seed(2)
    await mention(bot, "stop " + ", ".join(s.id for s in servers) + " reason: incident 42")
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    preview = bot.slack.ephemerals[0]
    assert preview.user == ALICE
    assert preview.thread_ts == THREAD
    request_id = button_value(preview.blocks)
    assert request_id
    await bot.click(ActionId.CONFIRM, request_id)
    assert await bot.settled(request_id) is RequestState.FINISHED
    in_thread = bot.slack.thread_replies(CHANNEL, THREAD)
    assert any("Results" in m.text for m in in_thread)
    assert bot.root_messages() == []  # nothing at the top level of the channel
    assert bot.sim.stop_calls == [[s.id for s in servers]]


async def test_retried_delivery_starts_no_second_flow(bot: Bot) -> None:
    """A retried delivery of the same event (even while the first runs) is ignored."""
    server = bot.sim.seed(1)[0]
    await asyncio.gather(
        mention(bot, f"stop {server.id}"),
        mention(bot, f"stop {server.id}", retry_num=1),
    )
    await mention(bot, f"stop {server.id}", retry_num=2)
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    await asyncio.sleep(0.3)
    assert len(bot.slack.ephemerals) == 1


async def test_bad_mention_gets_an_ephemeral_answer(bot: Bot) -> None:
    """A wrong id in a mention is answered privately in the thread, naming the token."""
    await mention(bot, "stop not-a-uuid")
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    answer = bot.slack.ephemerals[0]
    assert answer.thread_ts == THREAD
    assert "not-a-uuid" in texts(answer.blocks)


async def test_mention_help(bot: Bot) -> None:
    """A bare mention answers with usage."""
    await mention(bot, "")
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    assert "/bms stop" in texts(bot.slack.ephemerals[0].blocks)
