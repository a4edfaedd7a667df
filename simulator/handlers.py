"""The BMS service's routes: list and show servers, batch power actions, job status.

Each handler reads the simulator's state as of its clock and raises ``SimError`` with the code the
BMS API uses. The list API's ``name`` filter is a substring match (Huawei's exact behaviour is
unconfirmed; clients must filter again); ``status``, ``flavor``, ``tags`` and
``enterprise_project_id`` filter exactly; other query parameters are ignored. Servers list in
creation order. An unknown job id answers 404 with a BMS-shaped ``BMS.0040`` error (Huawei's code
for a missing job is unconfirmed; a 404 is what clients can rely on).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from simulator.actions import parse_action
from simulator.gateway import SIM_KEY
from simulator.responses import SimError, bad_parameter
from simulator.servers import STATUSES, SYSTEM_TAG, SimServer

DEFAULT_LIMIT, MAX_LIMIT = 25, 1000


def _int_query(query: Mapping[str, str], name: str, default: int, high: int | None = None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_parameter(f"Invalid parameter {name}={raw!r}: an integer is required.") from None
    if value < 1 or (high is not None and value > high):
        bound = f"1 to {high}" if high else "at least 1"
        raise bad_parameter(f"Invalid parameter {name}={value}: must be {bound}.")
    return value


def _matches(server: SimServer, query: Mapping[str, str]) -> bool:
    eps = query.get("enterprise_project_id")
    return (
        query.get("name", "") in server.name
        and query.get("status", server.status) == server.status
        and query.get("flavor", server.flavor_id) == server.flavor_id
        and query.get("tags", SYSTEM_TAG) in (SYSTEM_TAG, *server.tags)
        and eps in (None, "all_granted_eps", server.enterprise_project_id)
    )


async def list_servers(request: web.Request) -> web.Response:
    """``GET /v1/{project_id}/baremetalservers/detail``: ``offset`` is a page number from 1."""
    sim = request.app[SIM_KEY]
    query = request.query
    limit = _int_query(query, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    page = _int_query(query, "offset", 1)
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise bad_parameter(f"Invalid parameter status={status!r}.")
    found = [s for s in sim.servers.values() if _matches(s, query)]
    shown = found[(page - 1) * limit : page * limit]
    return web.json_response(
        {"count": len(found), "servers": [s.to_json(sim.project_id) for s in shown]}
    )


async def show_server(request: web.Request) -> web.Response:
    """``GET /v1/{project_id}/baremetalservers/{server_id}``."""
    sim = request.app[SIM_KEY]
    server_id = request.match_info["server_id"]
    server = sim.servers.get(server_id)
    if server is None:
        raise SimError(
            sim.missing_server_status, "BMS.0040", f"The server {server_id} does not exist."
        )
    return web.json_response({"server": server.to_json(sim.project_id)})


async def server_action(request: web.Request) -> web.Response:
    """``POST /v1/{project_id}/baremetalservers/action``: only ``os-stop`` is simulated."""
    sim = request.app[SIM_KEY]
    action = parse_action(await request.read())
    if action.action != "stop":
        raise bad_parameter(f"The {action.action} action is not supported by the simulator.")
    servers = sim.servers
    missing = [i for i in action.server_ids if i not in servers]
    if missing:
        raise SimError(400, "BMS.0040", f"The servers {', '.join(missing)} do not exist.")
    job = sim.submit_stop(action.server_ids)
    return web.json_response({"job_id": job.job_id})


async def show_job(request: web.Request) -> web.Response:
    """``GET /v1/{project_id}/jobs/{job_id}``."""
    sim = request.app[SIM_KEY]
    job_id = request.match_info["job_id"]
    job = sim.jobs.get(job_id)
    if job is None:
        raise SimError(404, "BMS.0040", f"The job {job_id} does not exist.")
    return web.json_response(job.to_json())
