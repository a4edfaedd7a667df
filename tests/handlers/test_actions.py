"""Clicks on the preview over real HTTP: confirm once, cancel, expiry, strangers, races."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.lifecycle import RequestState
from bot.ids import ActionId
from tests.conftest import postgres_url
from tests.fakes.slack_requests import BOB, CHANNEL, block_action
from tests.support.harness import Bot, running_bot, texts


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


async def test_cancel(bot: Bot) -> None:
    """Cancel replaces the preview, stops nothing, and a later Stop click does nothing."""
    server = bot.sim.seed(1)[0]
    _, request_id = await bot.preview(f"stop {server.id}")
    assert request_id
    _, url = await bot.click(ActionId.CANCEL, request_id)
    cancelled = await bot.wait_response(url)
    assert cancelled.replace_original
    assert "cancel" in (cancelled.text or "").lower()
    _, url2 = await bot.click(ActionId.CONFIRM, request_id)
    late = await bot.wait_response(url2)
    assert "cancel" in texts(late.blocks).lower()
    assert bot.sim.stop_calls == []
    assert bot.root_messages() == []


async def test_expired_request(tmp_path) -> None:
    """A click after the confirmation window says it expired and stops nothing."""
    async with running_bot(tmp_path, bms_confirm_ttl=0.3) as bot:
        server = bot.sim.seed(1)[0]
        _, request_id = await bot.preview(f"stop {server.id}")
        assert request_id
        await asyncio.sleep(0.4)
        _, url = await bot.click(ActionId.CONFIRM, request_id)
        answer = await bot.wait_response(url)
        assert "expired" in texts(answer.blocks).lower()
        assert bot.sim.stop_calls == []
        assert await bot.settled(request_id) is RequestState.EXPIRED


async def test_someone_else_cannot_confirm(bot: Bot) -> None:
    """Only the requester can confirm; others get an ephemeral refusal and nothing stops."""
    server = bot.sim.seed(1)[0]
    _, request_id = await bot.preview(f"stop {server.id}")
    assert request_id
    _, url = await bot.click(ActionId.CONFIRM, request_id, user=BOB)
    refusal = await bot.wait_response(url)
    assert not refusal.replace_original
    assert refusal.response_type == "ephemeral"
    assert bot.sim.stop_calls == []
    _, url2 = await bot.click(ActionId.CANCEL, request_id, user=BOB)
    await bot.wait_response(url2)
    row = await bot.runtime.deps.store.requests.get(request_id)
    assert row.state is RequestState.PREVIEWED


async def test_unknown_request_id(bot: Bot) -> None:
    """A replayed click for a request the bot never made is refused clearly."""
    _, url = await bot.click(ActionId.CONFIRM, "req_doesnotexist")
    answer = await bot.wait_response(url)
    assert texts(answer.blocks)
    assert bot.sim.stop_calls == []


async def concurrent_clicks(bot: Bot, n: int = 20) -> None:
    servers = bot.sim.seed(3)
    _, request_id = await bot.preview("stop " + " ".join(s.id for s in servers))
    assert request_id
    clicks = await asyncio.gather(*(bot.click(ActionId.CONFIRM, request_id) for _ in range(n)))
    assert all(response.status_code == 200 for response, _ in clicks)
    assert await bot.settled(request_id) is RequestState.FINISHED
    for _, url in clicks:
        await bot.wait_response(url)
    assert bot.sim.stop_calls == [[s.id for s in servers]]
    assert len(bot.root_messages()) == 1
    reports = [m for m in bot.replies() if "Results" in m.text]
    assert len(reports) == 1


async def test_twenty_concurrent_clicks_submit_once(bot: Bot) -> None:
    """Twenty concurrent clicks on Stop submit exactly one stop and post one report (SQLite)."""
    await concurrent_clicks(bot)


@pytest.mark.postgres
async def test_twenty_concurrent_clicks_submit_once_postgres(tmp_path) -> None:
    """The same race on PostgreSQL: exactly one stop, one root, one report."""
    from tests.conftest import fresh_engine

    await (await fresh_engine("postgres", tmp_path)).dispose()
    async with running_bot(tmp_path, db_url=postgres_url()) as bot:
        await concurrent_clicks(bot)


async def test_private_channel_without_the_bot(bot: Bot) -> None:
    """In a private channel the bot is not in: it asks to be invited, stops nothing, and the same
    button works once it is invited."""
    bot.slack.add_channel("G0PRIVATE", member=False, private=True)
    server = bot.sim.seed(1)[0]
    _, request_id = await bot.preview(f"stop {server.id}", channel="G0PRIVATE")
    assert request_id
    _, url = await bot.click(ActionId.CONFIRM, request_id, channel="G0PRIVATE")
    answer = await bot.wait_response(url)
    assert "invite" in texts(answer.blocks).lower()
    assert bot.sim.stop_calls == []
    bot.slack.add_channel("G0PRIVATE", member=True, private=True)
    _, url2 = await bot.click(ActionId.CONFIRM, request_id, channel="G0PRIVATE")
    await bot.wait_response(url2)
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert bot.sim.stop_calls == [[server.id]]
    assert bot.root_messages("G0PRIVATE")
    assert bot.root_messages(CHANNEL) == []


async def test_a_forged_response_url_is_never_used(bot: Bot) -> None:
    """A click whose response_url is not Slack's is answered as an ephemeral, and the named URL
    is never contacted."""
    from aiohttp import web

    hits: list[str] = []

    async def trap(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="ok")

    trap_app = web.Application()
    trap_app.router.add_route("*", "/{tail:.*}", trap)
    runner = web.AppRunner(trap_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        for url in (f"http://127.0.0.1:{port}/steal", "file:///etc/passwd"):
            request = block_action(
                ActionId.CONFIRM, "req_unknown", response_url=url, message_ts="1764255601.000200"
            )
            response = await bot.post(request.body, request.headers)
            assert response.status_code == 200
        await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postEphemeral")) >= 2)
    finally:
        await runner.cleanup()
    assert hits == []
    assert all(
        "expired" in texts(c.args.get("blocks")) for c in bot.slack.calls_to("chat.postEphemeral")
    )


async def test_two_previews_of_the_same_servers_stop_them_once(bot: Bot) -> None:
    """Two previews made before either is confirmed, both confirmed: each server is stopped
    once; the second click hears which request has them, and its other server still stops."""
    servers = bot.sim.seed(3)
    _, first_id = await bot.preview(f"stop {servers[0].id} {servers[1].id}")
    _, second_id = await bot.preview(" ".join(["stop", *(s.id for s in servers)]))
    assert first_id
    assert second_id
    await bot.click(ActionId.CONFIRM, first_id)
    _, url = await bot.click(ActionId.CONFIRM, second_id)
    await bot.slack.wait_for(
        lambda: any("already stopping" in texts(r.blocks) for r in bot.responses(url))
    )
    told = next(r for r in bot.responses(url) if "already stopping" in texts(r.blocks))
    assert first_id in texts(told.blocks)
    assert await bot.settled(second_id) is RequestState.FINISHED
    assert await bot.settled(first_id) is RequestState.FINISHED
    stopped = [sid for call in bot.sim.stop_calls for sid in call]
    assert sorted(stopped) == sorted(s.id for s in servers)
