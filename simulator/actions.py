"""Validation of ``POST /v1/{project}/baremetalservers/action`` bodies, as strictly as the BMS API.

Checked in order: the body is a JSON object (else BMS.0001); it holds exactly one of ``os-stop``,
``os-start``, ``reboot`` and nothing else (BMS.0018); ``servers`` is a list of 1..1000 ``{"id"}``
objects (over 1000: BMS.0205; empty, malformed or duplicated: BMS.0018); ``type`` is HARD or SOFT
(BMS.0022). Refusing duplicate ids is the simulator's stricter guess; Huawei's is unconfirmed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from simulator.responses import SimError, bad_parameter

ACTIONS = {"os-stop": "stop", "os-start": "start", "reboot": "reboot"}
MAX_SERVERS = 1000
STOP_TYPES = frozenset({"HARD", "SOFT"})


@dataclass(frozen=True, slots=True)
class ActionRequest:
    action: str  # "stop", "start" or "reboot"
    server_ids: list[str]
    type: str


def action_kind(body: bytes) -> str:
    """The action a body asks for, read leniently to pick throttle and faults; "stop" if unclear."""
    try:
        data = json.loads(body)
    except ValueError:
        return "stop"
    if isinstance(data, dict):
        for key, kind in ACTIONS.items():
            if key in data:
                return kind
    return "stop"


def parse_action(body: bytes) -> ActionRequest:
    """The validated request, or the ``SimError`` the BMS API would answer with."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SimError(400, "BMS.0001", f"Fail to parse request, reason: {exc}.") from None
    if not isinstance(data, dict):
        raise SimError(400, "BMS.0001", "Fail to parse request, reason: body is not an object.")
    keys = set(data)
    if len(keys) != 1 or not keys <= ACTIONS.keys():
        raise bad_parameter(f"Exactly one of {sorted(ACTIONS)} is required, got {sorted(keys)}.")
    (key,) = keys
    params = data[key]
    if not isinstance(params, dict):
        raise bad_parameter(f"{key} must be an object.")
    return ActionRequest(ACTIONS[key], _server_ids(params.get("servers")), _stop_type(params))


def _server_ids(servers: Any) -> list[str]:
    if not isinstance(servers, list) or not servers:
        raise bad_parameter('servers must be a list of 1 to 1000 {"id": ...} objects.')
    if len(servers) > MAX_SERVERS:
        raise SimError(
            400,
            "BMS.0205",
            f"The number of servers {len(servers)} exceeds the limit {MAX_SERVERS}.",
        )
    ids: list[str] = []
    for item in servers:
        server_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(server_id, str) or not server_id:
            raise bad_parameter(f'Invalid server entry {item!r}: an "id" string is required.')
        ids.append(server_id)
    if len(set(ids)) != len(ids):
        raise bad_parameter("servers contains the same id more than once.")
    return ids


def _stop_type(params: dict[str, Any]) -> str:
    kind = params.get("type", "HARD")
    if kind not in STOP_TYPES:
        raise bad_parameter(f"Invalid type {kind!r}: HARD or SOFT.", code="BMS.0022")
    return str(kind)
