"""Fault hunt on scheduled stops end to end: the real Bolt app over HTTP against the fake Slack and
the simulator (Slack refusing or not answering the announcement, huge announcements, fuzzed
modal and command input, two channels), then the real ``bms-bot`` process killed with SIGKILL
around the Schedule click and the time, and restarted within and beyond the grace."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, BlockId, MetadataEvent
from tests.bot.test_runtime_restart import World, world_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_errors import SlackError
from tests.fakes.slack_requests import CHANNEL, block_action, slash_command
from tests.handlers.test_schedule_flow import (
    announcement,
    open_postpone_modal,
    row,
    said_to,
    schedule,
    submit_new_time,
    until_state,
)
from tests.support.bot_process import BotProcess
from tests.support.harness import Bot, running_bot, texts, value_of
from tests.support.slack_text import readable

OTHER_CHANNEL = "C0OTHER001"


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path, bms_reminders="10m") as b:
        yield b


def announcements(bot: Bot, channel: str = CHANNEL) -> list[Any]:
    return [m for m in bot.root_messages(channel) if "Scheduled stop" in m.text]


async def preview_id(bot: Bot, text: str, channel: str = CHANNEL) -> str:
    preview, _ = await bot.preview(text, channel=channel)
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id, texts(preview.blocks)
    return request_id


# -- Slack and the announcement ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"error": "not_in_channel"}, "invite"),
        ({"error": "channel_not_found"}, "invite"),
        ({"error": "internal_error", "status": 500, "html": True}, "Slack"),
    ],
)
async def test_a_refused_announcement_is_told_and_the_button_works_again(
    bot: Bot, fault: dict[str, Any], words: str
) -> None:
    """Slack refuses the announcement post: PREVIEWED, the requester is told, nothing is
    armed; the same Schedule button then announces exactly once."""
    ids = " ".join(s.id for s in bot.sim.seed(2))
    request_id = await preview_id(bot, f"stop {ids} in 1h")
    bot.slack.fail_next("chat.postMessage", **fault)
    _, url = await bot.click(ActionId.CONFIRM, request_id)
    answer = await said_to(bot, url)
    assert words.lower() in answer.lower(), answer
    await until_state(bot, request_id, RequestState.PREVIEWED)
    assert bot.runtime.deps is not None
    assert request_id not in bot.runtime.deps.watcher.alarms()
    assert announcements(bot) == []
    await bot.click(ActionId.CONFIRM, request_id)
    await until_state(bot, request_id, RequestState.SCHEDULED)
    await bot.slack.wait_for(lambda: len(announcements(bot)) == 1)
    assert len(await bot.runtime.deps.store.schedules.pending(request_id)) == 1
    assert bot.sim.stop_calls == []


async def test_an_announcement_slack_took_without_answering_is_posted_once(bot: Bot) -> None:
    """The announcement post takes effect but its answer is lost: the bot finds it by its
    metadata and adopts it; one announcement, recorded as the root, alarm armed."""
    ids = " ".join(s.id for s in bot.sim.seed(2))
    request_id = await preview_id(bot, f"stop {ids} in 1h")
    bot.slack.fail_next("chat.postMessage", lose_answer=True)
    await bot.click(ActionId.CONFIRM, request_id)
    for _ in range(300):
        if (await row(bot, request_id)).root_ts:
            break
        await asyncio.sleep(0.02)
    req = await row(bot, request_id)
    assert req.state is RequestState.SCHEDULED
    [root] = announcements(bot)
    assert req.root_ts == root.ts
    assert bot.runtime.deps is not None
    assert request_id in bot.runtime.deps.watcher.alarms()


async def test_a_failed_announcement_edit_still_cancels_and_says_so(bot: Bot) -> None:
    """chat.update fails at Cancel: still CANCELLED, the thread says who cancelled, and a later
    Postpone click on the stale buttons is told it was cancelled."""
    request_id = await schedule(bot)
    bot.slack.fail_next("chat.update", times=5)
    await bot.click(ActionId.SCHEDULE_CANCEL, request_id)
    await until_state(bot, request_id, RequestState.CANCELLED)
    await bot.slack.wait_for(lambda: "cancelled the scheduled stop" in bot.thread_text())
    value = value_of(announcement(bot).blocks, ActionId.POSTPONE_HOUR)
    assert value, "the failed edit left the buttons"
    _, url = await bot.click(ActionId.POSTPONE_HOUR, value)
    assert "cancelled already" in await said_to(bot, url)
    assert (await row(bot, request_id)).state is RequestState.CANCELLED


async def test_a_huge_announcement_with_a_hostile_reason_passes_slacks_limits(bot: Bot) -> None:
    """5,000 servers and a 500-character reason of ``&<>`` and mentions: the preview and the
    announcement pass Block Kit's limits, and no mention in the reason reaches the channel."""
    ids = " ".join(s.id for s in bot.sim.seed(5000))
    reason = ("<!channel> <@U0BOB> &amp; <#C1> <!here> &<>" * 20)[:500]
    preview, _ = await bot.preview(f"stop {ids} in 1h reason: {reason}")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id, texts(preview.blocks)
    await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(lambda: announcement(bot) is not None, timeout=20)
    posts = [c for c in bot.slack.calls_to("chat.postMessage") if "Scheduled stop" in str(c.args)]
    assert posts
    assert all(c.ok for c in posts), [c.summary() for c in posts]
    shown = texts(announcement(bot).blocks) + announcement(bot).text
    assert "5,000 servers" in shown
    for mention in ("<!channel>", "<!here>", "<@U0BOB>", "<#C1>"):
        assert mention not in shown, mention


