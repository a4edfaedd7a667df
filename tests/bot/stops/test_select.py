"""Stopping by tag: `tag:` selects every server carrying it, over the list API, and says plainly
when it selects none or too many."""

from __future__ import annotations

from bot.core.lifecycle import RequestState
from tests.support.harness import new_simulator, running_bot, texts


async def test_a_tag_previews_exactly_the_servers_carrying_it(tmp_path) -> None:
    """`tag:env=ci` selects the five servers tagged so, not the three others."""
    async with running_bot(tmp_path) as bot:
        ci = bot.sim.seed(5, "ci", tags=["env=ci"])
        others = bot.sim.seed(3, "prod", tags=["env=prod"])
        preview, request_id = await bot.preview("stop tag:env=ci")
        assert request_id
        shown = texts(preview.blocks)
        assert all(s.id in shown for s in ci)
        assert not any(s.id in shown for s in others)


async def test_a_key_alone_selects_any_value_and_two_tags_select_both(tmp_path) -> None:
    """`tag:team` matches every value of team; `tag:team tag:env=ci` only servers with both."""
    async with running_bot(tmp_path) as bot:
        both = bot.sim.seed(2, "a", tags=["team=db", "env=ci"])
        team_only = bot.sim.seed(2, "b", tags=["team=web"])
        preview, _ = await bot.preview("stop tag:team")
        assert all(s.id in texts(preview.blocks) for s in [*both, *team_only])
        preview, _ = await bot.preview("stop tag:team tag:env=ci")
        shown = texts(preview.blocks)
        assert all(s.id in shown for s in both)
        assert not any(s.id in shown for s in team_only)


async def test_a_tag_no_server_carries_is_said_and_nothing_is_stored(tmp_path) -> None:
    """No match: the requester hears which tag matched nothing; no request, no button."""
    async with running_bot(tmp_path) as bot:
        bot.sim.seed(2, tags=["env=ci"])
        preview, request_id = await bot.preview("stop tag:env=CI")
        assert request_id is None
        assert "No server carries" in texts(preview.blocks)
        assert "tag:env=CI" in texts(preview.blocks)
        assert await bot.runtime.deps.store.requests.active() == []


async def test_a_failing_listing_is_a_clear_cloud_error(tmp_path) -> None:
    """Huawei failing the list call: the requester hears it, with what to do; nothing stored."""
    async with running_bot(tmp_path, bms_retry_attempts=1) as bot:
        bot.sim.seed(2, tags=["env=ci"])
        bot.sim.faults.add("list", 503, "BMS.0212", "System busy.", times=10)
        preview, request_id = await bot.preview("stop tag:env=ci")
        assert request_id is None
        said = texts(preview.blocks)
        assert "listing the servers" in said
        assert "BMS.0212" in said


async def test_ten_thousand_tagged_servers_are_one_stop_in_ten_calls(tmp_path) -> None:
    """One stop of 10,000 servers: ten batch calls of 1,000, one thread, a summary and a file of
    every server."""
    sim = new_simulator(stop_seconds=0.05)
    async with running_bot(tmp_path, sim=sim, bms_job_timeout=120) as bot:
        servers = bot.sim.seed(10_000, tags=["fleet=batch"])
        request_id, _ = await bot.confirm("stop tag:fleet=batch reason: end of season")
        assert await bot.settled(request_id, within=120) is RequestState.FINISHED
        assert [len(c) for c in bot.sim.stop_calls] == [1000] * 10
        assert len(bot.root_messages()) == 1
        (csv,) = bot.thread_files()
        rows = csv.splitlines()[1:]
        assert sorted(r.split(",")[0] for r in rows) == sorted(s.id for s in servers)
