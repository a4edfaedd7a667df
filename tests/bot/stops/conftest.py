"""A stop service on a real store with twins for the cloud, Slack and the schedule."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from twins import TwinCloud, TwinPeople, TwinPoster, TwinSchedule

from bot.core.clock import Timing
from bot.core.lifecycle import RequestState
from bot.core.parser import StopCommand
from bot.slack.place import Place
from bot.stops.service import StopService
from bot.store import Store
from tests.support.clock import ManualClock

ALICE = Place("T1", "C1", "U0ALICE01", "command", None, "https://hooks.slack.com/commands/T1/1/a")
BOB = Place("T1", "C1", "U0BOB0001", "command", None, "https://hooks.slack.com/commands/T1/2/b")
TIMING = Timing(confirm_ttl=600, job_timeout=1800, stale_claim=40)


@dataclass
class World:
    service: StopService
    store: Store
    cloud: TwinCloud
    poster: TwinPoster
    schedule: TwinSchedule
    clock: ManualClock

    async def preview(self, count: int = 2, place: Place = ALICE) -> str:
        """Preview a stop of ``count`` fresh servers; the request id on its button."""
        servers = self.cloud.add(count)
        await self.service.preview(StopCommand(tuple(s.id for s in servers), False, None), place)
        [row] = await self.store.requests.in_states([RequestState.PREVIEWED])
        return row.id

    async def state(self, request_id: str) -> RequestState:
        row = await self.store.requests.get(request_id)
        assert row is not None
        return row.state


@pytest.fixture
async def world(engine) -> World:
    store, cloud, poster = Store(engine), TwinCloud(), TwinPoster()
    schedule, clock = TwinSchedule(), ManualClock()
    service = StopService(cloud, store, poster, schedule, TIMING, TwinPeople(), now=clock)
    return World(service, store, cloud, poster, schedule, clock)
