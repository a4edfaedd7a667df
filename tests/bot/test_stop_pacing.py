"""Stop calls are paced within Huawei's stop-call limit for the whole bot: with the simulator
enforcing it (429 APIGW.0308 over the limit), a burst of confirmations is queued, never refused,
each thread told when its call goes out; two stores on one database share the turns."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.rates import MARGIN
from bot.store import open_store
from bot.store.pacing import Turns
from tests.support.harness import new_simulator, running_bot, texts


def stop_answers(sim) -> list[int]:
    return [r.status for r in sim.request_log if r.method == "POST" and r.path.endswith("/action")]


async def test_a_burst_over_the_limit_is_queued_not_refused(tmp_path) -> None:
    """At a limit of 8 stop calls a minute, two confirmations in a row: the second waits its
    turn (about 8 s), its thread says when it goes out, Huawei refuses neither, both stop."""
    sim = new_simulator(limits={"stop": 8})
    async with running_bot(tmp_path, sim=sim, bms_stop_calls_per_minute=8) as bot:
        servers = bot.sim.seed(5)
        ids = [(await bot.confirm(f"stop {s.id}"))[0] for s in servers[:2]]
        for request_id in ids:
            await bot.settled(request_id, within=30)
        said = "\n".join(texts(m.blocks) for m in bot.slack.messages.values())
    assert 429 not in stop_answers(sim), stop_answers(sim)
    assert len(bot.sim.stop_calls) == 2
    assert "Queued: the stop of 1 server goes out at" in said


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_turns_are_shared_by_every_store_on_one_database(tmp_path, db_kind) -> None:
    """Two stores (two replicas) taking turns at once get distinct turns one spacing apart."""
    from tests.conftest import fresh_engine, postgres_url

    if db_kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/turns.db"
    else:
        await (await fresh_engine("postgres", tmp_path)).dispose()
        url = postgres_url()
    first, second = await open_store(url), await open_store(url)
    try:
        a, b = Turns(first.db, "stop", 60), Turns(second.db, "stop", 60)
        taken = await asyncio.gather(*(t.take(1000.0) for t in (a, b, a, b, a, b)))
    finally:
        await first.close()
        await second.close()
    spaced = sorted(taken)
    assert spaced[0] == 1000.0
    gaps = [round(y - x, 6) for x, y in itertools.pairwise(spaced)]
    assert gaps == [round(MARGIN, 6)] * 5