# -- fuzzed input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "x" * 5000,
        "tomorrow\x00 22:00\x07",
        "🕙 22:00",
        "<!channel> 22:00",
        "2h\u202e",
        "   ",
        "0s",
        "-2h",
        "2027-02-30 10:00",
        "999999d",
    ],
)
async def test_fuzzed_postpone_modal_input_changes_nothing_and_says_why(
    bot: Bot, typed: str
) -> None:
    """Odd text in the Postpone modal: the modal shows a field error (or the person is told),
    the schedule does not move, nothing stops, the bot answers 200."""
    request_id = await schedule(bot)
    before = (await row(bot, request_id)).run_at
    response = await submit_new_time(bot, await open_postpone_modal(bot), typed)
    assert response.status_code == 200
    body = response.json() if response.content else {}
    if body.get("response_action") == "errors":
        error = body["errors"][BlockId.POSTPONE_TIME.value]
        assert 0 < len(error) <= 300
    else:
        await bot.slack.wait_for(
            lambda: any("Nothing changed" in e.text for e in bot.slack.ephemerals)
        )
    assert (await row(bot, request_id)).run_at == before
    assert (await row(bot, request_id)).state is RequestState.SCHEDULED
    assert bot.sim.stop_calls == []


@pytest.mark.parametrize(
    "args",
    [
        "postpone",
        "postpone req_000000000000",
        "postpone req_000000000000 2h",
        "postpone not-an-id 2h",
        "postpone {id} yesterday",
        "postpone {id} 2h 30m",
        "postpone {id} <!channel>",
        "cancel",
        "cancel {id} {id}",
        "cancel REQ_ZZZ",
        "cancel " + "a" * 3000,
    ],
)
async def test_fuzzed_schedule_commands_answer_clearly_and_change_nothing(
    bot: Bot, args: str
) -> None:
    """Wrong /bms postpone and /bms cancel arguments: a clear answer, never a 500 or silence,
    and the schedule stays as it was."""
    request_id = await schedule(bot)
    before = await row(bot, request_id)
    response, url = await bot.command(args.replace("{id}", request_id))
    assert response.status_code == 200
    answer = response.text
    if "Changing the scheduled stop" in answer:  # parsed: the answer follows after the work
        answer = await said_to(bot, url)
    assert "Changing the scheduled stop" not in answer
    assert len(answer) > 20, f"silence: {answer!r}"
    assert "went wrong" not in answer
    after = await row(bot, request_id)
    assert (after.state, after.run_at) == (before.state, before.run_at)


