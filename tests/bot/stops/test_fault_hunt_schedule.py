"""Fault hunt on scheduled stops in the stop service, on a hand-moved clock: Huawei, the directory
and the database failing when the alarm rings, Slack refusing reminders, races between Cancel,
Postpone, the alarm, Run now and Reschedule, odd time zones, and the words people are told."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from conftest import ALICE, BOB, TIMING, World
from schedule_steps import APPROVAL_POLICY, at_time, posts, previewed, row, scheduled
from twins import TwinCloud, TwinPeople, TwinPoster, TwinSchedule

from bot.bms.errors import CloudUnavailable
from bot.core.lifecycle import ReminderState, RequestState
from bot.core.parser import StopCommand
from bot.core.schedule import Scheduling
from bot.core.when import After, parse_when
from bot.policy.model import Policy
from bot.policy.people import DirectoryUnavailable, Person
from bot.slack.place import Place
from bot.slack.poster import SlackFailure
from bot.stops.service import StopService
from bot.store import DatabaseUnavailable, Store
from bot.store.schema import stop_reminders
from tests.support.clock import ManualClock

RULES = Scheduling(reminders=(3600.0, 600.0), grace=900.0)
OTHER = Place("T1", "C2", "U0ALICE01", "command", None, "https://hooks.slack.com/commands/T1/3/c")


@dataclass
class FlakyPeople(TwinPeople):
    """The directory, which can be down (``users.info`` failing)."""

    down: bool = False
    people: dict[str, Person] = field(default_factory=dict)

    async def person(self, user_id: str) -> Person:
        if self.down:
            raise DirectoryUnavailable("users.info: fatal_error")
        return await super().person(user_id)


def service_for(world: World, people: TwinPeople, policy: Policy | None = None) -> StopService:
    return StopService(
        world.cloud,
        world.store,
        world.poster,
        world.schedule,
        TIMING,
        people,
        policy=policy,
        scheduling=RULES,
        now=world.clock,
    )


@pytest.fixture
def people() -> FlakyPeople:
    return FlakyPeople(people={ALICE.user_id: Person(ALICE.user_id, "alice", tz="Europe/Berlin")})


@pytest.fixture
async def world(engine, people: FlakyPeople) -> World:
    store, cloud, poster = Store(engine), TwinCloud(), TwinPoster()
    world = World(None, store, cloud, poster, TwinSchedule(), ManualClock())  # type: ignore[arg-type]
    world.service = service_for(world, people)
    return world


def told(world: World) -> str:
    return world.poster.texts("respond") + "\n" + world.poster.texts("whisper")


def cloud_down(world: World) -> None:
    async def down(ids):
        raise CloudUnavailable("throttled", http_status=429)

    world.cloud.find_servers = down  # type: ignore[method-assign]


# -- the time zone the preview names -----------------------------------------------------------


async def test_a_requester_without_a_zone_reads_times_in_utc_and_is_told_so(world, people) -> None:
    """users.info with no tz: "at 22:00" is 22:00 UTC and the preview says UTC."""
    people.people[ALICE.user_id] = Person(ALICE.user_id, "alice", tz=None)
    server = world.cloud.add(1)[0]
    command = StopCommand((server.id,), False, None, when=parse_when("at", ["22:00"]))
    await world.service.preview(command, ALICE)
    [req] = await world.store.requests.in_states([RequestState.PREVIEWED])
    day = datetime.fromtimestamp(world.clock.now, UTC).date()
    assert req.run_at == datetime(day.year, day.month, day.day, 22, tzinfo=UTC).timestamp()
    assert "read in UTC)" in world.poster.texts("respond")


async def test_an_unknown_zone_is_not_claimed_in_the_preview(world, people) -> None:
    """users.info tz "Mars/Olympus": the time is read in UTC, and the preview must say UTC."""
    people.people[ALICE.user_id] = Person(ALICE.user_id, "alice", tz="Mars/Olympus")
    server = world.cloud.add(1)[0]
    command = StopCommand((server.id,), False, None, when=parse_when("at", ["22:00"]))
    await world.service.preview(command, ALICE)
    [req] = await world.store.requests.in_states([RequestState.PREVIEWED])
    day = datetime.fromtimestamp(world.clock.now, UTC).date()
    assert req.run_at == datetime(day.year, day.month, day.day, 22, tzinfo=UTC).timestamp()
    said = world.poster.texts("respond")
    assert "Mars/Olympus" not in said, said


# -- failures when the alarm rings ---------------------------------------------------------------


async def test_the_database_down_at_the_alarm_retries_and_stops_once(world) -> None:
    """The database fails when the alarm rings: nothing stopped, the alarm rings again in 30 s,
    and that ring stops once."""
    request_id = await scheduled(world)
    real = world.store.requests.get

    async def down(request_id):
        raise DatabaseUnavailable("database is locked")

    world.store.requests.get = down  # type: ignore[method-assign]
    world.clock.now = (await real(request_id)).run_at  # type: ignore[union-attr,assignment]
    await world.service.wake(request_id)
    assert world.cloud.stop_calls == []
    assert world.schedule.alarms[request_id] == world.clock.now + 30
    world.store.requests.get = real  # type: ignore[method-assign]
    world.clock.advance(30)
    await world.service.wake(request_id)
    await world.service.wake(request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_the_directory_down_at_the_time_retries_not_runs_unchecked(world, people) -> None:
    """users.info down at the time: the policy cannot be judged, nothing is sent, the alarm rings
    again; once the directory answers the stop runs once."""
    request_id = await scheduled(world)
    people.down = True
    await at_time(world, request_id)
    assert world.cloud.stop_calls == []
    assert (await row(world, request_id)).state is RequestState.SCHEDULED
    assert world.schedule.alarms[request_id] == world.clock.now + 30
    people.down = False
    world.clock.advance(30)
    await world.service.wake(request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_huawei_failing_the_stop_call_at_the_time_is_reported(world) -> None:
    """The batch stop itself fails at the time (500): the thread says the stop failed and
    nothing was stopped; no second call."""
    request_id = await scheduled(world)
    world.cloud.stop_error = CloudUnavailable("internal", http_status=500, maybe_sent=False)
    await at_time(world, request_id)
    await world.service.wake(request_id)
    assert len(world.cloud.stop_calls) == 1
    req = await row(world, request_id)
    thread = "\n".join(s.message.text for s in world.poster.said if s.thread_ts == req.root_ts)
    assert "nothing was stopped" in thread.lower() or "failed" in thread.lower(), thread


async def test_a_stop_delayed_by_huawei_does_not_blame_the_bot_being_away(world) -> None:
    """The lookup is throttled at the time and the retry 30 s later runs it: the thread must
    not say the bot was not running."""
    request_id = await scheduled(world)
    real = world.cloud.find_servers
    cloud_down(world)
    await at_time(world, request_id)
    world.cloud.find_servers = real  # type: ignore[method-assign]
    world.clock.advance(30)
    await world.service.wake(request_id)
    assert len(world.cloud.stop_calls) == 1
    [starting] = posts(world, "Starting the scheduled stop")
    assert "not running" not in starting, starting


async def test_a_stop_missed_because_huawei_was_down_says_so_truthfully(world) -> None:
    """Huawei fails from the time until past the grace: MISSED, and the thread must not claim
    the bot was away."""
    request_id = await scheduled(world)
    cloud_down(world)
    await at_time(world, request_id)
    for _ in range(31):  # every 30 s for 15.5 minutes
        world.clock.advance(30)
        await world.service.wake(request_id)
    assert (await row(world, request_id)).state is RequestState.MISSED
    assert world.cloud.stop_calls == []
    [missed] = posts(world, "was *missed*")
    assert "not running" not in missed, missed


# -- reminders ----------------------------------------------------------------------------------


async def test_a_refused_reminder_post_is_not_posted_twice_and_the_stop_still_runs(world) -> None:
    """Slack refuses the first reminder: it is not retried into a duplicate, the alarm moves on,
    the second reminder posts once and the stop runs once at its time."""
    request_id = await scheduled(world)
    req = await row(world, request_id)
    world.poster.fail_posts.append(SlackFailure("internal_error"))
    world.clock.now = req.run_at - 3600  # type: ignore[operator]
    await world.service.wake(request_id)
    await world.service.wake(request_id)
    assert posts(world, "⏰") == []
    assert world.schedule.alarms[request_id] == req.run_at - 600  # type: ignore[operator]
    world.clock.now = req.run_at - 600  # type: ignore[operator]
    await world.service.wake(request_id)
    assert len(posts(world, "⏰")) == 1
    await at_time(world, request_id)
    assert len(posts(world, "⏰")) == 1
    assert len(world.cloud.stop_calls) == 1


async def test_concurrent_wakes_at_a_reminder_post_it_once(world) -> None:
    """The alarm and the sweep both ring at the reminder's moment: one reminder."""
    request_id = await scheduled(world)
    req = await row(world, request_id)
    world.clock.now = req.run_at - 600  # type: ignore[operator]
    await asyncio.gather(*(world.service.wake(request_id) for _ in range(4)))
    assert len(posts(world, "⏰")) == 1
    async with world.store.db.connect() as conn:
        states = sorted(r.state for r in (await conn.execute(stop_reminders.select())).all())
    assert states == [ReminderState.SENT.value, ReminderState.SKIPPED.value]


