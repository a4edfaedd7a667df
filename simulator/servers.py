"""A simulated bare metal server and its JSON, as the BMS list and detail APIs return it.

Only ``status`` and ``task_state`` are state; ``vm_state`` and ``power_state`` follow from them the
way they do on Huawei Cloud: an ACTIVE server being powered off still reports power_state 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATUSES = frozenset({"ACTIVE", "BUILD", "ERROR", "HARD_REBOOT", "REBOOT", "SHUTOFF"})
RUNNING, SHUTDOWN = 1, 4
_VM_STATES = {
    "ACTIVE": "active",
    "BUILD": "building",
    "ERROR": "error",
    "HARD_REBOOT": "active",
    "REBOOT": "active",
    "SHUTOFF": "stopped",
}
# Huawei tags every BMS with this system tag; user tags follow it.
SYSTEM_TAG = "__type_baremetal"


@dataclass(slots=True)
class SimServer:
    """One server; tests may change any field directly to set up a scenario."""

    id: str
    name: str
    status: str = "ACTIVE"
    task_state: str | None = None
    stop_seconds: float | None = None  # None: the simulator's default
    fail_code: str | None = None  # a stop of this server fails with this code
    fail_reason: str | None = None  # the sub-job's fail_reason
    fail_detail: str | None = None  # the sub-job's entities.errorcode_message (the SDK's Entitie)
    tags: tuple[str, ...] = ()
    flavor_id: str = "physical.s4.large"
    enterprise_project_id: str = "0"

    @property
    def power_state(self) -> int:
        return SHUTDOWN if self.status == "SHUTOFF" else RUNNING

    @property
    def vm_state(self) -> str:
        return _VM_STATES.get(self.status, "active")

    def to_json(self, project_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "OS-EXT-STS:task_state": self.task_state,
            "OS-EXT-STS:vm_state": self.vm_state,
            "OS-EXT-STS:power_state": self.power_state,
            "tags": [SYSTEM_TAG, *self.tags],
            "metadata": {},
            "flavor": {"id": self.flavor_id},
            "locked": False,
            "enterprise_project_id": self.enterprise_project_id,
            "addresses": {},
            "host_status": "UP",
            "tenant_id": project_id,
        }
