"""Scheduled stops in the stop service, on a hand-moved clock: the announcement, reminders at
their offsets, the stop at its time, cancel and postpone, restarts within and beyond the grace,
Run now after a miss, and the races that compare-and-set decides."""

from __future__ import annotations

import asyncio
from datetime import time

import pytest
from conftest import ALICE, BOB, TIMING, World
from schedule_steps import APPROVAL_POLICY, at_time, posts, row, scheduled
from twins import TwinCloud, TwinPeople, TwinPoster, TwinSchedule

from bot.core.lifecycle import ReminderState, RequestState
from bot.core.parser import StopCommand
from bot.core.schedule import Scheduling
from bot.core.when import After, At, parse_when
from bot.policy.model import Policy
from bot.policy.people import Person
from bot.slack.place import Place
from bot.stops.service import StopService
from bot.store import Store
from bot.store.requests import Start
from bot.store.schema import stop_reminders
from tests.support.clock import ManualClock

CAROL = Place("T1", "C1", "U0CAROL01", "command", None, None)
RULES = Scheduling(reminders=(3600.0, 600.0), grace=900.0)


def service_for(
    world: World, policy: Policy | None = None, people: TwinPeople | None = None
) -> StopService:
    """A stop service on the world's store and twins: a fresh one is a restarted bot."""
    return StopService(
        world.cloud,
        world.store,
        world.poster,
        world.schedule,
        TIMING,
        people or TwinPeople(),
        policy=policy,
        scheduling=RULES,
        now=world.clock,
    )


@pytest.fixture
async def world(engine) -> World:
    store, cloud, poster = Store(engine), TwinCloud(), TwinPoster()
    schedule, clock = TwinSchedule(), ManualClock()
    people = TwinPeople({ALICE.user_id: Person(ALICE.user_id, "alice", tz="Europe/Berlin")})
    world = World(None, store, cloud, poster, schedule, clock)  # type: ignore[arg-type]
    world.service = service_for(world, people=people)
    return world


async def test_preview_of_a_scheduled_stop(world: World) -> None:
    """The preview shows when (date token, how far, the requester's zone) and a Schedule button."""
    servers = world.cloud.add(1)
    command = StopCommand(
        (servers[0].id,), False, None, when=parse_when("at", ["tomorrow", "22:00"])
    )
    await world.service.preview(command, ALICE)
    [preview] = world.poster.calls("respond")
    assert "<!date^" in preview.text
    assert "{date_short_pretty} {time}" in preview.text
    assert "Europe/Berlin" in preview.text
    assert "Schedule the stop of 1 server" in preview.text
    [req] = await world.store.requests.in_states([RequestState.PREVIEWED])
    # 1_800_000_000 is 2027-01-15 08:00 UTC; tomorrow 22:00 in Berlin (UTC+1) is 21:00 UTC.
    assert req.run_at == 1_800_000_000 + 24 * 3600 + 13 * 3600
    assert req.tz == "Europe/Berlin"


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["07:00"], "in the past; try `tomorrow 07:00`"),
        (["2027-06-01", "10:00"], "more than 90 days ahead"),
        (["2027-03-28", "02:30"], "does not exist in Europe/Berlin"),
        (["2027-10-31", "02:30"], "happens twice in Europe/Berlin"),
    ],
)
async def test_unusable_times_are_refused_with_what_would_work(world: World, words, said) -> None:
    """Past, too far, a DST gap and a DST overlap: told why, with an example; nothing stored."""
    servers = world.cloud.add(1)
    await world.service.preview(
        StopCommand((servers[0].id,), False, None, when=parse_when("at", words)), ALICE
    )
    assert said in world.poster.texts("respond")
    assert "Nothing was scheduled" in world.poster.texts("respond")
    assert await world.store.requests.in_states([RequestState.PREVIEWED]) == []


