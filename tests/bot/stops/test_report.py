"""The report: posted in parts exactly once, and told privately when the thread is out of reach."""

from __future__ import annotations

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, MetadataEvent
from tests.fakes.slack_requests import CHANNEL
from tests.support.harness import Bot, button_value, new_simulator, running_bot, texts


async def confirmed_and_running(bot: Bot, server_id: str) -> tuple[str, str]:
    """Stop one server through /bms and its button; (request id, the command's response_url)
    once Huawei has accepted the stop."""
    _, command_url = await bot.command(f"stop {server_id}")
    preview = await bot.wait_response(command_url)
    request_id = button_value(preview.blocks or [])
    assert request_id
    await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(lambda: "accepted the stop" in bot.thread_text())
    return request_id, command_url


async def test_report_to_a_channel_the_bot_left_is_told_privately(tmp_path) -> None:
    """If the bot can no longer post in the channel, the requester hears it privately with the
    job ids, and the request finishes instead of retrying forever."""
    async with running_bot(tmp_path, sim=new_simulator(stop_seconds=0.6)) as bot:
        server = bot.sim.seed(1)[0]
        request_id, command_url = await confirmed_and_running(bot, server.id)
        bot.slack.add_channel(CHANNEL, member=False, private=True)  # the bot was removed
        assert await bot.settled(request_id) is RequestState.FINISHED
        told = [r for r in bot.responses(command_url) if "could not post" in texts(r.blocks)]
        assert len(told) == 1
        assert next(iter(bot.sim.jobs)) in texts(told[0].blocks)


async def test_an_html_500_on_a_result_post_is_tried_again(tmp_path) -> None:
    """One 5xx HTML page from Slack on the report does not abandon it: the next tick posts it."""
    async with running_bot(tmp_path, sim=new_simulator(stop_seconds=0.6)) as bot:
        server = bot.sim.seed(1)[0]
        request_id, command_url = await confirmed_and_running(bot, server.id)
        bot.slack.fail_next("chat.postMessage", status=500, html=True)
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert "Results" in bot.thread_text()
        assert not [r for r in bot.responses(command_url) if "could not post" in texts(r.blocks)]
        refused = [c for c in bot.slack.calls_to("chat.postMessage") if c.error == "html_page"]
        assert len(refused) == 1


async def test_a_large_report_never_meets_slacks_channel_limit(tmp_path) -> None:
    """A report of many parts is paced at about one post a second per channel: every part is
    posted, and Slack never answers 429."""
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=60) as bot:
        servers = bot.sim.seed(1500)
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        posts = bot.slack.calls_to("chat.postMessage")
        assert [c for c in posts if c.error == "ratelimited"] == []
        parts = [
            c
            for c in posts
            if c.ok
            and (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.RESULT_PART
        ]
        assert len(parts) >= 5


async def test_a_part_slack_took_without_answering_is_not_posted_twice(tmp_path) -> None:
    """A report part Slack stored but never answered is found in the thread and counted: every
    part appears exactly once."""
    async with running_bot(tmp_path, sim=new_simulator(stop_seconds=0.6)) as bot:
        server = bot.sim.seed(1)[0]
        request_id, _ = await bot.confirm(f"stop {server.id}")
        await bot.slack.wait_for(lambda: "accepted the stop" in bot.thread_text())
        bot.slack.fail_next("chat.postMessage", lose_answer=True)
        assert await bot.settled(request_id) is RequestState.FINISHED
        parts = [
            m
            for m in bot.replies()
            if (m.metadata or {}).get("event_type") == MetadataEvent.RESULT_PART
        ]
        assert len(parts) == 1
