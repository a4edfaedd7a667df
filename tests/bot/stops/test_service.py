"""The stop service's life cycle, step by step, without a bot process or HTTP: a real store,
twins for the cloud, Slack and the schedule."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from conftest import ALICE, BOB, TIMING, World
from twins import TwinPeople

from bot.bms.errors import CloudNotFound, CloudRejected, CloudUnavailable
from bot.core.lifecycle import ChunkState, RequestState
from bot.core.parser import StopCommand
from bot.ids import MetadataEvent
from bot.rates import spacing
from bot.slack.poster import NotInChannel, SlackFailure
from bot.store import Store


async def test_preview_stores_only_what_can_stop(world: World) -> None:
    """Stopped and unknown ids are listed and left out; the request keeps only the targets."""
    [running] = world.cloud.add(1)
    [stopped] = world.cloud.add(1, status="SHUTOFF")
    unknown = "ffffffff-0000-4000-8000-000000000000"
    await world.service.preview(StopCommand((running.id, stopped.id, unknown), False, None), ALICE)
    [row] = await world.store.requests.in_states([RequestState.PREVIEWED])
    assert [t.id for t in row.targets] == [running.id]
    assert {s.id for s in row.skipped} == {stopped.id, unknown}
    [shown] = world.poster.calls("respond")
    assert "bms_stop_confirm" in shown.text


async def test_preview_lookup_failure_is_told(world: World) -> None:
    """A failing lookup stores nothing and tells the person what happened."""

    async def broken(ids):
        raise CloudUnavailable("gateway timeout", http_status=504)

    world.cloud.find_servers = broken  # type: ignore[method-assign]
    await world.service.preview(StopCommand(("a",), False, None), ALICE)
    assert await world.store.requests.in_states([RequestState.PREVIEWED]) == []
    assert "looking up the servers" in world.poster.texts("respond")


async def test_confirm_posts_root_then_stops_once_and_watches(world: World) -> None:
    """The winning click: root first, one stop call, SUBMITTED, polling scheduled, jobs said."""
    request_id = await world.preview(2)
    await world.service.confirm(request_id, ALICE)
    assert len(world.cloud.stop_calls) == 1
    assert await world.state(request_id) is RequestState.SUBMITTED
    assert world.schedule.watched == {request_id: None}
    root, jobs = world.poster.calls("post")[:2]
    assert root.thread_ts is None
    assert jobs.thread_ts is not None
    assert "job-0" in jobs.text
    assert "follow the thread" in world.poster.texts("respond")


async def test_second_click_is_told_and_sends_nothing(world: World) -> None:
    """A replayed click loses: nothing is sent again and the clicker is told."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    await world.service.confirm(request_id, ALICE)
    assert len(world.cloud.stop_calls) == 1
    assert "already confirmed" in world.poster.calls("respond")[-1].text


async def test_someone_else_cannot_confirm_or_cancel(world: World) -> None:
    """Only the requester's clicks act; others are told whose stop it is."""
    request_id = await world.preview()
    await world.service.confirm(request_id, BOB)
    await world.service.cancel(request_id, BOB)
    assert world.cloud.stop_calls == []
    assert await world.state(request_id) is RequestState.PREVIEWED
    told = [s for s in world.poster.calls("respond") if "Only <@U0ALICE01> can confirm" in s.text]
    assert len(told) == 2


async def test_click_after_expiry_expires_the_request(world: World) -> None:
    """A click past the confirmation window moves the request to EXPIRED and says so."""
    request_id = await world.preview()
    world.clock.advance(601)
    await world.service.confirm(request_id, ALICE)
    assert await world.state(request_id) is RequestState.EXPIRED
    assert world.cloud.stop_calls == []
    assert "expired" in world.poster.calls("respond")[-1].text


async def test_cancel_then_confirm_stops_nothing(world: World) -> None:
    """A cancelled request can never be confirmed."""
    request_id = await world.preview()
    await world.service.cancel(request_id, ALICE)
    await world.service.confirm(request_id, ALICE)
    assert await world.state(request_id) is RequestState.CANCELLED
    assert world.cloud.stop_calls == []