async def test_the_click_schedules_announces_and_sets_the_alarm(world: World) -> None:
    """SCHEDULED with both reminders, a public announcement with Cancel and Postpone, the
    requester told where, and the alarm at the first reminder; nothing stopped."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    assert req.state is RequestState.SCHEDULED
    [announcement] = posts(world, "Scheduled stop of 2 servers")
    assert "bms_schedule_cancel" in announcement
    assert "bms_postpone_hour" in announcement
    assert "web-0" in announcement
    assert "window" in announcement
    assert "announced in <#C1>" in world.poster.texts("respond")
    assert [r.offset for r in await world.store.schedules.pending(request_id)] == [3600.0, 600.0]
    assert world.schedule.alarms[request_id] == req.run_at - 3600
    assert world.cloud.stop_calls == []


async def test_reminders_already_past_at_confirmation_are_skipped(world: World) -> None:
    """In 30 minutes: the 60-minute reminder is never made, the 10-minute one is."""
    request_id = await scheduled(world, 1800)
    assert [r.offset for r in await world.store.schedules.pending(request_id)] == [600.0]


async def test_each_reminder_is_posted_once_at_its_offset_in_the_thread(world: World) -> None:
    """At each offset one reminder in the announcement's thread mentions the requester; a
    second ring at the same moment posts nothing more."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    world.clock.now = req.run_at - 3600  # type: ignore[operator]
    await world.service.wake(request_id)
    await world.service.wake(request_id)
    reminders = [s for s in world.poster.calls("post") if "⏰" in s.text]
    assert len(reminders) == 1
    assert reminders[0].thread_ts == req.root_ts
    assert "<@U0ALICE01>" in reminders[0].text
    assert world.schedule.alarms[request_id] == req.run_at - 600
    world.clock.now = req.run_at - 600  # type: ignore[operator]
    await world.service.wake(request_id)
    assert len([s for s in world.poster.calls("post") if "⏰" in s.text]) == 2
    assert world.cloud.stop_calls == []


async def test_a_bot_away_for_both_reminders_posts_only_the_newest(world: World) -> None:
    """Down from before the first reminder to after the second: one reminder, not two."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    world.clock.now = req.run_at - 300  # type: ignore[operator]
    await world.service.wake(request_id)
    assert len([s for s in world.poster.calls("post") if "⏰" in s.text]) == 1
    assert await world.store.schedules.pending(request_id) == []


async def test_at_its_time_the_stop_runs_and_reports_a_partly_failed_job(world: World) -> None:
    """One stop call at the time, results in the announcement's thread, the root shows the
    outcome with the schedule line."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    await at_time(world, request_id)
    assert len(world.cloud.stop_calls) == 1
    assert (await row(world, request_id)).state is RequestState.SUBMITTED
    assert posts(world, "Starting the scheduled stop of 2 servers now")
    assert request_id in world.schedule.watched
    job = next(iter(world.cloud.jobs))
    failed = world.cloud.stop_calls[0][1]
    world.cloud.finish(job, failed=[failed])
    await world.service.tick(request_id)
    assert (await row(world, request_id)).state is RequestState.FINISHED
    thread = [s for s in world.poster.calls("post") if s.thread_ts == req.root_ts]
    assert any("BMS.0037" in s.text for s in thread)
    final = world.poster.calls("update")[-1]
    assert final.thread_ts == req.root_ts
    assert "1 stopped, 1 failed" in final.text
    assert "Scheduled for" in final.text


