"""No secret the bot holds ends up in its logs, in what it posts to Slack, or in its database.

A whole scenario runs over real HTTP (a preview, the Stop click, the stop, the results in the
thread, a ``/bms status`` of the job, ``/bms help``, a lookup whose credentials are refused) with
every logger at DEBUG: the bot's own, Bolt, slack_sdk, httpx, httpcore, aiohttp, SQLAlchemy (its
SQL and parameters), aiosqlite. Then the bot token, the signing secret, the AK and SK (or, with IAM
token auth, the IAM password) are looked for in every log record (message, arguments, every extra
attribute, the traceback, and the record as the bot's JSON and text formatters write it), in every
call the fake Slack recorded and every message, ephemeral and response_url post it holds, and in
the bytes of the database files and every row of every table (the audit log's too, when the
schema has one).

The records are read before any redaction: the tests run the bot in-process, without the
``RedactingFilter`` that ``bot.logs.setup_logging`` installs, so this proves no secret is ever
handed to a logger, not that a filter masks it afterwards.

The IAM token the bot is issued at run time is looked for too, everywhere but in httpcore's DEBUG
records: httpcore logs every response header there, the token's ``X-Subject-Token`` included,
which is why ``setup_logging`` holds httpcore at WARNING and masks the token once it is known
(``tests/bot/test_logs.py`` proves that part).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import traceback
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.ids import ActionId
from bot.logs import JsonFormatter, TextFormatter
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET
from tests.support.harness import (
    AK,
    SIMULATOR_URL,
    SK,
    Bot,
    button_value,
    new_simulator,
    running_bot,
)

BOT_TOKEN = "xoxb-1234567890-0987654321-SecretCanaryToken"
IAM_PASSWORD = "iam-Pa55word-canary"
LOGGERS = ("bot", "handlers", "slack_bolt", "slack_sdk", "httpx", "httpcore", "aiohttp",
           "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "alembic",
           "apscheduler", "asyncio")  # fmt: skip
FORMATTERS = (JsonFormatter(), TextFormatter())


def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG everywhere: the root, the libraries by name, and any logger with a level of its own
    (caplog puts every level back after the test)."""
    caplog.set_level(logging.DEBUG)
    names = {*LOGGERS, *logging.root.manager.loggerDict}
    for name in sorted(names):
        logger = logging.getLogger(name)
        if name in LOGGERS or logger.level > logging.DEBUG:
            caplog.set_level(logging.DEBUG, logger=name)


def record_text(record: logging.LogRecord) -> str:
    """All a record carries, raw and formatted."""
    parts = [repr(record.msg), repr(record.args)]
    try:
        parts.append(record.getMessage())
    except (TypeError, ValueError) as exc:  # a record whose args do not fit: still read it
        parts.append(f"unformattable: {exc}")
    parts += [f"{key}={value!r}" for key, value in vars(record).items()]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    parts += [record.exc_text or "", record.stack_info or ""]
    for formatter in FORMATTERS:
        try:
            parts.append(formatter.format(record))
        except (TypeError, ValueError) as exc:
            parts.append(f"unformattable: {exc}")
    return "\n".join(parts)


def slack_texts(bot: Bot) -> list[tuple[str, str]]:
    """(where, what) for everything the bot sent the fake Slack."""
    dump = lambda value: json.dumps(value, default=str, ensure_ascii=False)  # noqa: E731
    found = [(f"call {c.method}", dump(c.args)) for c in bot.slack.calls]
    for m in bot.slack.messages.values():
        versions = [(v.text, v.blocks) for v in m.history] + [(m.text, m.blocks)]
        found.append((f"message {m.ts}", dump([versions, m.metadata])))
    found += [(f"ephemeral {e.message_ts}", dump([e.text, e.blocks])) for e in bot.slack.ephemerals]
    found += [(f"response {r.url}", dump(r.body)) for r in bot.slack.responses]
    return found


def database_texts(db: Path) -> list[tuple[str, str]]:
    """(where, what) for the database: its files' bytes, and every row of every table."""
    found = [(path.name, path.read_bytes().decode("latin-1")) for path in db.parent.glob("bot.db*")]
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            found.append((f"table {table}", repr(rows)))
    return found


