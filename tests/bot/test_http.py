"""The HTTP endpoint as an attacker or a careless proxy meets it: 401 and 400, never a 500."""

from __future__ import annotations

import logging
import random
import time

import pytest

from tests.fakes.slack_requests import sign, slash_command
from tests.support.fuzz import fuzzed_click_body
from tests.support.harness import Bot, running_bot

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


def bot_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("bot", "handlers", "slack_bolt"))]


@pytest.mark.parametrize("stamp", ["", "garbage", "1e9"])
async def test_garbage_timestamp_is_one_401_line(
    bot: Bot, caplog: pytest.LogCaptureFixture, stamp: str
) -> None:
    """A garbage X-Slack-Request-Timestamp gets 401 and one log line, no traceback."""
    request = slash_command("help", response_url="https://hooks.slack.com/x")
    headers = {**request.headers, "X-Slack-Request-Timestamp": stamp}
    with caplog.at_level(logging.INFO):
        caplog.clear()
        response = await bot.post(request.body, headers)
    assert response.status_code == 401
    records = [r for r in bot_records(caplog) if r.levelno >= logging.WARNING]
    assert len(records) == 1
    assert records[0].exc_info is None


async def test_a_wrong_clock_is_named_in_the_log(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Correctly signed 10 minutes ago: 401, and the log says the clock is off by 600 s."""
    request = slash_command(
        "help", response_url="https://hooks.slack.com/x", timestamp=int(time.time()) - 600
    )
    with caplog.at_level(logging.WARNING):
        response = await bot.post(request.body, request.headers)
    assert response.status_code == 401
    [record] = [r for r in bot_records(caplog) if "clock" in r.getMessage()]
    assert 595 <= record.skew_s <= 605
    assert "fix the clock" in record.getMessage()


@pytest.mark.parametrize(
    "fields",
    [{"user_id": ""}, {"channel_id": ""}],
)
async def test_command_without_user_or_channel_is_400(bot: Bot, fields: dict) -> None:
    """An empty user_id or channel_id is a 400, answered before anything runs."""
    request = slash_command("stop x", response_url="https://hooks.slack.com/x", **fields)
    response = await bot.post(request.body, request.headers)
    assert response.status_code == 400
    assert bot.sim.request_log == []


async def test_a_thousand_fuzzed_clicks_never_get_a_500(bot: Bot) -> None:
    """Signed clicks with every part of the wrong kind or missing: 200 or 400, never 500."""
    rng = random.Random(6)
    statuses: dict[int, int] = {}
    for _ in range(1000):
        request = sign(fuzzed_click_body(rng), FORM)
        response = await bot.post(request.body, request.headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    assert set(statuses) <= {200, 400, 404}, statuses  # 404: Bolt has no listener for it
    assert statuses.get(400, 0) > 100