async def test_servers_that_changed_since_are_left_out_and_listed(world: World) -> None:
    """A server stopped meanwhile is skipped at the time and named in the thread."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    world.cloud.power_off([req.targets[0].id])
    await at_time(world, request_id)
    assert world.cloud.stop_calls == [[req.targets[1].id]]
    [starting] = posts(world, "Starting the scheduled stop")
    assert "changed since the announcement" in starting
    assert req.targets[0].id in starting


async def test_nothing_left_at_the_time_cancels_and_says_so(world: World) -> None:
    """Every server stopped meanwhile: no call, CANCELLED, the thread says why."""
    request_id = await scheduled(world, 7200)
    world.cloud.power_off([t.id for t in (await row(world, request_id)).targets])
    await at_time(world, request_id)
    assert world.cloud.stop_calls == []
    assert (await row(world, request_id)).state is RequestState.CANCELLED
    assert posts(world, "nothing is left to stop")


async def test_cancel_button_cancels_for_good(world: World) -> None:
    """The requester's Cancel: CANCELLED, the announcement says who, the alarm is gone, and
    its time passes without a stop."""
    request_id = await scheduled(world, 7200)
    await world.service.cancel_schedule(request_id, ALICE)
    assert (await row(world, request_id)).state is RequestState.CANCELLED
    assert request_id not in world.schedule.alarms
    assert "Cancelled by <@U0ALICE01>" in world.poster.calls("update")[-1].text
    assert posts(world, "cancelled the scheduled stop")
    await at_time(world, request_id)
    assert world.cloud.stop_calls == []


async def test_a_bystander_cannot_cancel_or_postpone(world: World) -> None:
    """Without a policy only the requester may change a schedule; others are told who may."""
    request_id = await scheduled(world, 7200)
    await world.service.cancel_schedule(request_id, BOB)
    assert await world.service.postpone(request_id, BOB, After(3600)) is None
    assert (await row(world, request_id)).state is RequestState.SCHEDULED
    told = [s for s in world.poster.calls("respond") if "Only <@U0ALICE01>" in s.text]
    assert len(told) == 2


async def test_the_policy_approvers_may_cancel(world: World) -> None:
    """With a policy, the approvers of the grant that let the stop in may cancel it too."""
    policy = Policy.model_validate(
        {
            "grant": [
                {
                    "name": "ops",
                    "requesters": [ALICE.user_id],
                    "channels": ["*"],
                    "approvers": [CAROL.user_id],
                }
            ]
        }
    )
    world.service = service_for(world, policy)
    request_id = await scheduled(world, 7200)
    await world.service.cancel_schedule(request_id, BOB)
    assert (await row(world, request_id)).state is RequestState.SCHEDULED
    await world.service.cancel_schedule(request_id, CAROL)
    assert (await row(world, request_id)).state is RequestState.CANCELLED


async def test_postpone_an_hour_moves_the_time_reminders_and_alarm(world: World) -> None:
    """Postpone 1 hour: POSTPONED an hour later, reminders remade for the new time, the
    announcement and the thread say who moved it from when to when."""
    request_id = await scheduled(world, 7200)
    before = (await row(world, request_id)).run_at
    assert await world.service.postpone(request_id, ALICE, After(3600), before) is None
    req = await row(world, request_id)
    assert req.state is RequestState.POSTPONED
    assert req.run_at == before + 3600
    assert [r.due_at for r in await world.store.schedules.pending(request_id)] == [
        req.run_at - 3600,  # type: ignore[operator]
        req.run_at - 600,  # type: ignore[operator]
    ]
    assert world.schedule.alarms[request_id] == req.run_at - 3600  # type: ignore[operator]
    assert "postponed by <@U0ALICE01>" in world.poster.calls("update")[-1].text
    assert posts(world, "postponed the stop from")
    await at_time(world, request_id, late=-1)  # the old time is gone: nothing yet
    assert world.cloud.stop_calls == []


async def test_a_stale_postpone_click_changes_nothing(world: World) -> None:
    """A Postpone click on an announcement that moved meanwhile is told so, not applied twice."""
    request_id = await scheduled(world, 7200)
    before = (await row(world, request_id)).run_at
    await world.service.postpone(request_id, ALICE, After(3600), before)
    await world.service.postpone(request_id, ALICE, After(3600), before)
    assert (await row(world, request_id)).run_at == before + 3600  # type: ignore[operator]
    assert "changed while you were choosing" in world.poster.texts("respond")


async def test_postpone_to_an_earlier_time_is_refused(world: World) -> None:
    """Postpone only moves later; an earlier time is refused with what to do instead."""
    request_id = await scheduled(world, 7200)
    run_at = (await row(world, request_id)).run_at
    # Now is 09:00 in Berlin and the stop is at 11:00: 10:00 is ahead, but earlier.
    said = await world.service.postpone(request_id, ALICE, At("10:00", clock=time(10, 0)))
    assert said is not None
    assert "later" in said
    assert (await row(world, request_id)).run_at == run_at


async def test_a_restart_within_the_grace_runs_late_and_says_by_how_much(world: World) -> None:
    """Down at the time, back 5 minutes later: the rebuilt alarm rings at once, the stop runs
    once, and the thread says it is 5 minutes late."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    world.schedule.alarms.clear()
    world.clock.now = req.run_at + 300  # type: ignore[operator]
    restarted = service_for(world)
    await restarted.resume_all()
    assert world.schedule.alarms[request_id] <= world.clock.now
    await restarted.wake(request_id)
    assert len(world.cloud.stop_calls) == 1
    [starting] = posts(world, "Starting the scheduled stop")
    assert "5 minutes late" in starting
    assert (await row(world, request_id)).late_by == 300


