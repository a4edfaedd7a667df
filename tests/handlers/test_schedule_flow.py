"""Scheduled stops through Slack, over HTTP against the fake Slack and the simulator: the buttons
on the announcement (Cancel, Postpone 1 hour, Postpone to… with its modal), the commands
(``/bms schedule``, ``cancel``, ``postpone``), a mention in an incident thread, and a miss with
Run now and Reschedule."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, BlockId, CallbackId
from tests.fakes.slack_requests import ALICE, BOB, CHANNEL
from tests.support.harness import Bot, running_bot, texts, value_of

THREAD = "1764255600.000100"


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path, bms_reminders="10m") as b:
        yield b


async def row(bot: Bot, request_id: str):
    assert bot.runtime.deps is not None
    found = await bot.runtime.deps.store.requests.get(request_id)
    assert found is not None
    return found


async def schedule(bot: Bot, when: str = "in 1h", count: int = 2) -> str:
    """Alice schedules ``count`` servers and clicks Schedule; the request id, once announced."""
    ids = " ".join(s.id for s in bot.sim.seed(count))
    preview, _ = await bot.preview(f"stop {ids} {when} reason: kernel patch")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id, texts(preview.blocks)
    assert "<!date^" in texts(preview.blocks)
    _, url = await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(lambda: announcement(bot) is not None)
    # The click's answer comes once the announcement is recorded as the thread root.
    assert "announced in" in await said_to(bot, url)
    return request_id


def announcement(bot: Bot) -> Any:
    roots = [m for m in bot.root_messages() if "Scheduled stop" in m.text]
    return roots[0] if roots else None


async def said_to(bot: Bot, url: str) -> str:
    answer = await bot.wait_response(url)
    return answer.text + "\n" + texts(answer.blocks)


async def open_postpone_modal(bot: Bot) -> str:
    """Click Postpone to… on the announcement; the opened modal's private metadata."""
    value = value_of(announcement(bot).blocks, ActionId.POSTPONE_PICK)
    assert value
    await bot.click(ActionId.POSTPONE_PICK, value)
    await bot.slack.wait_for(lambda: bot.slack.views)
    return str(bot.slack.views[-1].private_metadata)


async def submit_new_time(bot: Bot, meta: str, typed: str) -> Any:
    """Submit the Postpone (or Reschedule) modal with ``typed`` as the new time; the ack."""
    field = {BlockId.POSTPONE_TIME.value: {CallbackId.POSTPONE.value: typed}}
    return await bot.submit_view(CallbackId.POSTPONE, meta, field)


async def until_state(bot: Bot, request_id: str, state: RequestState) -> None:
    for _ in range(500):
        if (await row(bot, request_id)).state is state:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{request_id} never became {state}:\n{bot.slack.summary()}")


async def test_announcement_then_cancel_button(bot: Bot) -> None:
    """The announcement has the buttons; Alice's Cancel ends it, the announcement and the
    thread say who, and nothing is stopped."""
    request_id = await schedule(bot)
    root = announcement(bot)
    assert value_of(root.blocks, ActionId.SCHEDULE_CANCEL) == request_id
    await bot.click(ActionId.SCHEDULE_CANCEL, request_id)
    await until_state(bot, request_id, RequestState.CANCELLED)
    await bot.slack.wait_for(lambda: "Cancelled by" in texts(announcement(bot).blocks))
    assert value_of(announcement(bot).blocks, ActionId.POSTPONE_HOUR) is None
    await bot.slack.wait_for(lambda: "cancelled the scheduled stop" in bot.thread_text())
    assert bot.sim.stop_calls == []


async def test_postpone_an_hour_and_a_stale_click(bot: Bot) -> None:
    """Bob may not postpone Alice's stop; her Postpone 1 hour moves it an hour, and the same
    click again (from before the move) changes nothing."""
    request_id = await schedule(bot)
    before = (await row(bot, request_id)).run_at
    value = value_of(announcement(bot).blocks, ActionId.POSTPONE_HOUR)
    assert value
    _, url = await bot.click(ActionId.POSTPONE_HOUR, value, user=BOB)
    assert f"Only <@{ALICE}>" in await said_to(bot, url)
    await bot.click(ActionId.POSTPONE_HOUR, value)
    await until_state(bot, request_id, RequestState.POSTPONED)
    assert (await row(bot, request_id)).run_at == before + 3600
    await bot.slack.wait_for(lambda: "postponed the stop from" in bot.thread_text())
    _, url = await bot.click(ActionId.POSTPONE_HOUR, value)
    assert "changed while you were choosing" in await said_to(bot, url)
    assert (await row(bot, request_id)).run_at == before + 3600


async def test_postpone_to_a_time_of_ones_own_through_the_modal(bot: Bot) -> None:
    """Postpone to… opens a modal; text it cannot read is shown in the modal, 2h moves it."""
    request_id = await schedule(bot)
    before = (await row(bot, request_id)).run_at
    meta = await open_postpone_modal(bot)
    response = await submit_new_time(bot, meta, "next blue moon")
    assert response.json()["response_action"] == "errors"
    assert "not a time I can read" in response.json()["errors"][BlockId.POSTPONE_TIME.value]
    response = await submit_new_time(bot, meta, "2h")
    assert response.status_code == 200
    await until_state(bot, request_id, RequestState.POSTPONED)
    assert (await row(bot, request_id)).run_at == before + 7200


