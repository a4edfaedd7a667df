"""Two-person approval in the stop service: expiry by housekeeping, recovery after a crash between
the approval and its confirmation, and the audit entries written with each change."""

from __future__ import annotations

import pytest
from conftest import ALICE, BOB, TIMING, World
from twins import TwinCloud, TwinPeople, TwinPoster, TwinSchedule

from bot.core.audit import AuditKind
from bot.core.lifecycle import RequestState
from bot.core.parser import StopCommand
from bot.policy.model import Policy
from bot.policy.people import GroupIndex
from bot.stops.service import StopService
from bot.store import Store
from tests.support.clock import ManualClock

LEADS = "S0LEADS01"
POLICY = {
    "defaults": {"approval_ttl": "30m"},
    "grant": [
        {
            "name": "oncall",
            "requesters": [ALICE.user_id],
            "channels": ["*"],
            "approval": "always",
            "approvers": ["@leads"],
        }
    ],
}


@pytest.fixture
async def world(engine) -> World:
    store, cloud, poster = Store(engine), TwinCloud(), TwinPoster()
    schedule, clock = TwinSchedule(), ManualClock()
    people = TwinPeople(
        groups=GroupIndex({"leads": LEADS}, {LEADS: frozenset({BOB.user_id})}, True)
    )
    policy = Policy.model_validate(POLICY)
    service = StopService(cloud, store, poster, schedule, TIMING, people, policy=policy, now=clock)
    return World(service, store, cloud, poster, schedule, clock)


async def asked(world: World) -> str:
    """Alice previews two servers and clicks: the approval is asked for."""
    servers = world.cloud.add(2)
    await world.service.preview(StopCommand(tuple(s.id for s in servers), False, None), ALICE)
    [row] = await world.store.requests.in_states([RequestState.PREVIEWED])
    await world.service.confirm(row.id, ALICE)
    assert await world.state(row.id) is RequestState.AWAITING_APPROVAL
    return row.id


async def kinds(world: World, request_id: str) -> list[AuditKind]:
    return [e.event.kind for e in await world.store.audit.for_request(request_id)]


async def test_housekeeping_expires_an_unanswered_approval_and_says_so(world: World) -> None:
    """Past approval_ttl, housekeeping moves it to APPROVAL_EXPIRED, edits the root, tells
    the thread, and the audit has the expiry; nothing was sent."""
    request_id = await asked(world)
    world.clock.advance(31 * 60)
    await world.service.housekeeping()
    assert await world.state(request_id) is RequestState.APPROVAL_EXPIRED
    assert any("expired" in s.text for s in world.poster.said if s.call == "post")
    assert any("approval expired" in s.text for s in world.poster.said if s.call == "update")
    assert world.cloud.stop_calls == []
    assert (await kinds(world, request_id))[-1] is AuditKind.APPROVAL_EXPIRED


async def test_an_approval_interrupted_before_its_confirmation_is_carried_out(
    world: World,
) -> None:
    """A crash right after APPROVED: the next start confirms it and sends exactly one stop."""
    request_id = await asked(world)
    now = world.clock()
    assert await world.store.requests.decide(
        request_id, RequestState.APPROVED, BOB.user_id, now, None
    )
    await world.service.resume_all()
    await world.service.resume_all()
    assert len(world.cloud.stop_calls) == 1
    assert await world.state(request_id) is RequestState.SUBMITTED


async def test_the_stop_call_is_audited_with_huaweis_request_id(world: World) -> None:
    """The submitted entry carries the job id and the request id of the accepted call."""
    request_id = await asked(world)
    await world.service.approve(request_id, BOB)
    [submitted] = [
        e
        for e in await world.store.audit.for_request(request_id)
        if e.event.kind is AuditKind.SUBMITTED
    ]
    assert submitted.event.job_ids == ("job-0",)
    assert submitted.event.cloud_request_ids == ("req-1",)
    assert await kinds(world, request_id) == [
        AuditKind.REQUESTED,
        AuditKind.APPROVAL_REQUESTED,
        AuditKind.APPROVED,
        AuditKind.SUBMITTED,
    ]


async def test_an_unconfirmed_preview_expires_into_the_audit(world: World) -> None:
    """Housekeeping expires an unanswered preview and writes the expiry to the audit."""
    servers = world.cloud.add(1)
    await world.service.preview(StopCommand((servers[0].id,), False, None), ALICE)
    [row] = await world.store.requests.in_states([RequestState.PREVIEWED])
    world.clock.advance(TIMING.confirm_ttl + 1)
    await world.service.housekeeping()
    assert await world.state(row.id) is RequestState.EXPIRED
    assert await kinds(world, row.id) == [AuditKind.REQUESTED, AuditKind.EXPIRED]