async def test_a_restart_beyond_the_grace_misses_and_offers_run_now(world: World) -> None:
    """Back 20 minutes late (grace 15): MISSED, no stop, the announcement says missed and the
    thread offers Run now and Reschedule to the requester."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    world.clock.now = req.run_at + 1200  # type: ignore[operator]
    restarted = service_for(world)
    await restarted.resume_all()
    await restarted.wake(request_id)
    assert world.cloud.stop_calls == []
    assert (await row(world, request_id)).state is RequestState.MISSED
    assert "Missed" in world.poster.calls("update")[-1].text
    [missed] = posts(world, "was *missed*")
    assert "bms_run_now" in missed
    assert "bms_reschedule" in missed
    assert "<@U0ALICE01>" in missed


async def test_two_run_now_clicks_stop_once(world: World) -> None:
    """Run now clicked twice at once after a miss: exactly one stop call."""
    request_id = await scheduled(world, 7200)
    await at_time(world, request_id, late=1200)
    await asyncio.gather(
        world.service.run_now(request_id, ALICE), world.service.run_now(request_id, ALICE)
    )
    assert len(world.cloud.stop_calls) == 1
    assert (await row(world, request_id)).state is RequestState.SUBMITTED


async def test_reschedule_after_a_miss_runs_at_the_new_time(world: World) -> None:
    """Reschedule a missed stop: SCHEDULED again with reminders, then it runs at the new time."""
    request_id = await scheduled(world, 7200)
    await at_time(world, request_id, late=1200)
    assert await world.service.reschedule(request_id, ALICE, After(7200)) is None
    req = await row(world, request_id)
    assert req.state is RequestState.SCHEDULED
    assert req.late_by is None
    assert len(await world.store.schedules.pending(request_id)) == 2
    await at_time(world, request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_cancel_racing_the_time_decides_once(world: World) -> None:
    """Cancel and the alarm at the same moment: either nothing stops or the cancel is told it
    started; never both."""
    request_id = await scheduled(world, 7200)
    world.clock.now = (await row(world, request_id)).run_at  # type: ignore[assignment]
    await asyncio.gather(
        world.service.wake(request_id), world.service.cancel_schedule(request_id, ALICE)
    )
    state = (await row(world, request_id)).state
    if state is RequestState.CANCELLED:
        assert world.cloud.stop_calls == []
    else:
        assert len(world.cloud.stop_calls) == 1
        assert "started already" in world.poster.texts("respond")


async def test_a_postpone_racing_a_reminder_leaves_no_stale_reminder(world: World) -> None:
    """A postpone that wins drops the pending reminders, so the reminder's claim loses."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    [first, _] = await world.store.schedules.pending(request_id)
    world.clock.now = req.run_at - 3600  # type: ignore[operator]
    await world.service.postpone(request_id, ALICE, After(3600), req.run_at)
    assert not await world.store.schedules.claim_reminder(first.id, world.clock.now)
    async with world.store.db.connect() as conn:
        states = (await conn.execute(stop_reminders.select())).all()
    assert {r.state for r in states if r.id == first.id} == {ReminderState.DROPPED.value}


async def test_a_lost_alarm_is_rung_by_the_sweep(world: World) -> None:
    """An alarm that never rang (lost timer): the leader's sweep finds the schedule due and runs
    it."""
    request_id = await scheduled(world, 7200)
    world.schedule.alarms.clear()
    world.clock.now = (await row(world, request_id)).run_at + 30  # type: ignore[operator]
    await world.service.sweep()
    assert len(world.cloud.stop_calls) == 1


