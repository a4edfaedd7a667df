"""Opening a confirmed stop's thread: the root comes first, and no stop goes out without it."""

from __future__ import annotations

from bot.core.lifecycle import RequestState
from bot.ids import ActionId
from tests.support.harness import running_bot, texts


async def test_refused_root_post_asks_to_click_again(tmp_path) -> None:
    """Slack failing the channel message: nothing is sent, the person is told, the button works."""
    async with running_bot(tmp_path) as bot:
        server = bot.sim.seed(1)[0]
        _, request_id = await bot.preview(f"stop {server.id}")
        assert request_id
        bot.slack.fail_next("chat.postMessage", "internal_error")
        _, url = await bot.click(ActionId.CONFIRM, request_id)
        answer = await bot.wait_response(url)
        assert "click stop again" in texts(answer.blocks).lower()
        assert bot.sim.stop_calls == []
        await bot.click(ActionId.CONFIRM, request_id)
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert bot.sim.stop_calls == [[server.id]]
