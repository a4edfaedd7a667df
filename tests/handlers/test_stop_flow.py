"""The whole stop flow over real HTTP: signed slash command → preview → click → thread results."""

from __future__ import annotations

import pytest

from bot.ids import ActionId
from tests.fakes.slack_requests import ALICE
from tests.support.harness import Bot, ack_problem, button_value, running_bot, texts


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


async def test_happy_path_to_thread_results(bot: Bot) -> None:
    """Two running servers are previewed, confirmed, stopped, and reported server by server."""
    servers = bot.sim.seed(2)
    ids = " ".join(s.id for s in servers)
    response, url = await bot.command(f"stop {ids} reason: disk full")
    assert response.status_code == 200
    assert ack_problem(response) is None
    preview = await bot.wait_response(url)
    assert "web-001" in texts(preview.blocks)
    request_id = button_value(preview.blocks or [])
    assert request_id

    click, click_url = await bot.click(ActionId.CONFIRM, request_id)
    assert click.status_code == 200
    submitted = await bot.wait_response(click_url)
    assert submitted.replace_original
    await bot.slack.wait_for(lambda: bot.sim.stop_calls, timeout=10)
    assert bot.sim.stop_calls == [[s.id for s in servers]]
    await bot.slack.wait_for(
        lambda: (
            bot.runtime.deps is not None
            and not bot.runtime.deps.watcher.watching()
            and len(bot.root_messages()) == 1
            and len(bot.replies()) >= 2
        ),
        timeout=15,
    )
    root = bot.root_messages()[0]
    assert f"<@{ALICE}>" in root.text + texts(root.blocks)
    report = bot.thread_text()
    for server in servers:
        assert server.id in report
    assert all(s.status == "SHUTOFF" for s in servers)
