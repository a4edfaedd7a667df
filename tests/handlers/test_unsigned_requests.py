"""Forged requests end to end: unsigned, wrongly signed and stale requests get 401 over real HTTP,
and nothing happens because of them.

``tests/bot/slack/test_inbound.py`` proves the checks on their own; here the whole bot runs, and
each forged request is the real thing that would act if it were signed: a ``/bms stop`` of a
running server, the requester's Stop click on a live preview, an ``@bms-bot stop`` in a thread.
After the 401 the fake Slack has recorded no new call, the database no new row, the simulator no
request; then the same request, correctly signed, does act, so the refusal was the only reason.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.ids import ActionId
from tests.fakes.slack_requests import (
    ALICE,
    SIGNING_SECRET,
    SignedRequest,
    app_mention,
    block_action,
    slash_command,
)
from tests.support.harness import Bot, running_bot

THREAD = "1764255000.000100"
STALE_SECONDS = 6 * 60  # Slack's window is five minutes


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


def unsigned(build: Callable[..., SignedRequest]) -> SignedRequest:
    request = build(signing_secret=SIGNING_SECRET, timestamp=None)
    headers = {k: v for k, v in request.headers.items() if not k.startswith("X-Slack-")}
    return SignedRequest(request.body, headers)


FORGERIES: dict[str, Callable[[Callable[..., SignedRequest]], SignedRequest]] = {
    "unsigned": unsigned,
    "wrong secret": lambda build: build(signing_secret="not-the-signing-secret", timestamp=None),
    "stale": lambda build: build(
        signing_secret=SIGNING_SECRET, timestamp=int(time.time()) - STALE_SECONDS
    ),
}


def row_counts(db: Path) -> dict[str, int]:
    """Rows per table: any new preview, click, event or audit row shows here."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def footprint(bot: Bot, db: Path) -> dict[str, Any]:
    """Everything a request could leave behind: Slack calls and posts, cloud calls, rows."""
    return {
        "slack calls": [call.summary() for call in bot.slack.calls],
        "messages": len(bot.slack.messages),
        "ephemerals": len(bot.slack.ephemerals),
        "responses": len(bot.slack.responses),
        "cloud calls": len(bot.sim.request_log),
        "stops": list(bot.sim.stop_calls),
        "rows": row_counts(db),
    }


async def refused_without_a_trace(bot: Bot, db: Path, request: SignedRequest) -> None:
    before = footprint(bot, db)
    response = await bot.post(request.body, request.headers)
    assert response.status_code == 401, response.text
    await asyncio.sleep(0.3)  # anything it had set off would have reached the fakes by now
    assert footprint(bot, db) == before


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_stop_command_does_nothing(bot: Bot, tmp_path: Path, forgery: str) -> None:
    """A forged /bms stop of a running server is a 401: no lookup, no preview, no Slack call."""
    server = bot.sim.seed(1)[0]
    url = bot.slack.new_response_url("commands")

    def build(**signing: Any) -> SignedRequest:
        return slash_command(f"stop {server.id}", response_url=url, **signing)

    await refused_without_a_trace(bot, tmp_path / "bot.db", FORGERIES[forgery](build))
    signed = build()
    assert (await bot.post(signed.body, signed.headers)).status_code == 200
    await bot.wait_response(url)  # signed, the same command is previewed


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_stop_click_stops_nothing(bot: Bot, tmp_path: Path, forgery: str) -> None:
    """A forged Stop click by the requester on a live preview is a 401 and stops nothing."""
    server = bot.sim.seed(1)[0]
    _, request_id = await bot.preview(f"stop {server.id}")
    assert request_id
    url = bot.slack.new_response_url("actions")

    def build(**signing: Any) -> SignedRequest:
        return block_action(
            ActionId.CONFIRM,
            request_id,
            user_id=ALICE,
            response_url=url,
            message_ts="1764255601.000200",
            **signing,
        )

    await refused_without_a_trace(bot, tmp_path / "bot.db", FORGERIES[forgery](build))
    assert server.status == "ACTIVE"
    signed = build()
    assert (await bot.post(signed.body, signed.headers)).status_code == 200
    await bot.slack.wait_for(lambda: bot.sim.stop_calls == [[server.id]])  # signed, it stops


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_mention_does_nothing(bot: Bot, tmp_path: Path, forgery: str) -> None:
    """A forged @bms-bot stop in a thread is a 401: no lookup, no event row, no Slack call."""
    server = bot.sim.seed(1)[0]

    def build(**signing: Any) -> SignedRequest:
        return app_mention(
            f"<@U0BOT> stop {server.id}",
            ts="1764255700.000400",
            thread_ts=THREAD,
            event_id="Ev0FORGED",
            **signing,
        )

    await refused_without_a_trace(bot, tmp_path / "bot.db", FORGERIES[forgery](build))
    signed = build()
    assert (await bot.post(signed.body, signed.headers)).status_code == 200
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)  # signed, the preview is posted
