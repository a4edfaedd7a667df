"""Recovery of a confirmed stop after a crash or a passing failure: sent once, never lost."""

from __future__ import annotations

from bot.core.lifecycle import RequestState, chunks
from bot.runtime import Runtime
from simulator.runner import start_simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import CHANNEL
from tests.support.harness import Bot, make_settings, new_simulator, running_bot


async def confirmed_in_store(bot: Bot, text: str) -> str:
    """A request confirmed in the database, as if the bot died right after the click's CAS."""
    _, request_id = await bot.preview(text)
    assert request_id
    deps = bot.runtime.deps
    req = await deps.store.requests.get(request_id)
    ids = chunks([t.id for t in req.targets])
    assert await deps.store.requests.confirm(request_id, req.user_id, deps.stops.now(), ids)
    return request_id


async def test_recovery_survives_a_slack_failure(tmp_path) -> None:
    """A passing Slack failure while resuming a confirmed stop does not stop the bot starting; the
    stop stays confirmed, and the next attempt posts the root and sends it once."""
    slack, sim = FakeSlack(), new_simulator()
    db = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    async with running_bot(tmp_path, sim=sim, slack=slack, db_url=db) as bot:
        server = sim.seed(1)[0]
        request_id = await confirmed_in_store(bot, f"stop {server.id}")
    await slack.start()
    slack.add_channel(CHANNEL)
    running = await start_simulator(sim)
    slack.fail_next("chat.postMessage", "internal_error")
    runtime = Runtime(make_settings(slack.api_url, running.url, db))
    try:
        await runtime.start()
        deps = runtime.deps
        row = await deps.store.requests.get(request_id)
        assert row.state is RequestState.CONFIRMED
        assert sim.stop_calls == []
        await deps.stops.resume(request_id)  # what the sweep does once the claim window is over
        row = await deps.store.requests.get(request_id)
        assert row.state is RequestState.SUBMITTED
        assert sim.stop_calls == [[server.id]]
    finally:
        await runtime.stop()
        await running.close()
        await slack.close()
