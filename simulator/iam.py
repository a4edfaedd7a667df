"""The IAM token endpoint, ``POST /v3/auth/tokens``, for a password identity scoped to a project.

Answers 201 with the token in ``X-Subject-Token`` and ``{"token": {"expires_at", "project", ...}}``
(24 h, on the simulator's clock). Errors use IAM's own shape,
``{"error": {"code": 401, "message": ..., "title": "Unauthorized"}}``: a wrong user, password or
domain is 401; a malformed body, or a scope that is not the simulator's project (by id, or by name,
which for a default project is the region), is 400.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from simulator.gateway import SIM_KEY
from simulator.state import Simulator

SUBJECT_TOKEN_HEADER = "X-Subject-Token"  # noqa: S105  # a header name, not a secret
_TITLES = {400: "Bad Request", 401: "Unauthorized"}


def _iso_us(ts: float) -> str:
    """IAM writes ``2019-02-13T06:52:13.855000Z``: microseconds, then Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iam_error(status: int, message: str) -> web.Response:
    body = {"error": {"code": status, "message": message, "title": _TITLES[status]}}
    return web.json_response(body, status=status)


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _credentials_ok(sim: Simulator, user: Any) -> bool:
    return sim.iam_user is not None and (
        _dig(user, "name"),
        _dig(user, "password"),
        _dig(user, "domain", "name"),
    ) == (sim.iam_user, sim.iam_password, sim.iam_domain)


async def issue_token(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    try:
        data = json.loads(await request.read())
    except ValueError:
        return _iam_error(400, "The request body is invalid.")
    identity = _dig(data, "auth", "identity")
    methods = _dig(identity, "methods")
    if not isinstance(methods, list) or "password" not in methods:
        return _iam_error(400, "The request body is invalid: a password identity is required.")
    if not _credentials_ok(sim, _dig(identity, "password", "user")):
        return _iam_error(401, "The username or password is wrong.")
    scope = _dig(data, "auth", "scope", "project")
    if _dig(scope, "id") != sim.project_id and _dig(scope, "name") != sim.region:
        return _iam_error(400, "The project in the scope does not exist.")
    token, expires = sim.tokens.issue(sim.project_id)
    body = {
        "token": {
            "expires_at": _iso_us(expires),
            "issued_at": _iso_us(sim.clock()),
            "methods": ["password"],
            "project": {
                "id": sim.project_id,
                "name": sim.region,
                "domain": {"name": sim.iam_domain},
            },
            "user": {"name": sim.iam_user, "domain": {"name": sim.iam_domain}},
            "catalog": [],
        }
    }
    return web.json_response(body, status=201, headers={SUBJECT_TOKEN_HEADER: token})