async def test_refused_root_puts_the_request_back(world: World) -> None:
    """No root, no stop: the request is previewed again and the person told to invite the bot."""
    request_id = await world.preview()
    world.poster.fail_posts.append(NotInChannel("not_in_channel"))
    await world.service.confirm(request_id, ALICE)
    assert world.cloud.stop_calls == []
    assert await world.state(request_id) is RequestState.PREVIEWED
    assert "/invite @bms-bot" in world.poster.calls("respond")[-1].text


async def test_a_tick_reports_every_server_and_finishes(world: World) -> None:
    """Once the job ends: per-server report, final root edit, FINISHED, and polling stops."""
    request_id = await world.preview(3)
    await world.service.confirm(request_id, ALICE)
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.SUBMITTED
    failed = world.cloud.jobs["job-0"].sub_jobs[1].server_id
    world.cloud.finish("job-0", failed=[failed])
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED
    assert world.schedule.watched == {}
    report = world.poster.calls("post")[-1]
    assert "BMS.0037" in report.text
    assert is_result_part(report)
    assert "2 stopped, 1 failed" in world.poster.calls("update")[-1].text


async def test_failing_polls_warn_once(world: World) -> None:
    """Three failed polls in a row say so in the thread once; polling goes on."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    world.cloud.job_errors = [CloudUnavailable("boom", http_status=500)] * 4
    for _ in range(4):
        await world.service.tick(request_id)
    warned = [
        s for s in world.poster.calls("post") if "keep trying until the job timeout" in s.text
    ]
    assert len(warned) == 1
    assert request_id in world.schedule.watched


async def test_job_timeout_stops_watching_and_reports(world: World) -> None:
    """Past the job timeout: TIMED_OUT, the job named, what is known reported."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    world.clock.advance(1801)
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.TIMED_OUT
    assert world.schedule.watched == {}
    thread = world.poster.texts("post")
    assert "Still running after 30 minutes" in thread
    assert "still pending" in thread


async def test_refused_stop_is_said_and_reported_at_once(world: World) -> None:
    """Huawei refusing the call: REJECTED, said in the thread, the report comes at the next tick."""
    request_id = await world.preview()
    world.cloud.stop_error = CloudRejected("no permission", code="BMS.0004", http_status=403)
    await world.service.confirm(request_id, ALICE)
    assert world.schedule.watched == {request_id: 0}
    record = await world.store.load(request_id)
    assert record is not None
    assert [c.state for c in record.chunks] == [ChunkState.REJECTED]
    assert "BMS.0004" in world.poster.texts("post")
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED


async def test_unanswered_stop_is_uncertain_never_resent(world: World) -> None:
    """A stop whose answer never came is UNCERTAIN: said plainly, and not sent again."""
    request_id = await world.preview()
    world.cloud.stop_error = CloudUnavailable("read timeout", maybe_sent=True)
    await world.service.confirm(request_id, ALICE)
    await world.service.tick(request_id)
    assert len(world.cloud.stop_calls) == 1
    assert "may or may not have been accepted" in world.poster.texts("post")


async def test_a_lost_answer_is_judged_from_the_servers_accepted(world: World) -> None:
    """The servers went SHUTOFF although the answer was lost: accepted after all, said so, and
    each server reported stopped."""
    request_id = await world.preview(2)
    world.cloud.stop_error = CloudUnavailable("read timeout", maybe_sent=True)
    world.cloud.lose_answer = True
    await world.service.confirm(request_id, ALICE)
    await world.service.tick(request_id)
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED
    assert len(world.cloud.stop_calls) == 1
    assert "did take the stop of 2 servers after all" in world.poster.texts("post")
    assert "Done: all 2 servers stopped" in world.poster.calls("update")[-1].text


