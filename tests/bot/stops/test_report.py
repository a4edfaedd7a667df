"""The report: posted in parts exactly once, and told privately when the thread is out of reach."""

from __future__ import annotations

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, MetadataEvent
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import CHANNEL
from tests.fakes.slack_workspace import DEFAULT_SCOPES
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


def shared_files(bot: Bot) -> list[dict[str, object]]:
    return [f for m in bot.replies() for f in m.files or []]


async def test_a_large_report_is_a_summary_and_one_file_of_every_server(tmp_path) -> None:
    """1,500 servers: a short summary in the thread and one CSV file there listing every server
    once; Slack never answers 429."""
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=60) as bot:
        servers = bot.sim.seed(1500)
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        posts = bot.slack.calls_to("chat.postMessage")
        assert [c for c in posts if c.error == "ratelimited"] == []
        (shared,) = shared_files(bot)
        upload = bot.slack.files.files[str(shared["id"])]
        assert upload.content is not None
        rows = upload.content.decode().splitlines()[1:]
        assert sorted(r.split(",")[0] for r in rows) == sorted(s.id for s in servers)
        parts = [
            m
            for m in bot.replies()
            if (m.metadata or {}).get("event_type") == MetadataEvent.RESULT_PART
        ]
        assert 1 <= len(parts) <= 3
        assert request_id in str(shared["name"])


async def test_a_file_slack_shared_without_answering_is_not_shared_twice(tmp_path) -> None:
    """The completion of the upload took effect but its answer was lost: the next tick finds
    the file in the thread by its name, and the report finishes with it shared once."""
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=60) as bot:
        servers = bot.sim.seed(1500)
        bot.slack.fail_next("files.completeUploadExternal", lose_answer=True)
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        assert len(shared_files(bot)) == 1
        assert [c.error for c in bot.slack.calls_to("files.completeUploadExternal")] == [
            "answer_lost"
        ]


async def test_a_refused_upload_is_tried_again_and_shared_once(tmp_path) -> None:
    """Slack failing the upload URL step once: the next tick uploads the file, shared once."""
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=60) as bot:
        servers = bot.sim.seed(1500)
        bot.slack.fail_next("files.getUploadURLExternal", "internal_error")
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        assert len(shared_files(bot)) == 1


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


async def test_without_files_write_the_summary_stands_and_the_thread_says_why(tmp_path) -> None:
    """An app installed before files:write: the upload is refused, the thread says so under the
    summary and how to see each server, and the request finishes."""
    scopes = [s for s in DEFAULT_SCOPES if s != "files:write"]
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, slack=FakeSlack(scopes=scopes)) as bot:
        servers = bot.sim.seed(1500)
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        await bot.slack.wait_for(lambda: "files:write" in bot.thread_text())
        assert shared_files(bot) == []
        assert "/bms status" in bot.thread_text()