def leaks(secrets: dict[str, str], places: Iterable[tuple[str, str]]) -> list[str]:
    """Which secret is where: one line for each secret found in each place."""
    found = []
    for where, text in places:
        found += [f"{name} in {where}" for name, secret in secrets.items() if secret in text]
    return found


def log_places(caplog: pytest.LogCaptureFixture, *, skip: str = "") -> list[tuple[str, str]]:
    return [
        (f"log record {r.name}:{r.lineno} {r.levelname} {r.msg!r:.80}", record_text(r))
        for r in caplog.records
        if not (skip and r.name.startswith(skip))
    ]


async def run_scenario(bot: Bot) -> None:
    """Preview, Stop, the results in the thread; /bms status of the job, /bms help, and a lookup
    whose credentials are refused once."""
    servers = bot.sim.seed(2)
    response, url = await bot.command(f"stop {servers[0].id} {servers[1].id} reason: disk full")
    assert response.status_code == 200
    preview = await bot.wait_response(url)
    request_id = button_value(preview.blocks or [])
    assert request_id, bot.slack.summary()
    click, _ = await bot.click(ActionId.CONFIRM, request_id)
    assert click.status_code == 200
    await bot.settled(request_id)
    await bot.slack.wait_for(lambda: any("Results" in m.text for m in bot.replies()), timeout=15)
    assert all(s.status == "SHUTOFF" for s in servers)
    job_id = next(iter(bot.sim.jobs))
    _, status_url = await bot.command(f"status {job_id}")
    await bot.wait_response(status_url)
    assert (await bot.command("help"))[0].status_code == 200
    # Credentials refused once: an error message for AK/SK, a fresh IAM token for IAM auth.
    bot.sim.faults.add("server", 401, "APIGW.0301", "Incorrect IAM authentication information")
    _, refused_url = await bot.command(f"stop {servers[0].id}")
    await bot.wait_response(refused_url)


def fake_slack() -> FakeSlack:
    return FakeSlack(bot_token=BOT_TOKEN)


async def test_ak_sk_scenario_leaves_no_secret_anywhere(tmp_path, caplog) -> None:
    """With AK/SK, no token, signing secret, AK or SK is in a log record, a Slack post or the db."""
    every_logger_at_debug(caplog)
    secrets = {"bot token": BOT_TOKEN, "signing secret": SIGNING_SECRET, "AK": AK, "SK": SK}
    async with running_bot(tmp_path, slack=fake_slack(), slack_bot_token=BOT_TOKEN) as bot:
        every_logger_at_debug(caplog)  # loggers the bot created while starting, too
        await run_scenario(bot)
        sent = slack_texts(bot)
    assert caplog.records
    assert leaks(secrets, log_places(caplog)) == []
    assert leaks(secrets, sent) == []
    assert leaks(secrets, database_texts(tmp_path / "bot.db")) == []


async def test_iam_scenario_leaves_no_password_or_token_anywhere(tmp_path, caplog) -> None:
    """With IAM token auth, no IAM password or token (nor Slack secret) is in logs, posts or db."""
    every_logger_at_debug(caplog)
    sim = new_simulator(iam_user="ops", iam_password=IAM_PASSWORD, iam_domain="acme")
    async with running_bot(
        tmp_path,
        sim=sim,
        slack=fake_slack(),
        slack_bot_token=BOT_TOKEN,
        huaweicloud_sdk_ak=None,
        huaweicloud_sdk_sk=None,
        huaweicloud_iam_username="ops",
        huaweicloud_iam_password=IAM_PASSWORD,
        huaweicloud_iam_domain="acme",
        huaweicloud_iam_endpoint=SIMULATOR_URL,
    ) as bot:
        every_logger_at_debug(caplog)
        await run_scenario(bot)
        sent = slack_texts(bot)
    tokens = list(sim.tokens._tokens)  # the simulator's issued tokens (no public list)
    assert tokens, "the bot never fetched an IAM token"
    secrets: dict[str, Any] = {
        "bot token": BOT_TOKEN,
        "signing secret": SIGNING_SECRET,
        "IAM password": IAM_PASSWORD,
    }
    with_token = secrets | {f"IAM token {n}": token for n, token in enumerate(tokens)}
    assert leaks(secrets, log_places(caplog)) == []
    assert leaks(with_token, log_places(caplog, skip="httpcore")) == []
    assert leaks(with_token, sent) == []
    assert leaks(with_token, database_texts(tmp_path / "bot.db")) == []