async def test_a_lost_answer_of_a_stop_never_acted_on_offers_submit_again(world: World) -> None:
    """Nothing changed within the wait: nothing was stopped, the thread says so, and the
    requester gets a single-use Submit again that goes through the usual confirm."""
    request_id = await world.preview(2)
    world.cloud.stop_error = CloudUnavailable("read timeout", maybe_sent=True)
    await world.service.confirm(request_id, ALICE)
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.SUBMITTED  # still waiting
    world.clock.advance(world.service.timing.reconcile_window + 1)
    await world.service.tick(request_id)
    record = await world.store.load(request_id)
    assert record is not None
    assert [c.state for c in record.chunks] == [ChunkState.REJECTED]
    assert "did not take the stop of 2 servers" in world.poster.texts("post")
    offer = world.poster.calls("respond")[-1]
    assert "Submit again" in offer.text
    [again] = await world.store.requests.in_states([RequestState.PREVIEWED])
    world.cloud.stop_error = None
    await world.service.confirm(again.id, ALICE)
    await world.service.confirm(again.id, ALICE)
    assert len(world.cloud.stop_calls) == 2
    assert await world.state(again.id) is RequestState.SUBMITTED


async def test_a_job_huawei_forgot_is_reported_from_the_servers(world: World) -> None:
    """Three "not found" answers in a row: the thread hears it, polling the job stops, and each
    server is reported from its own state."""
    request_id = await world.preview(2)
    await world.service.confirm(request_id, ALICE)
    world.cloud.job_errors = [CloudNotFound("no such job", http_status=404)] * 3
    for _ in range(3):
        await world.service.tick(request_id)
    record = await world.store.load(request_id)
    assert record is not None
    assert [c.state for c in record.chunks] == [ChunkState.LOST]
    assert "no longer knows job" in world.poster.texts("post")
    world.cloud.power_off(record.chunks[0].server_ids)
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED
    assert "Done: all 2 servers stopped" in world.poster.calls("update")[-1].text


async def claimed(world: World, owner: str, lease: float) -> str:
    """A confirmed request with its root, its one call claimed by ``owner``: its id."""
    request_id = await world.preview()
    row = await world.store.requests.get(request_id)
    assert row is not None
    ids = [[t.id for t in row.targets]]
    record = await world.store.requests.confirm(request_id, ALICE.user_id, world.clock(), ids)
    assert record is not None
    await world.store.requests.record_root(request_id, "1.000001", "1.000001", world.clock())
    assert await world.store.chunks.claim(record.chunks[0], world.clock(), owner=owner, lease=lease)
    return request_id


async def test_resume_at_start_never_resends_a_claimed_call(world: World) -> None:
    """A call claimed when the bot died is uncertain after a restart, and not sent again."""
    request_id = await claimed(world, "r1", 60)  # then the bot died
    await world.service.resume_all()
    assert world.cloud.stop_calls == []
    if world.store.shared:  # another replica may be the live claimer: wait out its lease
        assert await world.state(request_id) is RequestState.CONFIRMED
        world.clock.advance(61)
        await world.service.resume(request_id)
        assert world.cloud.stop_calls == []
    assert await world.state(request_id) is RequestState.SUBMITTED
    assert "may or may not have been accepted" in world.poster.texts("post")


async def test_a_live_claim_is_left_to_its_replica_until_its_lease_ends(world: World) -> None:
    """While running, a claim whose lease is live is never settled as orphaned; after it, it is."""
    request_id = await claimed(world, "r2", 300)
    world.clock.advance(200)  # past the old fixed window, inside the claimer's lease
    await world.service.resume(request_id)
    assert await world.state(request_id) is RequestState.CONFIRMED
    world.clock.advance(101)
    await world.service.resume(request_id)
    assert await world.state(request_id) is RequestState.SUBMITTED
    assert world.cloud.stop_calls == []


async def test_old_confirmation_is_not_acted_on(world: World) -> None:
    """A confirmation older than its window, never sent, is not sent after a restart."""
    request_id = await world.preview()
    row = await world.store.requests.get(request_id)
    assert row is not None
    ids = [[t.id for t in row.targets]]
    assert await world.store.requests.confirm(request_id, ALICE.user_id, world.clock(), ids)
    world.clock.advance(601)
    await world.service.resume_all()
    assert world.cloud.stop_calls == []
    record = await world.store.load(request_id)
    assert record is not None
    assert record.chunks[0].error_code == "BOT.STALE"


async def test_housekeeping_expires_previews(world: World) -> None:
    """Unanswered previews expire in the minute's housekeeping."""
    request_id = await world.preview()
    world.clock.advance(601)
    await world.service.housekeeping()
    assert await world.state(request_id) is RequestState.EXPIRED


