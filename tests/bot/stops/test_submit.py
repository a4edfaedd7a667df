"""Submitting stops against the simulator: refusals, throttling, no answer, and 1500 servers."""

from __future__ import annotations

import pytest

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, MetadataEvent
from tests.support.harness import Bot, button_value, new_simulator, running_bot, texts


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


def report_text(bot: Bot) -> str:
    """The thread as people read it: every post, and every file shared in it."""
    return "\n".join([*(texts(m.blocks) for m in bot.replies()), *bot.thread_files()])


async def test_refused_stop_is_said_in_thread(bot: Bot) -> None:
    """A 403 from Huawei is posted in the thread with its code and advice; nothing is retried."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("stop", 403, "BMS.0004", "You do not have permission")
    request_id, _ = await bot.confirm(f"stop {server.id}")
    assert await bot.settled(request_id) is RequestState.FINISHED
    thread = report_text(bot)
    assert "BMS.0004" in thread
    assert "permission" in thread.lower()
    assert "stopping 1 server." in thread  # one server, not "1 servers"
    assert bot.sim.stop_calls == []
    assert len([r for r in bot.sim.request_log if r.method == "POST"]) == 1


async def test_bad_credentials_on_stop(bot: Bot) -> None:
    """APIGW.0301 on the stop says the credentials were rejected, in the thread."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("stop", 401, "APIGW.0301", "Incorrect IAM authentication information")
    request_id, _ = await bot.confirm(f"stop {server.id}")
    await bot.settled(request_id)
    thread = report_text(bot)
    assert "APIGW.0301" in thread
    assert "credentials" in thread.lower()


async def test_throttled_stop_is_retried_once_accepted(bot: Bot) -> None:
    """A 429 on the stop is retried (it was not processed) and the stop then goes through once."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("stop", 429, "APIGW.0308", "throttled", times=2)
    request_id, _ = await bot.confirm(f"stop {server.id}")
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert bot.sim.stop_calls == [[server.id]]
    assert server.status == "SHUTOFF"


async def test_server_error_on_stop_is_not_retried(bot: Bot) -> None:
    """A 500 on the stop may have been accepted: never resent, and the thread says so plainly."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("stop", 500, "BMS.9999", "Internal error")
    request_id, _ = await bot.confirm(f"stop {server.id}")
    await bot.settled(request_id)
    assert len([r for r in bot.sim.request_log if r.method == "POST"]) == 1
    assert "may or may not" in report_text(bot).lower()


async def test_timeout_after_acceptance_never_resends(tmp_path) -> None:
    """Huawei accepts the stop but the answer never arrives: one stop, and an honest notice."""
    async with running_bot(tmp_path, bms_http_timeout=0.3) as bot:
        server = bot.sim.seed(1)[0]
        bot.sim.faults.add("stop", delay=3)
        request_id, _ = await bot.confirm(f"stop {server.id}")
        await bot.settled(request_id)
        assert bot.sim.stop_calls == [[server.id]]
        assert "may or may not" in report_text(bot).lower()


async def test_1500_servers_make_two_jobs_in_one_thread(tmp_path) -> None:
    """1500 servers are stopped by two calls (1000 + 500), tracked in one thread, all reported
    (in the thread's file of every server)."""
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=60) as bot:
        servers = bot.sim.seed(1500)
        request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        assert [len(c) for c in bot.sim.stop_calls] == [1000, 500]
        assert len(bot.root_messages()) == 1
        parts = [
            c
            for c in bot.slack.calls_to("chat.postMessage")
            if (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.RESULT_PART
        ]
        assert parts
        report = report_text(bot)
        assert all(s.id in report for s in servers)
        jobs_note = bot.replies()[0]
        assert all(job_id in texts(jobs_note.blocks) for job_id in bot.sim.jobs)


async def test_partly_failed_job_reports_each_server(bot: Bot) -> None:
    """A job where one server fails reports the failure with Huawei's code and an explanation."""
    good = bot.sim.seed(1)[0]
    bad = bot.sim.add_server(name="db-1", fail_code="BMS.0037", fail_reason="server is rebooting")
    request_id, _ = await bot.confirm(f"stop {good.id} {bad.id}")
    assert await bot.settled(request_id) is RequestState.FINISHED
    report = report_text(bot)
    assert "BMS.0037" in report
    assert "server is rebooting" in report
    assert "reboot" in report.lower()
    root = bot.root_messages()[0]
    assert "1 failed" in root.text + texts(root.blocks)


async def test_server_deleted_between_preview_and_click(bot: Bot) -> None:
    """A 400 BMS.0040 (a server vanished after the preview) is said in the thread; nothing stops."""
    servers = bot.sim.seed(2)
    _, request_id = await bot.preview("stop " + " ".join(s.id for s in servers))
    assert request_id
    del bot.sim.servers[servers[1].id]
    await bot.click(ActionId.CONFIRM, request_id)
    assert await bot.settled(request_id) is RequestState.FINISHED
    thread = report_text(bot)
    assert "BMS.0040" in thread
    assert bot.sim.stop_calls == []
    assert servers[0].status == "ACTIVE"


async def test_a_failure_reason_given_only_in_the_entities_is_reported(bot: Bot) -> None:
    """Huawei's specific reason in entities.errorcode_message reaches the thread."""
    bad = bot.sim.add_server(
        name="db-2", fail_code="BMS.0037", fail_detail="the server is being rebooted by the host"
    )
    request_id, _ = await bot.confirm(f"stop {bad.id}")
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert "the server is being rebooted by the host" in report_text(bot)


@pytest.mark.parametrize("fault", ["read_timeout", "garbled"])
async def test_a_lost_answer_is_settled_from_the_servers(tmp_path, fault: str) -> None:
    """The stop took effect but its answer was lost (a read timeout, invalid JSON on a 200): the
    thread says it was accepted after all, and the report says the server stopped."""
    async with running_bot(tmp_path, bms_http_timeout=0.3) as bot:
        server = bot.sim.seed(1)[0]
        if fault == "read_timeout":
            bot.sim.faults.add("stop", delay=3)
        else:
            bot.sim.faults.add("stop", garble=True)
        request_id, _ = await bot.confirm(f"stop {server.id}")
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert bot.sim.stop_calls == [[server.id]]
        thread = report_text(bot)
        assert "did take the stop of 1 server after all" in thread
        assert "stopped *1*" in thread
        root = bot.root_messages()[0]
        assert "Done" in root.text


async def test_a_stop_that_never_arrived_is_offered_again(tmp_path) -> None:
    """A 500 before the stop ran, nothing changed: nothing was stopped, the requester gets a
    Submit again button, and clicking it stops the server once."""
    async with running_bot(tmp_path) as bot:
        server = bot.sim.seed(1)[0]
        bot.sim.faults.add("stop", 500, "BMS.9999", "Internal error")
        _, command_url = await bot.command(f"stop {server.id}")
        preview = await bot.wait_response(command_url)
        request_id = button_value(preview.blocks or [])
        assert request_id
        await bot.click(ActionId.CONFIRM, request_id)
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert "did not take the stop of 1 server" in report_text(bot)
        offer = await bot.wait_response(command_url, count=2)
        assert "Submit again" in texts(offer.blocks)
        again = button_value(offer.blocks or [])
        assert again
        assert again != request_id
        await bot.click(ActionId.CONFIRM, again)
        assert await bot.settled(again) is RequestState.FINISHED
        assert bot.sim.stop_calls == [[server.id]]
        assert server.status == "SHUTOFF"
