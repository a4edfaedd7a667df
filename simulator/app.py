"""The simulator's aiohttp application: the BMS and IAM routes behind the simulated gateway.

Routes are matched in the order added, so ``/baremetalservers/detail`` and ``/action`` come before
``/baremetalservers/{server_id}``; anything else, any method (HEAD included), is the gateway's
404 APIGW.0101.
Bodies may be up to 12 MB, the gateway's limit for signed requests.
"""

from __future__ import annotations

from aiohttp import web

from simulator import handlers, iam
from simulator.gateway import SIM_KEY, gateway_middleware, guarded, unknown_api
from simulator.state import Simulator

MAX_BODY_BYTES = 12 * 1024 * 1024
_SERVERS = "/v1/{project_id}/baremetalservers"


def build_app(sim: Simulator) -> web.Application:
    """A fresh application serving ``sim``."""
    app = web.Application(middlewares=[gateway_middleware], client_max_size=MAX_BODY_BYTES)
    app[SIM_KEY] = sim
    app.router.add_get(
        f"{_SERVERS}/detail", guarded("list", handlers.list_servers), allow_head=False
    )
    app.router.add_post(f"{_SERVERS}/action", guarded("action", handlers.server_action))
    app.router.add_get(
        _SERVERS + "/{server_id}", guarded("server", handlers.show_server), allow_head=False
    )
    app.router.add_get(
        "/v1/{project_id}/jobs/{job_id}", guarded("job", handlers.show_job), allow_head=False
    )
    app.router.add_post("/v3/auth/tokens", guarded("iam", iam.issue_token, authenticate=False))
    app.router.add_route("*", "/{tail:.*}", unknown_api)
    return app