async def test_report_refused_for_good_is_told_privately(world: World) -> None:
    """A report Slack refuses for good goes to the requester privately, and the request ends."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    world.cloud.finish("job-0")
    world.poster.fail_posts.append(SlackFailure("is_archived", transient=False))
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED
    assert "could not post the results" in world.poster.calls("respond")[-1].text


async def test_report_refused_for_now_is_tried_again(world: World) -> None:
    """A passing Slack failure leaves the report for the next tick, which posts it once."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    world.cloud.finish("job-0")
    world.poster.fail_posts.append(SlackFailure("internal_error"))
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.REPORTING
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED
    parts = [s for s in world.poster.calls("post") if is_result_part(s)]
    assert len(parts) == 1


def is_result_part(said) -> bool:
    metadata = said.message.metadata or {}
    return metadata.get("event_type") == MetadataEvent.RESULT_PART


class CountingStore(Store):
    """Counts how often a request is read, by any door."""

    reads = 0

    async def load(self, request_id):
        CountingStore.reads += 1
        return await super().load(request_id)


@pytest.mark.parametrize("step", ["click", "tick"])
async def test_each_step_reads_the_request_once(world: World, step: str) -> None:
    """A click reads the request once (the confirmation hands back the rest); a tick loads once."""
    request_id = await world.preview()
    store = CountingStore(world.store.engine)
    gets = 0
    real_get = store.requests.get

    async def counted_get(rid):
        nonlocal gets
        gets += 1
        return await real_get(rid)

    store.requests.get = counted_get  # type: ignore[method-assign]
    service = type(world.service)(
        world.cloud,
        store,
        world.poster,
        world.schedule,
        world.service.timing,
        TwinPeople(),
        now=world.clock,
    )
    if step == "tick":
        await service.confirm(request_id, ALICE)
        CountingStore.reads, gets = 0, 0
        await service.tick(request_id)
    else:
        CountingStore.reads = 0
        await service.confirm(request_id, ALICE)
    assert CountingStore.reads + gets == 1


async def test_a_part_another_poster_marked_a_moment_ago_is_left_to_it(world: World) -> None:
    """Another replica marked the next report part as being posted and it is not in the thread
    yet: this tick leaves it; once the mark is old and the part still missing, it is posted once."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    world.cloud.finish("job-0")
    assert await world.store.requests.claim_part(request_id, 0, None, world.clock())
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.REPORTING
    assert [s for s in world.poster.calls("post") if is_result_part(s)] == []
    world.clock.advance(46)
    await world.service.tick(request_id)
    assert await world.state(request_id) is RequestState.FINISHED
    assert len([s for s in world.poster.calls("post") if is_result_part(s)]) == 1


async def test_the_sweep_leaves_a_queued_call_alone(world: World, caplog) -> None:
    """A stop call waiting for its paced turn (claimed, lease live) past the claim window: the
    leader's sweep neither settles nor resends it, and logs nothing about it."""
    request_id = await claimed(world, "r2", 900)
    world.clock.advance(200)
    with caplog.at_level(logging.INFO):
        await world.service.sweep()
        await world.service.sweep()
    assert await world.state(request_id) is RequestState.CONFIRMED
    assert world.cloud.stop_calls == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_long_job_is_polled_less_often(world: World) -> None:
    """A job running ten minutes is polled every thirty seconds, not every poll interval."""
    request_id = await world.preview()
    await world.service.confirm(request_id, ALICE)
    await world.service.tick(request_id)
    assert world.schedule.every[request_id] == 5
    world.clock.advance(600)
    await world.service.tick(request_id)
    assert world.schedule.every[request_id] == 30


async def test_many_jobs_in_flight_are_polled_no_faster_than_the_limit(world: World) -> None:
    """After a sweep counts the jobs in flight, each request's poll interval is at least one full
    round of their job queries within the job-query limit."""
    world.service.timing = dataclasses.replace(TIMING, job_queries_per_minute=60)
    ids = []
    for _ in range(8):
        ids.append(await world.preview(1))
        await world.service.confirm(ids[-1], ALICE)
    await world.service.sweep()
    await world.service.tick(ids[0])
    assert world.schedule.every[ids[0]] == pytest.approx(8 * spacing(60))
