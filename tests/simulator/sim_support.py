"""Constants and helpers shared by the simulator tests (fixtures live in conftest.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.clock import ManualClock

PROJECT = "0123456789abcdef0123456789abcdef"
AK, SK = "SIM_AK", "SIM_SK"
IAM_USER, IAM_PASSWORD, IAM_DOMAIN = "ops-bot", "s3cret-pw", "acme"
SERVERS = f"/v1/{PROJECT}/baremetalservers"
DETAIL = f"{SERVERS}/detail"
ACTION = f"{SERVERS}/action"
JOBS = f"/v1/{PROJECT}/jobs"


@dataclass
class FakeClock(ManualClock):
    """Starts at the real time (X-Sdk-Date must be near it) and moves only when told."""

    now: float = field(default_factory=time.time)


def stop_body(*ids: str, kind: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"servers": [{"id": i} for i in ids]}
    if kind is not None:
        params["type"] = kind
    return {"os-stop": params}


def token_body(password: str = IAM_PASSWORD, project_id: str = PROJECT) -> dict[str, Any]:
    user = {"name": IAM_USER, "password": password, "domain": {"name": IAM_DOMAIN}}
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": {"id": project_id}},
        }
    }
