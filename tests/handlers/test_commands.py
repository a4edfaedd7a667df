"""``/bms`` answers over real HTTP: help, bad input, lookups, status, and cloud errors."""

from __future__ import annotations

import json

import pytest

from bot.ids import ActionId
from tests.support.harness import Bot, ack_problem, running_bot, texts


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


def ack_text(response) -> str:
    body = json.loads(response.content)
    return body.get("text", "") + "\n" + texts(body.get("blocks"))


@pytest.mark.parametrize("text", ["", "help", "HELP"])
async def test_help(bot: Bot, text: str) -> None:
    """A bare /bms and /bms help answer with usage in the ack itself."""
    response, _ = await bot.command(text)
    assert response.status_code == 200
    assert ack_problem(response) is None
    assert "/bms stop" in ack_text(response)


async def test_bad_token_named_in_ack(bot: Bot) -> None:
    """A wrong id is named in the ack with the usage line, and nothing is looked up."""
    response, _ = await bot.command("stop web-01 616fb98f-46ca-475e-917e-2563e5a8cd19")
    assert response.status_code == 200
    assert ack_problem(response) is None
    text = ack_text(response)
    assert "web-01" in text
    assert "/bms stop <server-id|tag:key=value>" in text.replace("&lt;", "<").replace("&gt;", ">")
    assert not [r for r in bot.sim.request_log if "baremetalservers" in r.path]


async def test_unknown_subcommand(bot: Bot) -> None:
    """An unknown subcommand is named."""
    response, _ = await bot.command("reboot 616fb98f-46ca-475e-917e-2563e5a8cd19")
    assert "reboot" in ack_text(response)


async def test_unknown_and_stopped_only_means_no_buttons(bot: Bot) -> None:
    """When every id is unknown or already stopped, the preview says so and offers no button."""
    stopped = bot.sim.add_server(name="old-1", status="SHUTOFF")
    preview, request_id = await bot.preview(
        f"stop {stopped.id} 00000000-0000-4000-8000-000000000000"
    )
    assert request_id is None
    assert not any(b["type"] == "actions" for b in preview.blocks or [])
    text = texts(preview.blocks)
    assert "old-1" in text
    assert "00000000-0000-4000-8000-000000000000" in text


async def test_duplicates_dropped(bot: Bot) -> None:
    """The same id twice is one server to stop."""
    server = bot.sim.seed(1)[0]
    preview, request_id = await bot.preview(f"stop {server.id},{server.id.upper()}")
    assert request_id
    assert "Stop 1 server" in texts(preview.blocks)


async def test_lookup_with_bad_credentials(bot: Bot) -> None:
    """APIGW.0301 on lookup tells the person the credentials were rejected and what to check."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("server", 401, "APIGW.0301", "Incorrect IAM authentication information")
    preview, request_id = await bot.preview(f"stop {server.id}")
    assert request_id is None
    text = texts(preview.blocks)
    assert "APIGW.0301" in text
    assert "credentials" in text.lower()
    assert "bms-bot check" in text


async def test_lookup_server_error_retried(bot: Bot) -> None:
    """A 500 on lookup is retried and the preview still arrives."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("server", 500, "BMS.9999", "internal", times=2)
    _, request_id = await bot.preview(f"stop {server.id}")
    assert request_id


async def test_lookup_throttled_then_gives_up(bot: Bot) -> None:
    """Throttling that never ends gives a clear 'try again' message, not silence."""
    server = bot.sim.seed(1)[0]
    bot.sim.faults.add("server", 429, "APIGW.0308", "throttled", times=100)
    preview, request_id = await bot.preview(f"stop {server.id}")
    assert request_id is None
    assert "APIGW.0308" in texts(preview.blocks)


async def test_lookup_timeout(tmp_path) -> None:
    """A cloud that does not answer ends in a message, within the retry budget."""
    async with running_bot(tmp_path, bms_http_timeout=0.3, bms_retry_max_seconds=1) as bot:
        server = bot.sim.seed(1)[0]
        bot.sim.faults.add("server", delay=5, times=100)
        preview, request_id = await bot.preview(f"stop {server.id}")
        assert request_id is None
        assert "Huawei" in texts(preview.blocks)


async def test_many_ids_use_the_list_api(bot: Bot) -> None:
    """Fifty ids are looked up through paged list calls, not fifty single GETs."""
    servers = bot.sim.seed(50)
    _, request_id = await bot.preview("stop " + " ".join(s.id for s in servers))
    assert request_id
    singles = [r for r in bot.sim.request_log if r.path.count("/") == 4 and "detail" not in r.path]
    lists = [r for r in bot.sim.request_log if r.path.endswith("/detail")]
    assert len(lists) == 1
    assert len([r for r in singles if "baremetalservers/" in r.path]) == 0


async def test_status_of_a_job(bot: Bot) -> None:
    """/bms status shows a job's servers, with names for jobs this bot started."""
    servers = bot.sim.seed(2)
    request_id, _ = await bot.confirm("stop " + " ".join(s.id for s in servers))
    await bot.settled(request_id)
    job_id = next(iter(bot.sim.jobs))
    response, url = await bot.command(f"status {job_id}")
    assert ack_problem(response) is None
    status = await bot.wait_response(url)
    text = texts(status.blocks)
    assert "web-001" in text
    assert servers[1].id in text


async def test_status_of_unknown_job(bot: Bot) -> None:
    """/bms status of an unknown job says it was not found."""
    _, url = await bot.command("status 0123456789abcdef0123456789abcdef")
    status = await bot.wait_response(url)
    assert "not found" in texts(status.blocks).lower() or "BMS.0040" in texts(status.blocks)


async def test_thousand_ids_preview_within_limits(bot: Bot) -> None:
    """A 1000-server preview renders within Slack's limits (the fake rejects oversize messages)."""
    servers = bot.sim.seed(1000)
    preview, request_id = await bot.preview("stop " + "\n".join(s.id for s in servers))
    assert request_id
    assert "1000" in texts(preview.blocks) or "1,000" in texts(preview.blocks)
    assert ActionId.CONFIRM.value in json.dumps(preview.blocks)


@pytest.mark.parametrize("token", ["----------", "--soft"])
async def test_status_of_something_that_is_no_job_id(bot: Bot, token: str) -> None:
    """`/bms status ----------` is answered "not a job id" in the ack, and nothing is asked."""
    response, _ = await bot.command(f"status {token}")
    assert response.status_code == 200
    assert "is not a job id" in ack_text(response)
    assert not [r for r in bot.sim.request_log if "/jobs/" in r.path]
