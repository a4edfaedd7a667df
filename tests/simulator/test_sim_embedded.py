"""The in-process simulator the bot starts when BMS_SIMULATOR=true."""

from __future__ import annotations

import httpx
from sim_support import stop_body

from simulator.embedded import EmbeddedSimulator


async def test_embedded_simulator_serves_its_own_credentials() -> None:
    """Seeds the servers asked for and accepts requests signed with its auth() only."""
    embedded = await EmbeddedSimulator.start(4)
    servers = f"/v1/{embedded.project_id}/baremetalservers"
    try:
        async with httpx.AsyncClient(base_url=embedded.base_url, auth=embedded.auth()) as http:
            listed = await http.get(f"{servers}/detail")
            first = listed.json()["servers"][0]["id"]
            stopped = await http.post(f"{servers}/action", json=stop_body(first))
        async with httpx.AsyncClient(base_url=embedded.base_url) as unsigned:
            refused = await unsigned.get(f"{servers}/detail")
    finally:
        await embedded.aclose()
    assert listed.json()["count"] == 4
    assert stopped.status_code == 200
    assert embedded.sim.stop_calls == [[first]]
    assert refused.status_code == 401


async def test_each_embedded_simulator_has_fresh_credentials() -> None:
    """Makes up new AK/SK per start, so one instance's signatures fail on another."""
    one = await EmbeddedSimulator.start(1)
    two = await EmbeddedSimulator.start(1)
    try:
        async with httpx.AsyncClient(base_url=two.base_url, auth=one.auth()) as http:
            response = await http.get(f"/v1/{two.project_id}/baremetalservers/detail")
    finally:
        await one.aclose()
        await two.aclose()
    assert response.status_code == 401