async def test_postpone_in_a_duration_is_understood(bot: Bot) -> None:
    """/bms postpone <id> in 2h puts it two hours from now, as /bms stop … in 2h reads (a bare
    2h would move it two hours later than it was)."""
    request_id = await schedule(bot)
    asked = time.time()
    await bot.command(f"postpone {request_id} in 2h")
    await until_state(bot, request_id, RequestState.POSTPONED)
    run_at = (await row(bot, request_id)).run_at
    assert run_at is not None
    assert asked + 7200 - 1 <= run_at <= asked + 7200 + 5


async def test_the_schedule_list_shows_only_this_channels_stops(bot: Bot) -> None:
    """A schedule in each of two channels: /bms schedule in each lists its own only."""
    bot.slack.add_channel(OTHER_CHANNEL, name="other")
    here = await schedule(bot)
    ids = " ".join(s.id for s in bot.sim.seed(1))
    there = await preview_id(bot, f"stop {ids} in 2h", channel=OTHER_CHANNEL)
    await bot.click(ActionId.CONFIRM, there, channel=OTHER_CHANNEL)
    await bot.slack.wait_for(lambda: announcements(bot, OTHER_CHANNEL))
    _, url = await bot.command("schedule")
    listed = await said_to(bot, url)
    assert here in listed
    assert there not in listed
    _, url = await bot.command("schedule", channel=OTHER_CHANNEL)
    listed = await said_to(bot, url)
    assert there in listed
    assert here not in listed


async def test_a_schedule_clicked_after_its_time_is_told_and_not_announced(tmp_path) -> None:
    """in 1s, clicked 2 s later: told the time passed; nothing announced or stopped."""
    async with running_bot(tmp_path, bms_reminders="none") as bot:
        ids = " ".join(s.id for s in bot.sim.seed(1))
        request_id = await preview_id(bot, f"stop {ids} in 1s")
        await asyncio.sleep(2.1)
        _, url = await bot.click(ActionId.CONFIRM, request_id)
        assert "time of this stop has passed" in await said_to(bot, url)
        assert announcements(bot) == []
        assert (await row(bot, request_id)).state is RequestState.PREVIEWED
        assert bot.sim.stop_calls == []


# -- the real process, killed --------------------------------------------------------------------


