"""Listing and showing servers, and the gateway's answers to unknown APIs."""

from __future__ import annotations

import re

import httpx
import pytest
from sim_support import AK, DETAIL, PROJECT, SERVERS, SK

from bot.bms.models import parse_server
from bot.bms.signing import AkSkAuth
from simulator import RunningSimulator, Simulator, start_simulator

SERVER_FIELDS = {
    "id",
    "name",
    "status",
    "OS-EXT-STS:task_state",
    "OS-EXT-STS:vm_state",
    "OS-EXT-STS:power_state",
    "tags",
    "metadata",
    "flavor",
    "locked",
    "enterprise_project_id",
    "addresses",
    "host_status",
}


async def test_list_defaults_to_25_per_page(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Returns the first 25 servers and the total count when no limit is given."""
    sim.seed(30)
    body = (await client.get(DETAIL)).json()
    assert body["count"] == 30
    assert [s["name"] for s in body["servers"]] == [f"web-{i:03d}" for i in range(1, 26)]


async def test_offset_is_a_page_number(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Treats offset as a page number from 1: pages are disjoint and the last is short."""
    sim.seed(7)
    pages = []
    for offset in (1, 2, 3, 4):
        response = await client.get(DETAIL, params={"limit": 3, "offset": offset})
        assert response.status_code == 200
        assert response.json()["count"] == 7
        pages.append([s["name"] for s in response.json()["servers"]])
    assert pages == [
        ["web-001", "web-002", "web-003"],
        ["web-004", "web-005", "web-006"],
        ["web-007"],
        [],
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "0"), ("limit", "1001"), ("limit", "ten"), ("offset", "0"), ("offset", "-1")],
)
async def test_out_of_range_paging_is_refused(
    client: httpx.AsyncClient, name: str, value: str
) -> None:
    """Refuses limit outside 1..1000 and offset below 1 with BMS.0018."""
    response = await client.get(DETAIL, params={name: value})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BMS.0018"


async def test_limit_1000_is_accepted(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Accepts the documented maximum page size."""
    sim.seed(1001)
    body = (await client.get(DETAIL, params={"limit": 1000})).json()
    assert (body["count"], len(body["servers"])) == (1001, 1000)


async def test_name_is_a_substring_filter(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Filters by name fuzzily, so a client asking for web-1 also gets web-10."""
    sim.add_server(name="web-1")
    sim.add_server(name="web-10")
    sim.add_server(name="db-1")
    body = (await client.get(DETAIL, params={"name": "web-1"})).json()
    assert [s["name"] for s in body["servers"]] == ["web-1", "web-10"]
    assert body["count"] == 2


async def test_status_filter(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Filters by exact status and refuses a status the API does not know."""
    sim.add_server(name="up")
    sim.add_server(name="down", status="SHUTOFF")
    body = (await client.get(DETAIL, params={"status": "SHUTOFF"})).json()
    assert [s["name"] for s in body["servers"]] == ["down"]
    refused = await client.get(DETAIL, params={"status": "shutoff"})
    assert refused.json()["error"]["code"] == "BMS.0018"


async def test_server_json_has_the_documented_fields(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    """Lists each server with the fields the bot relies on, typed as Huawei types them."""
    sim.add_server(name="db-1", status="SHUTOFF", tags=("env=prod",))
    (server,) = (await client.get(DETAIL)).json()["servers"]
    assert set(server) >= SERVER_FIELDS
    assert server["OS-EXT-STS:power_state"] == 4
    assert server["OS-EXT-STS:task_state"] is None
    assert server["tags"] == ["__type_baremetal", "env=prod"]
    assert (server["locked"], server["enterprise_project_id"]) == (False, "0")
    parsed = parse_server(server)
    assert parsed.is_stopped
    assert parsed.power_state == 4


async def test_show_server(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Shows one server under a "server" key."""
    (made,) = sim.seed(1)
    response = await client.get(f"{SERVERS}/{made.id}")
    assert response.status_code == 200
    body = response.json()["server"]
    assert (body["id"], body["name"], body["status"]) == (made.id, "web-001", "ACTIVE")
    assert body["OS-EXT-STS:power_state"] == 1


async def test_missing_server_is_404_by_default(client: httpx.AsyncClient) -> None:
    """Answers a missing server id with 404 and a BMS.0040 body."""
    response = await client.get(f"{SERVERS}/no-such-server")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "BMS.0040"
    assert "no-such-server" in response.json()["error"]["message"]


async def test_missing_server_can_be_400() -> None:
    """Answers a missing server id with 400 BMS.0040 when configured so."""
    sim = Simulator(PROJECT, AK, SK, missing_server_status=400)
    running = await start_simulator(sim)
    try:
        async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, SK)) as http:
            response = await http.get(f"{SERVERS}/no-such-server")
    finally:
        await running.close()
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "BMS.0040", "message": "The server no-such-server does not exist."}
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v2/nothing"), ("DELETE", DETAIL), ("POST", DETAIL), ("GET", "/"), ("HEAD", DETAIL)],
)
async def test_unknown_api_is_apigw_0101(client: httpx.AsyncClient, method: str, path: str) -> None:
    """Answers an unpublished path or method with the gateway's flat 404 APIGW.0101."""
    response = await client.request(method, path)
    assert response.status_code == 404
    if method != "HEAD":
        body = response.json()
        assert body["error_code"] == "APIGW.0101"
        assert body["request_id"] == response.headers["X-Request-Id"]


async def test_every_answer_has_a_request_id_and_json_type(
    client: httpx.AsyncClient, running: RunningSimulator, sim: Simulator
) -> None:
    """Stamps every answer, success or error, with a uuid4-hex X-Request-Id and JSON type."""
    async with httpx.AsyncClient(base_url=running.url) as unsigned:
        responses = [
            await client.get(DETAIL),
            await client.get(f"{SERVERS}/missing"),
            await client.get("/nowhere"),
            await unsigned.get(DETAIL),
        ]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(r.headers["Content-Type"].startswith("application/json") for r in responses)
    assert [(r.method, r.status) for r in sim.request_log] == [
        ("GET", 200),
        ("GET", 404),
        ("GET", 404),
        ("GET", 401),
    ]
    assert sim.request_log[0].path == DETAIL
