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


async def test_a_root_slack_took_without_answering_is_adopted_not_posted_twice(tmp_path) -> None:
    """Slack stores the root but its answer is lost: the bot finds that root by its metadata,
    posts no second one, and the stop and the report go on in its thread."""
    async with running_bot(tmp_path) as bot:
        server = bot.sim.seed(1)[0]
        _, request_id = await bot.preview(f"stop {server.id}")
        assert request_id
        bot.slack.fail_next("chat.postMessage", lose_answer=True)
        await bot.click(ActionId.CONFIRM, request_id)
        assert await bot.settled(request_id) is RequestState.FINISHED
        [root] = bot.root_messages()
        assert "Done" in root.text
        assert "Results" in bot.thread_text()
        assert bot.sim.stop_calls == [[server.id]]


async def test_slack_silent_keeps_the_stop_unsent_until_it_can_tell(tmp_path) -> None:
    """Slack takes the root but answers neither the post nor the look-ups: nothing is sent,
    the clicker hears why; once Slack answers, the same root is adopted and the stop goes out."""
    async with running_bot(tmp_path) as bot:
        server = bot.sim.seed(1)[0]
        _, request_id = await bot.preview(f"stop {server.id}")
        assert request_id
        bot.slack.fail_next("chat.postMessage", lose_answer=True)
        bot.slack.fail_next("conversations.history", status=503, html=True, times=2)
        _, url = await bot.click(ActionId.CONFIRM, request_id)
        told = await bot.wait_response(url)
        assert "Slack is not answering" in texts(told.blocks)
        assert bot.sim.stop_calls == []
        row = await bot.runtime.deps.store.requests.get(request_id)
        assert row.state is RequestState.CONFIRMED
        await bot.runtime.deps.stops.resume(
            request_id
        )  # what the sweep does once the claim window is over
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert len(bot.root_messages()) == 1
        assert bot.sim.stop_calls == [[server.id]]
