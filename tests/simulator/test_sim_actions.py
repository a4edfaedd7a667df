"""Validation of the batch stop request, and what an accepted stop returns."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sim_support import ACTION, stop_body

from simulator import Simulator


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_stop_returns_a_job_id(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Accepts a stop with 200 and a 32-hex job id, and records the ids submitted."""
    a, b = sim.seed(2)
    response = await client.post(ACTION, json=stop_body(a.id, b.id))
    assert response.status_code == 200
    job_id = response.json()["job_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id)
    assert set(sim.jobs) == {job_id}
    assert sim.stop_calls == [[a.id, b.id]]


@pytest.mark.parametrize("kind", ["HARD", "SOFT"])
async def test_stop_types_hard_and_soft_are_accepted(
    client: httpx.AsyncClient, sim: Simulator, kind: str
) -> None:
    """Accepts both stop types the API has listed."""
    (server,) = sim.seed(1)
    assert (await client.post(ACTION, json=stop_body(server.id, kind=kind))).status_code == 200


async def test_unparsable_body_is_bms_0001(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Refuses a body that is not JSON with BMS.0001 and creates no job."""
    response = await client.post(
        ACTION, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert _code(response) == (400, "BMS.0001")
    assert sim.jobs == {}
    assert sim.stop_calls == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"os-stop": {"servers": [{"id": "x"}]}, "os-start": {"servers": [{"id": "x"}]}},
        {"os-halt": {"servers": [{"id": "x"}]}},
        {"os-stop": []},
        {"os-stop": {"servers": []}},
        {"os-stop": {}},
        {"os-stop": {"servers": [{"uuid": "x"}]}},
        {"os-stop": {"servers": ["x"]}},
        {"os-start": {"servers": [{"id": "x"}]}},
    ],
    ids=[
        "no-action",
        "two-actions",
        "unknown-action",
        "action-not-object",
        "no-servers",
        "servers-missing",
        "entry-without-id",
        "entry-not-object",
        "start-unsupported",
    ],
)
async def test_invalid_requests_are_bms_0018(
    client: httpx.AsyncClient, sim: Simulator, body: dict[str, Any]
) -> None:
    """Refuses a malformed action with 400 BMS.0018 and creates no job."""
    sim.add_server(id="x")
    assert _code(await client.post(ACTION, json=body)) == (400, "BMS.0018")
    assert sim.jobs == {}


async def test_duplicate_ids_are_refused(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Refuses the same server twice in one request (the stricter reading)."""
    (server,) = sim.seed(1)
    response = await client.post(ACTION, json=stop_body(server.id, server.id))
    assert _code(response) == (400, "BMS.0018")


async def test_unknown_type_is_bms_0022(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Refuses a stop type other than HARD or SOFT with BMS.0022."""
    (server,) = sim.seed(1)
    response = await client.post(ACTION, json=stop_body(server.id, kind="hard"))
    assert _code(response) == (400, "BMS.0022")


async def test_1001_servers_is_bms_0205(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Refuses more than 1000 servers in one call with BMS.0205, and accepts exactly 1000."""
    servers = sim.seed(1001)
    ids = [s.id for s in servers]
    assert _code(await client.post(ACTION, json=stop_body(*ids))) == (400, "BMS.0205")
    assert (await client.post(ACTION, json=stop_body(*ids[:1000]))).status_code == 200
    assert [len(call) for call in sim.stop_calls] == [1000]


async def test_unknown_server_refuses_the_whole_request(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    """Refuses a batch naming a missing server with BMS.0040, stopping none of the others."""
    (server,) = sim.seed(1)
    response = await client.post(ACTION, json=stop_body(server.id, "ghost-1"))
    assert _code(response) == (400, "BMS.0040")
    assert "ghost-1" in response.json()["error"]["message"]
    assert sim.jobs == {}
    assert sim.stop_calls == []
    assert sim.servers[server.id].task_state is None


async def test_body_over_12_mb_is_413(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Refuses a body over the gateway's 12 MB limit with a flat 413 APIGW.0201."""
    response = await client.post(ACTION, content=b" " * (12 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["error_code"] == "APIGW.0201"
    assert sim.jobs == {}
