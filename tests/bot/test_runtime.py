"""The running bot: health endpoint, the embedded simulator, and IAM-token auth end to end."""

from __future__ import annotations

import os

import httpx
import pytest

from bot.runtime import Runtime, StartupError
from bot.store import open_store
from simulator.embedded import EmbeddedSimulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import CHANNEL
from tests.support.harness import (
    SIMULATOR_URL,
    Bot,
    make_settings,
    new_simulator,
    running_bot,
    texts,
)


async def test_healthz_and_readyz(tmp_path) -> None:
    """GET /healthz answers 200 while the process runs; GET /readyz 200 with the database
    taking writes and Slack reaching the bot (HTTP mode), naming the role."""
    async with running_bot(tmp_path) as bot:
        response = await bot.http.get("/healthz")
        assert response.status_code == 200
        assert response.json()["ok"] is True
        ready = await bot.http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ok": True, "database": "ok", "slack": "http", "role": "single"}


async def test_signature_is_checked(tmp_path) -> None:
    """An unsigned request to /slack/events is refused with 401 and does nothing."""
    async with running_bot(tmp_path) as bot:
        response = await bot.http.post(
            "/slack/events",
            content=b"command=%2Fbms&text=help",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 401


async def test_embedded_simulator_says_so_everywhere(tmp_path) -> None:
    """With BMS_SIMULATOR=true the bot runs its own simulator, every message says so, and help
    lists servers to try."""
    async with FakeSlack() as slack:
        slack.add_channel(CHANNEL)
        settings = make_settings(
            slack.api_url,
            "http://127.0.0.1:9/unused",
            f"sqlite+aiosqlite:///{tmp_path}/sim.db",
            bms_simulator=True,
            bms_simulator_servers=3,
        )
        runtime = Runtime(settings)
        await runtime.start()
        try:
            assert isinstance(runtime.backend, EmbeddedSimulator)
            server = next(iter(runtime.backend.sim.servers.values()))
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.port}") as http:
                bot = Bot(slack, runtime.backend.sim, runtime, http)
                preview, request_id = await bot.preview(f"stop {server.id}")
                assert request_id
                assert "simulator" in texts(preview.blocks).lower()
                assert "simulator" in (preview.text or "").lower()
                help_ack, _ = await bot.command("help")
                assert server.id in help_ack.text  # servers to try it on
        finally:
            await runtime.stop()


async def test_iam_token_auth_end_to_end(tmp_path) -> None:
    """With IAM user/password instead of AK/SK the bot fetches a token and previews servers."""
    sim = new_simulator(iam_user="ops", iam_password="pw", iam_domain="acme")
    async with running_bot(
        tmp_path,
        sim=sim,
        huaweicloud_sdk_ak=None,
        huaweicloud_sdk_sk=None,
        huaweicloud_iam_username="ops",
        huaweicloud_iam_password="pw",
        huaweicloud_iam_domain="acme",
        huaweicloud_iam_endpoint=SIMULATOR_URL,
    ) as bot:
        server = bot.sim.seed(1)[0]
        _, request_id = await bot.preview(f"stop {server.id}")
        assert request_id
        assert any(r.path == "/v3/auth/tokens" for r in bot.sim.request_log)


async def test_readyz_fails_when_the_database_file_is_gone(tmp_path) -> None:
    """The SQLite file deleted under the bot: /readyz says so (503) instead of staying 200,
    while /healthz, which only says the process is alive, stays 200 (no restart loop)."""
    async with running_bot(tmp_path) as bot:
        assert (await bot.http.get("/readyz")).status_code == 200
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"bot.db{suffix}").unlink(missing_ok=True)
        response = await bot.http.get("/readyz")
        assert response.status_code == 503
        assert "gone" in response.json()["database"]
        assert (await bot.http.get("/healthz")).status_code == 200


async def test_readyz_fails_when_the_database_cannot_be_written(tmp_path) -> None:
    """A database that takes no writes (here: locked by another process) fails /readyz in a
    few seconds, not after the 10 s busy timeout, and passes again once it takes them."""
    import sqlite3
    import time

    async with running_bot(tmp_path) as bot:
        lock = sqlite3.connect(tmp_path / "bot.db", timeout=1, isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            response = await bot.http.get("/readyz", timeout=15)
            assert response.status_code == 503
            assert time.monotonic() - started < 6
        finally:
            lock.rollback()
            lock.close()
        assert (await bot.http.get("/readyz")).status_code == 200


async def test_stop_lets_a_listener_in_flight_finish_before_closing_the_store(tmp_path) -> None:
    """A command whose slow part is still running when the bot is told to stop: the person
    still gets their answer, and nothing runs against a closed database afterwards."""
    import asyncio

    slack = FakeSlack()
    sim = new_simulator()
    server = sim.seed(1)[0]
    sim.faults.add("server", delay=1.0)  # the lookup answers a second later
    async with running_bot(tmp_path, sim=sim, slack=slack) as bot:
        _, url = await bot.command(f"stop {server.id}")
        await asyncio.sleep(0.2)  # acked; the lookup is on its way
        assert bot.responses(url) == []
        await bot.runtime.stop()
        answers = [texts(r.blocks) for r in bot.responses(url)]
        assert any("Stop 1 server" in a for a in answers), answers


async def test_a_second_bot_on_one_sqlite_file_is_refused_at_start(tmp_path) -> None:
    """Two bots on one SQLite file would both poll and post: the second is refused at start,
    naming the first one's pid and PostgreSQL, and the first carries on."""
    async with running_bot(tmp_path) as bot:
        url = str(bot.runtime.settings.bms_database_url)
        second = Runtime(make_settings(bot.slack.api_url, "http://127.0.0.1:9", url))
        with pytest.raises(StartupError) as refused:
            await second.start()
        await second.stop()
        assert f"pid {os.getpid()}" in str(refused.value)
        assert "PostgreSQL" in str(refused.value)
        assert (await bot.http.get("/healthz")).status_code == 200
    freed = await open_store(url)  # the first bot has stopped: the file is free again
    try:
        freed.hold_alone()
    finally:
        await freed.close()