async def test_the_schedule_commands(bot: Bot) -> None:
    """/bms schedule lists it; /bms postpone moves it; /bms cancel ends it; a wrong id is told."""
    request_id = await schedule(bot)
    _, url = await bot.command("schedule")
    listed = await said_to(bot, url)
    assert request_id in listed
    assert "2 servers" in listed
    before = (await row(bot, request_id)).run_at
    _, url = await bot.command(f"postpone {request_id} 30m")
    await until_state(bot, request_id, RequestState.POSTPONED)
    assert (await row(bot, request_id)).run_at == before + 1800
    _, url = await bot.command(f"cancel {request_id}")
    await until_state(bot, request_id, RequestState.CANCELLED)
    _, url = await bot.command("cancel req_000000000000")
    assert "no such scheduled stop" in await said_to(bot, url)
    _, url = await bot.command("schedule")
    assert "No scheduled stops" in await said_to(bot, url)


async def test_unusable_time_is_refused_before_anything_is_stored(bot: Bot) -> None:
    """A past time is refused with what would work; no preview, nothing stored."""
    server = bot.sim.seed(1)[0]
    _, url = await bot.command(f"stop {server.id} at 2020-01-01T10:00Z")
    answer = await said_to(bot, url)
    assert "in the past" in answer
    assert "Nothing was scheduled" in answer


async def test_a_mention_in_an_incident_thread_announces_in_that_thread(bot: Bot) -> None:
    """@bms-bot stop … in 1h in a thread: the announcement is a reply in that thread."""
    server = bot.sim.seed(1)[0]
    response = await bot.mention(
        f"<@U0BOT> stop {server.id} in 1h", ts="1764255700.000400", thread_ts=THREAD, event_id="Ev1"
    )
    assert response.status_code == 200
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    request_id = value_of(bot.slack.ephemerals[0].blocks, ActionId.CONFIRM)
    assert request_id
    await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(
        lambda: any("Scheduled stop" in m.text for m in bot.slack.thread_replies(CHANNEL, THREAD))
    )
    assert bot.root_messages() == []


async def test_a_missed_stop_run_now_twice_stops_once(tmp_path) -> None:
    """With no grace at all the stop is missed at its time; two Run now clicks stop it once."""
    async with running_bot(tmp_path, bms_reminders="none", bms_schedule_grace=0) as bot:
        request_id = await schedule(bot, "in 1s", count=1)
        await until_state(bot, request_id, RequestState.MISSED)
        await bot.slack.wait_for(lambda: "was *missed*" in bot.thread_text())
        assert bot.sim.stop_calls == []
        await asyncio.gather(
            bot.click(ActionId.RUN_NOW, request_id), bot.click(ActionId.RUN_NOW, request_id)
        )
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert len(bot.sim.stop_calls) == 1


async def test_a_missed_stop_can_be_rescheduled(tmp_path) -> None:
    """Reschedule… opens the modal; a new time schedules it again with its buttons back."""
    async with running_bot(tmp_path, bms_reminders="none", bms_schedule_grace=0) as bot:
        request_id = await schedule(bot, "in 1s", count=1)
        await until_state(bot, request_id, RequestState.MISSED)
        await bot.slack.wait_for(lambda: "was *missed*" in bot.thread_text())
        missed = next(m for m in bot.replies() if "was *missed*" in m.text)
        value = value_of(missed.blocks, ActionId.RESCHEDULE)
        assert value
        await bot.click(ActionId.RESCHEDULE, value)
        await bot.slack.wait_for(lambda: bot.slack.views)
        meta = bot.slack.views[0].private_metadata
        field = {BlockId.POSTPONE_TIME.value: {CallbackId.POSTPONE.value: "tomorrow 10:00"}}
        await bot.submit_view(CallbackId.POSTPONE, meta, field)
        await until_state(bot, request_id, RequestState.SCHEDULED)
        await bot.slack.wait_for(lambda: "rescheduled the missed stop" in bot.thread_text())
        assert bot.sim.stop_calls == []


async def test_a_time_without_a_zone_is_read_in_the_requesters_slack_zone(tmp_path) -> None:
    """users.info says America/New_York: `tomorrow 22:00` is 22:00 there, and the preview
    names the zone."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from tests.fakes.slack_api import FakeSlack

    slack = FakeSlack()
    slack.add_user(ALICE, name="alice", tz="America/New_York", tz_offset=-5 * 3600)
    async with running_bot(tmp_path, slack=slack) as bot:
        server = bot.sim.seed(1)[0]
        preview, _ = await bot.preview(f"stop {server.id} at tomorrow 22:00")
        assert "America/New_York" in texts(preview.blocks)
        request_id = value_of(preview.blocks, ActionId.CONFIRM)
        assert request_id
        run_at = (await row(bot, request_id)).run_at
        assert run_at is not None
        local = datetime.fromtimestamp(run_at, ZoneInfo("America/New_York"))
        tomorrow = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=1)
        assert (local.date(), local.hour, local.minute) == (tomorrow, 22, 0)
