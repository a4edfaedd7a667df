"""Steps the scheduled-stop tests share: preview and schedule a stop, read its row, ring its
alarm at its time, find what was posted. Imported by the test modules here; not a test module."""

from __future__ import annotations

from conftest import ALICE, BOB, World

from bot.core.lifecycle import RequestState
from bot.core.parser import StopCommand
from bot.core.when import After
from bot.slack.place import Place
from bot.store import RequestRow

# Alice asks, Bob must approve every stop.
APPROVAL_POLICY = {
    "grant": [
        {
            "name": "ops",
            "requesters": [ALICE.user_id],
            "channels": ["*"],
            "approval": "always",
            "approvers": [BOB.user_id],
        }
    ]
}


async def previewed(
    world: World, seconds: float = 7200, count: int = 2, place: Place = ALICE
) -> str:
    """A preview of a stop of ``count`` fresh servers ``seconds`` from now; its id."""
    servers = world.cloud.add(count)
    command = StopCommand(tuple(s.id for s in servers), False, "window", when=After(seconds))
    await world.service.preview(command, place)
    [req] = await world.store.requests.in_states([RequestState.PREVIEWED])
    return req.id


async def scheduled(
    world: World, seconds: float = 7200, count: int = 2, place: Place = ALICE
) -> str:
    """The same, with its Schedule button clicked by ``place``'s person."""
    request_id = await previewed(world, seconds, count, place)
    await world.service.confirm(request_id, place)
    return request_id


async def row(world: World, request_id: str) -> RequestRow:
    found = await world.store.requests.get(request_id)
    assert found is not None
    return found


async def at_time(world: World, request_id: str, late: float = 0) -> None:
    """Move the clock to the schedule's time (plus ``late``) and ring its alarm."""
    run_at = (await row(world, request_id)).run_at
    assert run_at is not None
    world.clock.now = run_at + late
    await world.service.wake(request_id)


def posts(world: World, needle: str) -> list[str]:
    """The text of every post that says ``needle``."""
    return [s.text for s in world.poster.calls("post") if needle in s.text]