async def test_a_due_stop_that_cannot_be_checked_is_retried_not_lost(world: World) -> None:
    """The server lookup fails at the time: nothing is sent, the alarm rings again soon, and
    the next ring runs it."""
    from bot.bms.errors import CloudUnavailable

    request_id = await scheduled(world, 7200)
    real = world.cloud.find_servers

    async def down(ids):
        raise CloudUnavailable("gateway timeout", http_status=504)

    world.cloud.find_servers = down  # type: ignore[method-assign]
    await at_time(world, request_id)
    assert world.cloud.stop_calls == []
    assert world.schedule.alarms[request_id] == world.clock.now + 30
    world.cloud.find_servers = real  # type: ignore[method-assign]
    world.clock.advance(30)
    await world.service.wake(request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_an_approved_schedule_is_announced_not_stopped(world: World) -> None:
    """Where the policy wants approval: the click asks, the approval schedules, the approval
    request becomes the announcement, and nothing stops before the time."""
    world.service = service_for(world, Policy.model_validate(APPROVAL_POLICY))
    request_id = await scheduled(world, 7200)
    assert (await row(world, request_id)).state is RequestState.AWAITING_APPROVAL
    await world.service.approve(request_id, BOB)
    req = await row(world, request_id)
    assert req.state is RequestState.SCHEDULED
    assert "Approved by <@U0BOB0001>" in world.poster.calls("update")[-1].text
    assert world.cloud.stop_calls == []
    await at_time(world, request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_scheduled_previews_cannot_be_confirmed_as_immediate(world: World) -> None:
    """The store's guard: a scheduled preview never becomes CONFIRMED by a click."""
    request_id = await scheduled(world, 7200)
    await world.store.schedules.unannounce(request_id, world.clock())
    record = await world.store.requests.confirm(request_id, ALICE.user_id, world.clock(), [["x"]])
    assert record is None


async def test_the_preview_cancel_cannot_cancel_a_schedule_behind_its_back(world: World) -> None:
    """The preview's Cancel (the store's requester cancel) never ends a scheduled stop: only
    the schedule's own Cancel does, which tells the announcement and the thread."""
    request_id = await scheduled(world, 7200)
    assert not await world.store.requests.cancel(request_id, ALICE.user_id, world.clock())
    assert (await row(world, request_id)).state is RequestState.SCHEDULED


async def test_a_crash_between_the_start_and_the_stop_call_sends_it_once(world: World) -> None:
    """Started (CONFIRMED with its chunks) and killed before the POST: the next start sends the
    stop once, in the announcement's thread."""
    request_id = await scheduled(world, 7200)
    req = await row(world, request_id)
    world.clock.now = req.run_at  # type: ignore[assignment]
    ids = [[t.id for t in req.targets]]
    assert await world.store.requests.confirm(
        request_id, ALICE.user_id, world.clock(), ids, by=Start.SCHEDULE
    )
    restarted = service_for(world)
    await restarted.resume_all()
    if world.store.shared:  # a fresh confirmation may be a live replica's: wait out its window
        assert world.cloud.stop_calls == []
        world.clock.advance(restarted.timing.stale_claim + 1)
        await restarted.sweep()
    assert len(world.cloud.stop_calls) == 1
    assert (await row(world, request_id)).state is RequestState.SUBMITTED
    await restarted.resume_all()
    await restarted.wake(request_id)
    assert len(world.cloud.stop_calls) == 1


async def test_a_restart_after_the_stop_ran_does_nothing_again(world: World) -> None:
    """Once a scheduled stop has run, restarts and late alarms never run it again."""
    request_id = await scheduled(world, 7200)
    await at_time(world, request_id)
    world.cloud.finish(next(iter(world.cloud.jobs)))
    await world.service.tick(request_id)
    assert (await row(world, request_id)).state is RequestState.FINISHED
    restarted = service_for(world)
    await restarted.resume_all()
    await restarted.wake(request_id)
    await restarted.sweep()
    await restarted.housekeeping()
    assert len(world.cloud.stop_calls) == 1


async def test_a_change_before_the_announcement_is_recorded_is_refused_not_silent(
    world: World,
) -> None:
    """Scheduled but its announcement not yet recorded (Slack slow to answer): a Cancel or
    Postpone is told to try again in a moment and changes nothing, instead of changing a
    schedule whose announcement would never show it."""
    servers = world.cloud.add(1)
    await world.service.preview(StopCommand((servers[0].id,), False, None, when=After(7200)), ALICE)
    [req] = await world.store.requests.in_states([RequestState.PREVIEWED])
    assert await world.store.schedules.schedule(req.id, ALICE.user_id, world.clock(), [])
    await world.service.cancel_schedule(req.id, ALICE)
    assert await world.service.postpone(req.id, ALICE, After(3600)) is None
    assert (await row(world, req.id)).state is RequestState.SCHEDULED
    told = [s for s in world.poster.calls("respond") if "still being posted" in s.text]
    assert len(told) == 2


async def test_a_lost_reminder_alarm_is_rung_by_the_sweep(world: World) -> None:
    """A reminder whose alarm never rang: the sweep posts it, before the time."""
    request_id = await scheduled(world, 7200)
    world.schedule.alarms.clear()
    run_at = (await row(world, request_id)).run_at
    assert run_at is not None
    world.clock.now = run_at - 3600 + 20
    await world.service.sweep()
    assert len([s for s in world.poster.calls("post") if "⏰" in s.text]) == 1
    assert world.cloud.stop_calls == []


async def test_someone_the_policy_refuses_hears_the_refusal_not_time_advice(world: World) -> None:
    """Bob, whom no grant lets in, asks for a stop at a past time: he hears the policy's
    refusal, not how to pick a better time."""
    policy = Policy.model_validate(
        {"grant": [{"name": "ops", "requesters": [ALICE.user_id], "channels": ["*"]}]}
    )
    world.service = service_for(world, policy)
    [server] = world.cloud.add(1)
    await world.service.preview(
        StopCommand((server.id,), False, None, when=parse_when("at", ["07:00"])), BOB
    )
    said = world.poster.texts("respond")
    assert "Nothing was scheduled" not in said
    assert "grant" in said.lower() or "allowed" in said.lower(), said
