"""Huawei's and Slack's faults under two real replicas on one PostgreSQL database, the leader
killed in the middle of some: each stop is sent once, each report part posted once, the thread
says what happened, and the replicas keep serving other requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator.state import Simulator
from tests.bot.test_runtime_replicas import replica, replicas_world, role_of, until_role
from tests.bot.test_runtime_restart import (
    World,
    assert_each_part_once,
    assert_no_secrets,
    job_polls,
)
from tests.fakes.slack_requests import CHANNEL

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LEADER_TIMEOUT = 3.0
HTTP_TIMEOUT = 1.5  # a read timeout is an answer held longer than this


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with replicas_world(
        tmp_path,
        stop_seconds=6.0,
        BMS_HTTP_TIMEOUT=str(HTTP_TIMEOUT),
        BMS_RETRY_MAX_SECONDS="1",
        BMS_JOB_TIMEOUT="120",
    ) as w:
        yield w


def every_poll_fault(sim: Simulator) -> None:
    """Each transient fault a job query can meet, once each, in this order."""
    sim.faults.add("job", 429, "APIGW.0308", "Throttled.", retry_after=1)
    sim.faults.add("job", 429, "APIGW.0308", "Throttled.")
    sim.faults.add("job", 500, "BMS.9999", "Internal error.")
    sim.faults.add("job", 502, "APIGW.0201", "Bad gateway.", flat=True)
    sim.faults.add("job", 503, "SYS.0503", "Service unavailable.")
    sim.faults.add("job", delay=HTTP_TIMEOUT + 1)  # read timeout
    sim.faults.add("job", drop=True)  # connection reset
    sim.faults.add("job", garble=True)  # invalid JSON


def results_of(world: World) -> set[str]:
    return {rid for rid, _, _ in world.result_parts()}


async def test_poll_faults_with_the_leader_killed_among_them_end_in_one_report(
    world: World,
) -> None:
    """Every transient job-query fault, the leader killed after the first few: the new leader
    meets the rest, the stop is sent once, its report posted once, the servers are stopped."""
    servers = world.sim.seed(2)
    first = await replica(world, "first")
    second = await replica(world, "second")
    every_poll_fault(world.sim)
    request_id = await world.preview(second, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(second, request_id)
    await world.wait_for(lambda: len(world.sim.faults.pending) <= 5, timeout=15)

    first.kill()
    await until_role(second, "leader", LEADER_TIMEOUT + 2)
    await world.wait_for(lambda: request_id in results_of(world), timeout=30)
    await world.wait_idle(second, timeout=15)

    assert world.sim.faults.pending == [], "not every fault was met"
    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    assert all(s.status == "SHUTOFF" for s in servers)
    text = world.channel_text()
    assert "Done" in text, text
    assert_no_secrets(world)


async def test_slack_faults_on_a_followers_stop_are_waited_out_by_the_leader(
    world: World,
) -> None:
    """A stop confirmed on the follower; Slack then answers the leader's report posts with 500s
    and a 429 (``Retry-After``) and its edits with 429s: the report is posted once, in the one
    thread, and the root ends done."""
    world.sim.stop_seconds = 1.5
    servers = world.sim.seed(2)
    first = await replica(world, "first")
    second = await replica(world, "second")
    request_id = await world.preview(second, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(second, request_id)
    await world.wait_for(lambda: world.sim.stop_calls, timeout=10)
    world.slack.fail_next("chat.postMessage", "internal_error", status=500)
    world.slack.fail_next("chat.postMessage", "fatal_error", status=500, html=True)
    world.slack.fail_next("chat.postMessage", "ratelimited", status=429)
    world.slack.fail_next("chat.update", "ratelimited", status=429, times=3)
    await world.wait_for(lambda: request_id in results_of(world), timeout=20)
    await world.wait_idle(first, timeout=15)

    refused = [c.error for c in world.slack.calls_to("chat.postMessage") if not c.ok]
    assert refused == ["internal_error", "html_page", "ratelimited"], refused
    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    [root] = world.roots()
    replies = world.slack.thread_replies(root.channel, root.ts)
    assert sum("Results" in r.text for r in replies) == 1, world.logs()
    assert "Done" in root.text, root.text
    assert await role_of(first) == "leader"


async def test_a_forgotten_job_and_a_stuck_one_under_two_replicas(world: World) -> None:
    """A job that answers 404 from some point on, then one that stays RUNNING past the timeout
    with the leader killed while it polls: each thread hears what happened and what to do,
    once, and a stop sent meanwhile is reported as usual."""
    world.env["BMS_JOB_TIMEOUT"] = "8"
    forgotten, stuck, normal = world.sim.seed(3)
    stuck.stop_seconds = 3600
    first = await replica(world, "first")
    second = await replica(world, "second")
    forgotten_id = await world.preview(second, f"stop {forgotten.id}")
    await world.confirm(second, forgotten_id)
    await world.wait_for(lambda: job_polls(world.sim) >= 1)
    world.sim.faults.add("job", 404, "BMS.0040", "The job does not exist.", times=50)
    await world.wait_for(lambda: "no longer knows job" in world.channel_text(), timeout=20)
    world.sim.faults.pending.clear()

    stuck_id = await world.preview(first, f"stop {stuck.id}")
    await world.confirm(first, stuck_id)
    await world.wait_for(lambda: len(world.sim.stop_calls) == 2)
    polls = job_polls(world.sim)
    await world.wait_for(lambda: job_polls(world.sim) > polls)
    first.kill()
    await until_role(second, "leader", LEADER_TIMEOUT + 2)
    normal_id = await world.preview(second, f"stop {normal.id}")
    await world.confirm(second, normal_id)
    await world.wait_for(lambda: {forgotten_id, normal_id} <= results_of(world), timeout=30)
    await world.wait_for(lambda: said(world, "Still running after") == 1, timeout=30)
    await world.wait_idle(second, timeout=15)

    assert said(world, "no longer knows job") == 1, world.channel_text()
    assert said(world, "Still running after") == 1, world.channel_text()
    assert [len(c) for c in world.sim.stop_calls] == [1, 1, 1], world.logs()
    assert forgotten.status == normal.status == "SHUTOFF"
    assert await role_of(second) == "leader"


def said(world: World, words: str) -> int:
    """How many of the bot's messages in the channel say ``words``."""
    return sum(
        words in (m.text or "")
        for m in world.slack.messages.values()
        if m.channel == CHANNEL and m.bot_id
    )
