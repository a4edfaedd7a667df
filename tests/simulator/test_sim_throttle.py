"""Per-minute limits at the simulated gateway."""

from __future__ import annotations

import httpx
import pytest
from sim_support import ACTION, AK, DETAIL, JOBS, PROJECT, SERVERS, SK, FakeClock, stop_body

from bot.bms.signing import AkSkAuth
from simulator import Simulator, start_simulator
from simulator.throttle import DEFAULT_LIMITS, Throttle


def test_default_limits_follow_the_reference() -> None:
    """Uses the documented limits: 50 per action, 500 lists, 1000 shows, 2000 job queries."""
    assert DEFAULT_LIMITS == {
        "stop": 50,
        "start": 50,
        "reboot": 50,
        "list": 500,
        "server": 1000,
        "job": 2000,
    }


def test_window_slides_over_sixty_seconds() -> None:
    """Allows a request again once the oldest one is sixty seconds old."""
    clock = FakeClock()
    throttle = Throttle(clock, {"list": 2})
    assert throttle.allow("list")
    clock.advance(30)
    assert throttle.allow("list")
    assert not throttle.allow("list")
    clock.advance(30)
    assert throttle.allow("list")
    assert not throttle.allow("list")


def test_unknown_limit_names_are_rejected() -> None:
    """Refuses to configure a limit for an API it does not throttle."""
    with pytest.raises(ValueError, match="lists"):
        Throttle(FakeClock(), {"lists": 1})


async def test_over_the_limit_is_429_apigw_0308(clock: FakeClock) -> None:
    """Answers 429 APIGW.0308 once an API's limit is used up, sparing the other APIs."""
    sim = Simulator(PROJECT, AK, SK, clock=clock, limits={"stop": 2, "list": 1})
    servers = sim.seed(3)
    running = await start_simulator(sim)
    try:
        async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, SK)) as http:
            codes = [(await http.post(ACTION, json=stop_body(s.id))).status_code for s in servers]
            throttled = await http.post(ACTION, json=stop_body(servers[0].id))
            assert (await http.get(DETAIL)).status_code == 200
            assert (await http.get(DETAIL)).status_code == 429
            assert (await http.get(f"{SERVERS}/{servers[0].id}")).status_code == 200
            assert (await http.get(f"{JOBS}/{'0' * 32}")).status_code == 404
            clock.advance(60)
            assert (await http.get(DETAIL)).status_code == 200
    finally:
        await running.close()
    assert codes == [200, 200, 429]
    body = throttled.json()
    assert throttled.status_code == 429
    assert body["error_code"] == "APIGW.0308"
    assert body["error_msg"].startswith("The throttling threshold has been reached")
    assert body["request_id"] == throttled.headers["X-Request-Id"]
    assert len(sim.stop_calls) == 2


async def test_throttled_stop_is_not_submitted(clock: FakeClock) -> None:
    """Creates no job for a throttled stop."""
    sim = Simulator(PROJECT, AK, SK, clock=clock, limits={"stop": 0})
    (server,) = sim.seed(1)
    running = await start_simulator(sim)
    try:
        async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, SK)) as http:
            response = await http.post(ACTION, json=stop_body(server.id))
    finally:
        await running.close()
    assert response.status_code == 429
    assert sim.jobs == {}
    assert sim.stop_calls == []