# -- exactly once -------------------------------------------------------------------------------


async def test_the_alarm_and_the_sweep_at_the_time_stop_once(world) -> None:
    """Four wakes and a sweep at the same moment: one stop call."""
    request_id = await scheduled(world)
    world.clock.now = (await row(world, request_id)).run_at + 1  # type: ignore[operator]
    await asyncio.gather(*(world.service.wake(request_id) for _ in range(4)), world.service.sweep())
    assert len(world.cloud.stop_calls) == 1
    assert len(posts(world, "Starting the scheduled stop")) == 1


async def test_nothing_stops_a_second_before_the_time(world) -> None:
    """Rung early (a clock a second short of the time): nothing stopped, the alarm set again."""
    request_id = await scheduled(world)
    await at_time(world, request_id, late=-1)
    await world.service.sweep()
    assert world.cloud.stop_calls == []
    assert world.schedule.alarms[request_id] == (await row(world, request_id)).run_at


async def test_run_now_racing_reschedule_decides_once(world) -> None:
    """Run now and Reschedule at the same instant on a missed stop: exactly one wins; if Run now
    won there is one stop and the row is not scheduled again."""
    request_id = await scheduled(world)
    await at_time(world, request_id, late=1200)
    assert (await row(world, request_id)).state is RequestState.MISSED
    await asyncio.gather(
        world.service.run_now(request_id, ALICE),
        world.service.reschedule(request_id, ALICE, After(3600)),
    )
    state = (await row(world, request_id)).state
    if state is RequestState.SCHEDULED:
        assert world.cloud.stop_calls == []
    else:
        assert state is RequestState.SUBMITTED
        assert len(world.cloud.stop_calls) == 1
    await at_time(world, request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_cancel_after_a_miss_leaves_run_now_nothing_to_do(world) -> None:
    """A missed stop cancelled: Run now afterwards is told it was cancelled, nothing stops."""
    request_id = await scheduled(world)
    await at_time(world, request_id, late=1200)
    await world.service.cancel_schedule(request_id, ALICE)
    await world.service.run_now(request_id, ALICE)
    assert world.cloud.stop_calls == []
    assert (await row(world, request_id)).state is RequestState.CANCELLED
    assert "cancelled already" in told(world)


async def test_cancel_landing_during_a_postpone_leaves_the_announcement_cancelled(world) -> None:
    """Postpone commits, then a Cancel completes before the Postpone edits the announcement:
    the row is CANCELLED and the announcement must say so, without buttons."""
    request_id = await scheduled(world)
    before = (await row(world, request_id)).run_at
    real = world.store.schedules.postpone

    async def postpone_then_cancel(*args, **kwargs):
        won = await real(*args, **kwargs)
        await world.service.cancel_schedule(request_id, ALICE)
        return won

    world.store.schedules.postpone = postpone_then_cancel  # type: ignore[method-assign]
    assert await world.service.postpone(request_id, ALICE, After(3600), before) is None
    assert (await row(world, request_id)).state is RequestState.CANCELLED
    last = world.poster.calls("update")[-1].text
    assert "Cancelled" in last, last
    assert "bms_postpone_hour" not in last


async def test_cancel_and_postpone_at_once_end_consistently(world) -> None:
    """Cancel and Postpone at the same instant: never stopped; cancelled, or postponed with
    the Cancel told why not."""
    request_id = await scheduled(world)
    before = (await row(world, request_id)).run_at
    await asyncio.gather(
        world.service.cancel_schedule(request_id, ALICE),
        world.service.postpone(request_id, ALICE, After(3600), before),
    )
    req = await row(world, request_id)
    assert req.state in (RequestState.CANCELLED, RequestState.POSTPONED)
    for late in (0, 3600):
        world.clock.now = before + late  # type: ignore[operator]
        await world.service.wake(request_id)
    if req.state is RequestState.CANCELLED:
        assert world.cloud.stop_calls == []


async def test_postpone_once_the_time_has_come_is_told_the_truth(world) -> None:
    """Huawei failed at the time, so the stop is still waiting; Postpone then changes nothing
    and must not answer as if someone had clicked Run now on a missed stop."""
    request_id = await scheduled(world)
    cloud_down(world)
    await at_time(world, request_id)
    world.clock.advance(5)
    assert await world.service.postpone(request_id, ALICE, After(3600)) is None
    said = told(world)
    assert "not missed" not in said, said[-300:]


async def test_postpone_with_the_directory_down_is_told_not_applied(world, people) -> None:
    """users.info down at a Postpone: the person is told the directory is down, nothing moves."""
    request_id = await scheduled(world)
    before = (await row(world, request_id)).run_at
    people.down = True
    assert await world.service.postpone(request_id, ALICE, After(3600), before) is None
    assert (await row(world, request_id)).run_at == before
    assert "users.info failed" in told(world)


# -- the click ----------------------------------------------------------------------------------


async def test_a_time_passing_between_preview_and_click_schedules_nothing(world) -> None:
    """in 2 minutes, clicked 3 minutes later (the preview still valid): told the time passed;
    nothing scheduled, announced or stopped."""
    request_id = await previewed(world, 120)
    world.clock.advance(180)
    await world.service.confirm(request_id, ALICE)
    assert (await row(world, request_id)).state is RequestState.PREVIEWED
    assert "time of this stop has passed" in told(world)
    assert posts(world, "Scheduled stop") == []
    assert world.cloud.stop_calls == []


async def test_a_preview_expired_before_the_click_schedules_nothing(world) -> None:
    """in 2h, clicked after the preview's 10 minutes: told it expired; nothing announced."""
    request_id = await previewed(world)
    world.clock.advance(TIMING.confirm_ttl + 1)
    await world.service.confirm(request_id, ALICE)
    assert (await row(world, request_id)).state is RequestState.EXPIRED
    assert "expired" in told(world).lower()
    assert posts(world, "Scheduled stop") == []


async def test_a_second_schedule_click_announces_once(world) -> None:
    """Schedule clicked twice at once: one announcement, one set of reminders."""
    request_id = await previewed(world)
    await asyncio.gather(
        world.service.confirm(request_id, ALICE), world.service.confirm(request_id, ALICE)
    )
    assert len(posts(world, "Scheduled stop of 2 servers")) == 1
    assert len(await world.store.schedules.pending(request_id)) == 2


async def test_a_refused_announcement_goes_back_to_the_preview_and_clicks_again(world) -> None:
    """Slack refuses the announcement (not_in_channel): PREVIEWED, told to invite the bot, no
    alarm; the same button then schedules once with fresh reminders."""
    from bot.slack.poster import NotInChannel

    request_id = await previewed(world)
    world.poster.fail_posts.append(NotInChannel("not_in_channel"))
    await world.service.confirm(request_id, ALICE)
    assert (await row(world, request_id)).state is RequestState.PREVIEWED
    assert request_id not in world.schedule.alarms
    assert "invite" in told(world).lower()
    await world.service.confirm(request_id, ALICE)
    assert (await row(world, request_id)).state is RequestState.SCHEDULED
    assert len(posts(world, "Scheduled stop of 2 servers")) == 1
    assert len(await world.store.schedules.pending(request_id)) == 2


# -- the commands' words -------------------------------------------------------------------------


async def test_cancel_of_a_schedule_awaiting_approval_is_not_called_started(world, people) -> None:
    """A scheduled stop waiting for its approver: /bms cancel must not say it has started."""
    world.service = service_for(world, people, Policy.model_validate(APPROVAL_POLICY))
    request_id = await scheduled(world)
    assert (await row(world, request_id)).state is RequestState.AWAITING_APPROVAL
    await world.service.cancel_schedule(request_id, ALICE)
    said = told(world)
    assert "started already" not in said, said
    assert world.cloud.stop_calls == []


async def test_cancel_of_a_mere_preview_is_not_called_started(world) -> None:
    """/bms cancel <id> of an immediate stop's preview: it has not started; say so truthfully."""
    request_id = await world.preview(1)
    await world.service.cancel_schedule(request_id, ALICE)
    said = told(world)
    assert "started already" not in said, said
    assert (await row(world, request_id)).state is RequestState.PREVIEWED


async def test_an_approval_after_the_time_is_not_reported_as_the_bot_being_away(
    world, people
) -> None:
    """Bob approves 1000 s after the stop's time (grace 900 s, the approval still open): nothing
    stops, and the thread must not say the bot was not running."""
    world.service = service_for(world, people, Policy.model_validate(APPROVAL_POLICY))
    request_id = await scheduled(world, seconds=600)
    world.clock.advance(600 + 1000)
    await world.service.approve(request_id, BOB)
    await world.service.wake(request_id)
    assert world.cloud.stop_calls == []
    said = "\n".join(s.message.text for s in world.poster.said)
    assert "not running" not in said, said


async def test_approving_a_later_stop_does_not_say_it_goes_out_now(world, people) -> None:
    """Bob approves a stop scheduled in 2 hours: SCHEDULED, nothing stopped, and the thread must
    not say the stop goes out now."""
    world.service = service_for(world, people, Policy.model_validate(APPROVAL_POLICY))
    request_id = await scheduled(world)
    await world.service.approve(request_id, BOB)
    assert (await row(world, request_id)).state is RequestState.SCHEDULED
    assert world.cloud.stop_calls == []
    said = "\n".join(s.message.text for s in world.poster.calls("post"))
    assert "goes out now" not in said, said
