"""The API gateway in front of the simulated services: request ids, auth, throttling and faults.

Every answer gets an ``X-Request-Id`` (uuid4 hex) and a line in ``Simulator.request_log``. Each API
route is wrapped by ``guarded``, which checks in the order a real gateway would: authentication
(AK/SK signature or IAM token: 401 APIGW.0301), then the project (the URL's must be the simulator's
and match ``X-Project-Id`` or the token's: 400 Common.0018, BMS-shaped, as the real shape is
unconfirmed), then the per-minute limit (429 APIGW.0308), then any injected fault.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.actions import action_kind
from simulator.auth import ReceivedRequest
from simulator.faults import Fault
from simulator.responses import REQUEST_ID_HEADER, SimError, no_such_api
from simulator.state import RequestRecord, Simulator
from simulator.throttle import THROTTLED_MESSAGE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SIM_KEY = web.AppKey("simulator", Simulator)
FAULT_KEY = web.RequestKey("simulator_fault", Fault)


@web.middleware
async def gateway_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render errors, stamp the request id, log the answer, then apply a fault's delay or drop."""
    request_id = uuid.uuid4().hex
    try:
        response = await handler(request)
    except SimError as err:
        response = err.response(request_id)
    except web.HTTPException as exc:  # aiohttp's own refusals, such as a body over 12 MB
        refusal = SimError(exc.status, "APIGW.0201", f"{exc.reason.capitalize()}.")
        response = refusal.response(request_id)
    response.headers[REQUEST_ID_HEADER] = request_id
    fault = request.get(FAULT_KEY)
    status = 0 if fault is not None and fault.drop else response.status
    request.app[SIM_KEY].request_log.append(RequestRecord(request.method, request.path, status))
    if fault is not None:
        await _misdeliver(request, fault)
        if fault.garble:  # the request took effect; its answer arrives mangled
            return web.Response(status=200, text="<html>upstream", content_type="application/json")
    return response


async def _misdeliver(request: web.Request, fault: Fault) -> None:
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if fault.drop and request.transport is not None:
        # aiohttp then skips writing the response: the client sees the connection close unanswered.
        request.transport.abort()


def guarded(kind: str, handler: Handler, *, authenticate: bool = True) -> Handler:
    """Wrap an API route: auth, project check, throttle and faults for API ``kind``."""

    async def guard(request: web.Request) -> web.StreamResponse:
        sim = request.app[SIM_KEY]
        if authenticate:
            await _authenticate(sim, request)
        key = action_kind(await request.read()) if kind == "action" else kind
        if not sim.throttle.allow(key):
            raise SimError(429, "APIGW.0308", THROTTLED_MESSAGE)
        fault = sim.faults.take(key)
        if fault is not None:
            request[FAULT_KEY] = fault
            if not fault.runs_request:
                raise fault.error()
        return await handler(request)

    return guard


async def _authenticate(sim: Simulator, request: web.Request) -> None:
    url_project = request.match_info["project_id"]
    token = request.headers.get("X-Auth-Token")
    if token is not None:
        project = sim.tokens.project_of(token)
    else:
        sim.verifier.verify(await _received(request))
        project = sim.project_id
    header_project = request.headers.get("X-Project-Id", url_project)
    if not url_project == header_project == project:
        raise SimError(
            400,
            "Common.0018",
            f"The project {url_project} in the URL does not match the credentials' project.",
        )


async def _received(request: web.Request) -> ReceivedRequest:
    return ReceivedRequest(
        method=request.method,
        path=request.path,
        query=list(request.query.items()),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=await request.read(),
    )


async def unknown_api(request: web.Request) -> web.StreamResponse:
    """Any path or method the simulated gateway does not publish."""
    raise no_such_api()