class HeldSlack(FakeSlack):
    """Holds the answer to the next chat.postMessage whose text has ``hold_word`` until
    ``release``: Slack takes the post at once, or, with ``drop``, never does."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_word: str | None = None
        self.drop = False
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self._matched = False

    def _dispatch(self, method: str, args: dict[str, Any], token: str, at: float) -> Any:
        word = self.hold_word
        if method == "chat.postMessage" and word and word in str(args.get("text", "")):
            self.hold_word, self._matched = None, True
            if self.drop:
                raise SlackError("internal_error", status=500)
        return super()._dispatch(method, args, token, at)

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        if self._matched:
            self._matched = False
            self.held.set()
            await self.release.wait()
        return response


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    slack = HeldSlack()
    settings = {"BMS_REMINDERS": "none", "BMS_SCHEDULE_GRACE": "60s"}
    async with world_of(
        tmp_path, stop_seconds=0.5, channel_name="maintenance", slack=slack, **settings
    ) as w:
        try:
            yield w
        finally:
            slack.release.set()  # a held post must not keep a bot from stopping


def db_row(world: World, request_id: str) -> tuple[str, float, str | None]:
    with sqlite3.connect(world.tmp_path / "bot.db") as db:
        state, run_at, root_ts = db.execute(
            "SELECT state, run_at, root_ts FROM stop_requests WHERE id = ?", (request_id,)
        ).fetchone()
    return str(state), float(run_at), root_ts


async def click_schedule(world: World, proc: BotProcess, ids: list[str], lead: int) -> str:
    """``/bms stop <ids> in <lead>s`` and the Schedule click (not waiting for anything after)."""
    url = world.slack.new_response_url("commands")
    await world.post(proc, *slash_command(f"stop {' '.join(ids)} in {lead}s", response_url=url))
    await world.wait_for(lambda: any(r.url == url and r.blocks for r in world.slack.responses))
    preview = next(r for r in world.slack.responses if r.url == url and r.blocks)
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id, world.logs()
    await world.confirm(proc, request_id)
    return request_id


def scheduled_roots(world: World) -> list[Any]:
    return [m for m in world.roots() if "Scheduled stop" in readable(m.text, m.blocks)]


async def until(predicate: Any, world: World, within: float) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, world.logs()
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_kill_9_before_the_announcement_is_posted_still_announces_first(world) -> None:
    """Killed while the announcement post is on its way (it never arrives): after the restart
    the announcement is posted before anything is stopped."""
    ids = [s.id for s in world.sim.seed(1)]
    first = await world.start_bot("first")
    world.slack.hold_word = "Scheduled stop"
    world.slack.drop = True
    request_id = await click_schedule(world, first, ids, lead=6)
    await asyncio.wait_for(world.slack.held.wait(), 10)
    first.kill()
    world.slack.release.set()
    assert db_row(world, request_id)[0] == "scheduled"
    await world.start_bot("second")
    await until(lambda: world.sim.stop_calls or scheduled_roots(world), world, 20)
    assert scheduled_roots(world), f"stopped before any announcement\n{world.logs()}"


@pytest.mark.slow
async def test_kill_9_while_slack_takes_the_announcement_leaves_one_root(world) -> None:
    """Killed while Slack holds the announcement post, which then goes through: after the
    restart one stop, and one root message in the channel (the announcement)."""
    ids = [s.id for s in world.sim.seed(1)]
    first = await world.start_bot("first")
    world.slack.hold_word = "Scheduled stop"
    request_id = await click_schedule(world, first, ids, lead=6)
    await asyncio.wait_for(world.slack.held.wait(), 10)
    first.kill()
    world.slack.release.set()
    await world.wait_for(lambda: scheduled_roots(world))
    await world.start_bot("second")
    await until(lambda: world.sim.stop_calls, world, 20)
    await world.wait_for(world.result_parts, timeout=15)
    assert len(world.sim.stop_calls) == 1
    assert len(world.roots()) == 1, [readable(m.text, m.blocks)[:80] for m in world.roots()]
    # The announcement is the root (by now edited into the stop's progress message).
    assert db_row(world, request_id)[2] == world.roots()[0].ts


@pytest.mark.slow
async def test_kill_9_between_the_start_and_the_stop_post_stops_once(world) -> None:
    """Killed at the time after CONFIRMED (while the thread's "Starting" post is on its way,
    before the stop POST): the restarted bot sends the stop once and reports once."""
    ids = [s.id for s in world.sim.seed(2)]
    first = await world.start_bot("first")
    request_id = await click_schedule(world, first, ids, lead=3)
    await world.wait_for(lambda: scheduled_roots(world))
    world.slack.hold_word = "Starting the scheduled stop"
    world.slack.drop = True
    await asyncio.wait_for(world.slack.held.wait(), 15)
    first.kill()
    world.slack.release.set()
    assert db_row(world, request_id)[0] == "confirmed"
    assert world.sim.stop_calls == []
    await world.start_bot("second")
    await until(lambda: world.sim.stop_calls, world, 20)
    await world.wait_for(world.result_parts, timeout=15)
    await asyncio.sleep(0.5)
    assert world.sim.stop_calls == [ids]
    parts = world.result_parts()
    assert len(parts) == len(set(parts))


@pytest.mark.slow
async def test_kill_9_with_the_stop_answer_in_flight_stops_once(world) -> None:
    """Killed at the time while Huawei holds the stop POST's answer (the stop took effect): the
    restarted bot does not send it again and reports the outcome once."""
    ids = [s.id for s in world.sim.seed(1)]
    first = await world.start_bot("first")
    await click_schedule(world, first, ids, lead=3)
    await world.wait_for(lambda: scheduled_roots(world))
    world.sim.faults.add("stop", delay=3)
    await until(lambda: world.sim.stop_calls, world, 15)
    first.kill()
    await world.start_bot("second")
    await world.wait_for(world.result_parts, timeout=25)
    await asyncio.sleep(0.5)
    assert world.sim.stop_calls == [ids]
    parts = world.result_parts()
    assert len(parts) == len(set(parts))


@pytest.mark.slow
async def test_a_restart_beyond_the_grace_misses_then_run_now_stops_once(
    tmp_path: Path,
) -> None:
    """Down from before the time until past the grace (2 s): MISSED with Run now in the thread,
    nothing stopped; Run now clicked twice stops once."""
    settings = {"BMS_REMINDERS": "none", "BMS_SCHEDULE_GRACE": "2s"}
    async with world_of(
        tmp_path, stop_seconds=0.3, channel_name="maintenance", **settings
    ) as world:
        await missed_then_run_now(world)


async def missed_then_run_now(world: World) -> None:
    """The body of the test above, on its world."""
    sim, slack = world.sim, world.slack
    ids = [s.id for s in sim.seed(1)]
    first = await world.start_bot("first")
    request_id = await click_schedule(world, first, ids, lead=3)
    await world.wait_for(lambda: scheduled_roots(world))
    first.kill()
    _, run_at, _ = db_row(world, request_id)
    await asyncio.sleep(max(0.0, run_at + 3 - time.time()))
    second = await world.start_bot("second")
    await world.wait_for(lambda: "was *missed*" in world.channel_text(), timeout=15)
    state, _, root_ts = db_row(world, request_id)
    assert state == "missed"
    assert sim.stop_calls == []
    assert root_ts is not None  # the announcement, adopted if the kill came before its record
    for _ in range(2):
        url = slack.new_response_url("actions")
        click = block_action(
            ActionId.RUN_NOW, request_id, response_url=url, message_ts="1764255601.000300"
        )
        await world.post(second, *click)
    await world.wait_for(world.result_parts, timeout=15)
    assert sim.stop_calls == [ids]


@pytest.mark.slow
async def test_a_restart_within_the_grace_runs_once_late(world) -> None:
    """Down over the time, back within the grace (60 s): the stop runs once, in the
    announcement's thread, and not before its time."""
    ids = [s.id for s in world.sim.seed(1)]
    first = await world.start_bot("first")
    request_id = await click_schedule(world, first, ids, lead=2)
    await world.wait_for(lambda: scheduled_roots(world))
    [announcement] = scheduled_roots(world)
    first.kill()
    _, run_at, _ = db_row(world, request_id)
    await asyncio.sleep(max(0.0, run_at + 1 - time.time()))
    await world.start_bot("second")
    await until(lambda: world.sim.stop_calls, world, 15)
    await world.wait_for(world.result_parts, timeout=15)
    assert world.sim.stop_calls == [ids]
    parts = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.ok and (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.RESULT_PART
    ]
    # Read after the restart: the kill may come before the announcement's ts was recorded, and
    # the second bot then adopts it by its metadata.
    _, _, root_ts = db_row(world, request_id)
    assert root_ts == announcement.ts
    assert {c.args.get("thread_ts") for c in parts} == {root_ts}
