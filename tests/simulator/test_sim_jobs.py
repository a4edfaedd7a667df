"""Job progression on the injected clock, and servers' states agreeing with it."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sim_support import ACTION, DETAIL, JOBS, SERVERS, FakeClock, stop_body

from bot.bms.models import parse_job
from simulator import Simulator

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def _stop(client: httpx.AsyncClient, *ids: str) -> str:
    response = await client.post(ACTION, json=stop_body(*ids))
    assert response.status_code == 200, response.text
    return str(response.json()["job_id"])


async def _job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await client.get(f"{JOBS}/{job_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def _server(client: httpx.AsyncClient, server_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{SERVERS}/{server_id}")).json()["server"]
    return body


async def test_job_goes_init_running_success(
    client: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    """Moves INIT → RUNNING → SUCCESS as the clock passes init_seconds and stop_seconds."""
    a, b = sim.seed(2)
    job_id = await _stop(client, a.id, b.id)

    clock.advance(0.1)
    init = await _job(client, job_id)
    assert (init["status"], init["entities"], init["end_time"]) == ("INIT", {}, None)
    assert init["job_type"] == "baremetalBatchOperate"
    assert ISO_MS.fullmatch(init["begin_time"])

    clock.advance(0.2)
    running = await _job(client, job_id)
    assert running["status"] == "RUNNING"
    assert running["entities"]["sub_jobs_total"] == 2
    subs = running["entities"]["sub_jobs"]
    assert [s["entities"]["server_id"] for s in subs] == [a.id, b.id]
    assert {s["status"] for s in subs} == {"RUNNING"}
    assert {s["job_type"] for s in subs} == {"baremetalSingleOperate"}

    clock.advance(1.0)
    done = await _job(client, job_id)
    assert (done["status"], done["error_code"], done["fail_reason"]) == ("SUCCESS", None, None)
    assert ISO_MS.fullmatch(done["end_time"])
    for sub in done["entities"]["sub_jobs"]:
        assert (sub["status"], sub["error_code"], sub["fail_reason"]) == ("SUCCESS", None, None)
        assert ISO_MS.fullmatch(sub["begin_time"])
        assert ISO_MS.fullmatch(sub["end_time"])
    parsed = parse_job(done)
    assert parsed.is_terminal
    assert {s.server_id for s in parsed.sub_jobs} == {a.id, b.id}


async def test_servers_agree_with_the_job_at_each_instant(
    client: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    """Shows ACTIVE, then ACTIVE + powering-off, then SHUTOFF, in both list and detail."""
    (server,) = sim.seed(1)
    await _stop(client, server.id)
    states = []
    for step in (0.0, 0.3, 1.0):
        clock.advance(step)
        one = await _server(client, server.id)
        (listed,) = (await client.get(DETAIL)).json()["servers"]
        assert one == listed
        states.append((one["status"], one["OS-EXT-STS:task_state"], one["OS-EXT-STS:power_state"]))
    assert states == [("ACTIVE", None, 1), ("ACTIVE", "powering-off", 1), ("SHUTOFF", None, 4)]


async def test_partly_failed_job_ends_fail_with_per_server_codes(
    client: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    """Ends FAIL when some servers fail, each failed sub-job carrying its own code."""
    ok = sim.add_server(name="ok")
    stopped = sim.add_server(name="stopped", status="SHUTOFF")
    busy = sim.add_server(name="busy", task_state="powering-off")
    broken = sim.add_server(name="broken", fail_code="BMS.0212", fail_reason="overloaded")
    job_id = await _stop(client, ok.id, stopped.id, busy.id, broken.id)
    clock.advance(5)
    job = await _job(client, job_id)
    by_server = {s["entities"]["server_id"]: s for s in job["entities"]["sub_jobs"]}
    outcome = {k: (v["status"], v["error_code"]) for k, v in by_server.items()}
    assert outcome == {
        ok.id: ("SUCCESS", None),
        stopped.id: ("FAIL", "BMS.0039"),
        busy.id: ("FAIL", "BMS.0036"),
        broken.id: ("FAIL", "BMS.0212"),
    }
    assert by_server[broken.id]["fail_reason"] == "overloaded"
    assert all(by_server[i]["fail_reason"] for i in (stopped.id, busy.id))
    assert (job["status"], job["error_code"]) == ("FAIL", "BMS.0039")
    assert job["fail_reason"]
    assert (await _server(client, broken.id))["status"] == "ACTIVE"
    assert (await _server(client, ok.id))["status"] == "SHUTOFF"


async def test_second_stop_of_a_stopping_server_fails(
    client: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    """Fails the later of two overlapping stops of one server with BMS.0036 (powering off)."""
    (server,) = sim.seed(1)
    first = await _stop(client, server.id)
    second = await _stop(client, server.id)
    clock.advance(5)
    assert (await _job(client, first))["status"] == "SUCCESS"
    later = await _job(client, second)
    assert later["status"] == "FAIL"
    assert later["entities"]["sub_jobs"][0]["error_code"] == "BMS.0036"
    assert sim.stop_calls == [[server.id], [server.id]]


async def test_per_server_stop_time(
    client: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    """Keeps a slow server powering off for its own stop_seconds while the others finish."""
    fast = sim.add_server(name="fast")
    slow = sim.add_server(name="slow", stop_seconds=30)
    job_id = await _stop(client, fast.id, slow.id)
    clock.advance(2)
    job = await _job(client, job_id)
    assert [s["status"] for s in job["entities"]["sub_jobs"]] == ["SUCCESS", "RUNNING"]
    assert job["status"] == "RUNNING"
    clock.advance(30)
    assert (await _job(client, job_id))["status"] == "SUCCESS"


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    """Answers an unknown job id with 404 and a BMS-shaped error."""
    response = await client.get(f"{JOBS}/{'0' * 32}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "BMS.0040"


async def test_server_removed_before_the_job_runs_fails_its_sub_job(
    client: httpx.AsyncClient, sim: Simulator, clock: FakeClock
) -> None:
    """Fails the sub-job of a server that vanished between submission and the job's start."""
    a, b = sim.seed(2)
    job_id = await _stop(client, a.id, b.id)
    del sim.servers[b.id]
    clock.advance(5)
    job = await _job(client, job_id)
    codes = [s["error_code"] for s in job["entities"]["sub_jobs"]]
    assert codes == [None, "BMS.0040"]
    assert job["status"] == "FAIL"


def test_a_sub_job_can_carry_its_reason_in_the_entities() -> None:
    """The simulator writes a failure's specific reason as entities.errorcode_message."""
    from simulator.jobs import SimSubJob

    sub = SimSubJob(server_id="s1", begin=0.0)
    sub.finish(1.0, "BMS.0037", None, "rebooting")
    body = sub.to_json()
    assert body["entities"] == {"server_id": "s1", "errorcode_message": "rebooting"}
    assert body["fail_reason"] is None
