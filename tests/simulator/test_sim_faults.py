"""Fault injection: errors, lost answers and slow answers, on the next matching requests."""

from __future__ import annotations

import json

import httpx
import pytest
from sim_support import ACTION, DETAIL, JOBS, SERVERS, stop_body, token_body

from simulator import RunningSimulator, Simulator


async def test_bms_fault_uses_the_bms_shape(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Answers an injected BMS code with the nested error shape, then recovers."""
    (server,) = sim.seed(1)
    sim.faults.add("stop", 400, "BMS.0212", "System overloaded.")
    first = await client.post(ACTION, json=stop_body(server.id))
    assert first.status_code == 400
    assert first.json() == {"error": {"code": "BMS.0212", "message": "System overloaded."}}
    assert sim.stop_calls == []
    assert (await client.post(ACTION, json=stop_body(server.id))).status_code == 200
    assert len(sim.stop_calls) == 1


async def test_gateway_fault_uses_the_flat_shape(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Answers an injected APIGW code flat, with Retry-After when asked, for `times` requests."""
    sim.faults.add("list", 429, "APIGW.0308", "Throttled.", times=2, retry_after=1.5)
    responses = [await client.get(DETAIL) for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    body = responses[0].json()
    assert (body["error_code"], body["error_msg"]) == ("APIGW.0308", "Throttled.")
    assert body["request_id"] == responses[0].headers["X-Request-Id"]
    assert responses[0].headers["Retry-After"] == "1.5"


async def test_flat_overrides_the_shape(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Uses the shape `flat` asks for, whatever the code."""
    sim.faults.add("server", 502, "APIGW.0201", "Backend unavailable.", flat=False)
    response = await client.get(f"{SERVERS}/any")
    assert response.status_code == 502
    assert response.json() == {"error": {"code": "APIGW.0201", "message": "Backend unavailable."}}


async def test_fault_matches_only_its_kind(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Leaves other APIs alone and hits the first request of its own kind."""
    (server,) = sim.seed(1)
    sim.faults.add("job", 503, "BMS.0212", "Busy.", flat=True)
    assert (await client.get(DETAIL)).status_code == 200
    assert (await client.get(f"{SERVERS}/{server.id}")).status_code == 200
    job = await client.get(f"{JOBS}/{'0' * 32}")
    assert job.status_code == 503
    assert job.json()["error_code"] == "BMS.0212"
    assert sim.faults.pending == []


async def test_any_fault_hits_every_api(running: RunningSimulator, sim: Simulator) -> None:
    """Hits whichever API comes next, the IAM endpoint included."""
    sim.faults.add("any", 500, "APIGW.0201", "An unexpected error occurred")
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/v3/auth/tokens", json=token_body())
        assert response.status_code == 500
        assert (await http.post("/v3/auth/tokens", json=token_body())).status_code == 201


async def test_faults_are_not_spent_by_refused_requests(
    running: RunningSimulator, client: httpx.AsyncClient, sim: Simulator
) -> None:
    """Applies faults only to requests that passed authentication."""
    sim.faults.add("list", 503, "BMS.0212", "Busy.")
    async with httpx.AsyncClient(base_url=running.url) as unsigned:
        assert (await unsigned.get(DETAIL)).status_code == 401
    assert (await client.get(DETAIL)).status_code == 503


async def test_dropped_answer_after_the_stop_took_effect(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    """Closes the connection unanswered after accepting the stop: the client cannot know."""
    (server,) = sim.seed(1)
    sim.faults.add("stop", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(ACTION, json=stop_body(server.id))
    assert sim.stop_calls == [[server.id]]
    assert len(sim.jobs) == 1
    assert sim.request_log[-1].status == 0


async def test_delayed_answer_times_out_the_client(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    """Holds the answer back so the client times out, though the stop was accepted."""
    (server,) = sim.seed(1)
    sim.faults.add("stop", delay=30)
    with pytest.raises(httpx.ReadTimeout):
        await client.post(ACTION, json=stop_body(server.id), timeout=0.2)
    assert sim.stop_calls == [[server.id]]


async def test_delayed_error_is_still_an_error(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Delays an injected error without running the request."""
    (server,) = sim.seed(1)
    sim.faults.add("stop", 503, "BMS.0212", "Busy.", delay=0.05)
    response = await client.post(ACTION, json=stop_body(server.id))
    assert response.status_code == 503
    assert sim.stop_calls == []


def test_fault_arguments_are_checked(sim: Simulator) -> None:
    """Refuses faults that would do nothing or are half specified."""
    with pytest.raises(ValueError, match="status"):
        sim.faults.add("stop")
    with pytest.raises(ValueError, match="both"):
        sim.faults.add("stop", 503)
    with pytest.raises(ValueError, match="times"):
        sim.faults.add("stop", 503, "BMS.0212", times=0)


async def test_garbled_answer_after_the_stop_took_effect(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    """Answers 200 with a body that is not JSON after accepting the stop."""
    (server,) = sim.seed(1)
    sim.faults.add("stop", garble=True)
    response = await client.post(ACTION, json=stop_body(server.id))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert sim.stop_calls == [[server.id]]
