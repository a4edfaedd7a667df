"""Many stops confirmed at once in one channel, with Slack's per-channel post limit and
chat.update's Tier 3 enforced: every root, note and result is posted once, in order, and Slack
never answers 429. Slack's limits run ten times faster here (a post every 0.105 s for the bot,
ten a second for the fake; ten times the edits a minute for both), so the test takes seconds,
not minutes (at twenty times, a loaded machine's loop lag alone met 429s); the pacing rules are
the same (``bench/channel_burst.py`` runs them at Slack's real pace)."""

from __future__ import annotations

import asyncio

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, MetadataEvent
from bot.slack.edit_gate import TIER3_PER_MINUTE, ProgressGate
from bot.slack.pacer import POST_BURST, POST_INTERVAL_SECONDS, ChannelPacer
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_records import DEFAULT_RATE_LIMITS, ChannelPostLimiter
from tests.support.harness import Bot, new_simulator, running_bot, texts

CONFIRMATIONS = 20
SPEEDUP = 10


async def confirm_many(bot: Bot, count: int) -> list[str]:
    servers = bot.sim.seed(count)
    previews = await asyncio.gather(*(bot.preview(f"stop {s.id}") for s in servers))
    ids = [request_id for _, request_id in previews]
    assert all(ids)
    clicks = await asyncio.gather(*(bot.click(ActionId.CONFIRM, str(i)) for i in ids))
    assert all(response.status_code == 200 for response, _ in clicks)
    return [str(i) for i in ids]


async def test_twenty_confirmations_in_one_channel_meet_no_429_and_lose_nothing(tmp_path) -> None:
    """Twenty stops confirmed together: twenty roots, each thread with its job note before its
    results, zero 429s from Slack (posts and edits), and no "click again"."""
    edits_a_minute = DEFAULT_RATE_LIMITS["chat.update"] * SPEEDUP
    slack = FakeSlack(rate_limits={**DEFAULT_RATE_LIMITS, "chat.update": edits_a_minute})
    slack.channel_posts = ChannelPostLimiter(burst=5, per_second=SPEEDUP)
    sim = new_simulator(stop_seconds=0.2, limits={"stop": 1000})  # Huawei is not the point
    async with running_bot(tmp_path, sim=sim, slack=slack, bms_job_timeout=120) as bot:
        poster = bot.runtime.deps.poster
        poster.pacer = ChannelPacer(interval=POST_INTERVAL_SECONDS / SPEEDUP, burst=POST_BURST)
        poster.edits = ProgressGate(0, per_minute=TIER3_PER_MINUTE * SPEEDUP)
        ids = await confirm_many(bot, CONFIRMATIONS)
        states = await asyncio.gather(*(bot.settled(i, within=90) for i in ids))
        assert set(states) == {RequestState.FINISHED}
        assert [c.method for c in bot.slack.calls if c.error == "ratelimited"] == []
        roots = bot.root_messages()
        assert len(roots) == CONFIRMATIONS
        for root in roots:
            replies = bot.slack.thread_replies(root.channel, root.ts)
            kinds = [(m.metadata or {}).get("event_type") for m in replies]
            assert kinds.count(MetadataEvent.RESULT_PART) == 1
            assert kinds.index(MetadataEvent.RESULT_PART) == len(kinds) - 1
            assert "accepted the stop" in " ".join(texts(m.blocks) for m in replies[:-1])
        said = " ".join(r.text + texts(r.blocks) for r in bot.slack.responses)
        assert "Stop again" not in said
