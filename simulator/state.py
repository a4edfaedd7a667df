"""The simulator's state: servers, jobs, and a timeline that moves jobs along the injected clock.

Nothing runs in the background. Submitting a stop schedules timed events (the job starts after
``init_seconds``; each server finishes powering off ``stop_seconds`` after that) and every read
first applies the events that are due at the clock's current time, in time order. So a fake clock
makes progression exact, and servers and jobs always agree at any instant.

When a job starts, each server is checked against the documented codes: powering on / off /
rebooting fail their sub-job with BMS.0035 / BMS.0036 / BMS.0037, an already stopped server with
BMS.0039; a server with ``fail_code`` powers off for ``stop_seconds`` and then fails with that
code, left ACTIVE. Every other server ends SHUTOFF (power_state 4, no task).
"""

from __future__ import annotations

import heapq
import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import NamedTuple

from simulator.auth import AkSkVerifier, TokenStore
from simulator.faults import Faults
from simulator.jobs import SimJob, SimSubJob
from simulator.servers import STATUSES, SimServer
from simulator.throttle import Throttle

_BUSY = {
    "powering-on": ("BMS.0035", "is powering on"),
    "powering-off": ("BMS.0036", "is powering off"),
    "rebooting": ("BMS.0037", "is rebooting"),
}
_Event = tuple[float, int, Callable[[float], None]]


class RequestRecord(NamedTuple):
    """One request as the simulator answered it; status 0 means the connection was dropped."""

    method: str
    path: str
    status: int


def stop_refusal(server: SimServer) -> tuple[str, str] | None:
    """Why a stop of ``server`` fails at once, as (code, reason); None if it can be stopped."""
    if server.task_state in _BUSY:
        code, what = _BUSY[server.task_state]
        return code, f"The server {server.id} {what}."
    if server.status == "SHUTOFF":
        return "BMS.0039", f"The server {server.id} is already stopped."
    return None


class Simulator:
    """One Huawei Cloud project's BMS API and IAM account, in memory."""

    def __init__(
        self,
        project_id: str,
        access_key: str,
        secret_key: str,
        *,
        clock: Callable[[], float] = time.time,
        init_seconds: float = 0.2,
        stop_seconds: float = 1.0,
        missing_server_status: int = 404,
        iam_user: str | None = None,
        iam_password: str | None = None,
        iam_domain: str | None = None,
        region: str = "cn-north-4",
        limits: Mapping[str, int] | None = None,
    ) -> None:
        if missing_server_status not in (400, 404):
            raise ValueError("missing_server_status must be 400 or 404")
        self.project_id = project_id
        self.region = region  # the default project's name, for IAM scopes by name
        self.clock = clock
        self.init_seconds = init_seconds
        self.stop_seconds = stop_seconds
        self.missing_server_status = missing_server_status
        self.iam_user, self.iam_password, self.iam_domain = iam_user, iam_password, iam_domain
        self.verifier = AkSkVerifier({access_key: secret_key}, clock)
        self.tokens = TokenStore(clock)
        self.throttle = Throttle(clock, limits)
        self.faults = Faults()
        self.stop_calls: list[list[str]] = []
        self.request_log: list[RequestRecord] = []
        self._servers: dict[str, SimServer] = {}
        self._jobs: dict[str, SimJob] = {}
        self._events: list[_Event] = []
        self._seq = itertools.count()

    @property
    def servers(self) -> dict[str, SimServer]:
        """Every server by id, in creation order, as of the clock's current time."""
        self.advance()
        return self._servers

    @property
    def jobs(self) -> dict[str, SimJob]:
        """Every job by id, as of the clock's current time."""
        self.advance()
        return self._jobs

    def add_server(
        self,
        id: str | None = None,  # shadows the builtin: the brief's name, and the API's
        name: str | None = None,
        status: str = "ACTIVE",
        *,
        task_state: str | None = None,
        stop_seconds: float | None = None,
        fail_code: str | None = None,
        fail_reason: str | None = None,
        fail_detail: str | None = None,
        tags: Iterable[str] = (),
    ) -> SimServer:
        """Add a server (a uuid4 id and a ``bms-…`` name unless given); see ``SimServer``."""
        server_id = id or str(uuid.uuid4())
        if server_id in self._servers:
            raise ValueError(f"server {server_id} exists already")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}")
        server = SimServer(
            id=server_id,
            name=name if name is not None else f"bms-{server_id[:8]}",
            status=status,
            task_state=task_state,
            stop_seconds=stop_seconds,
            fail_code=fail_code,
            fail_reason=fail_reason,
            fail_detail=fail_detail,
            tags=tuple(tags),
        )
        self._servers[server_id] = server
        return server

    def seed(self, n: int, prefix: str = "web", *, tags: Iterable[str] = ()) -> list[SimServer]:
        """Add ``n`` ACTIVE servers named ``{prefix}-001`` onwards (a second call continues),
        each carrying ``tags``."""
        start = sum(1 for s in self._servers.values() if s.name.startswith(f"{prefix}-")) + 1
        made = range(start, start + n)
        return [self.add_server(name=f"{prefix}-{i:03d}", tags=tags) for i in made]

    def advance(self) -> float:
        """Apply every event due by now, in time order; return now."""
        now = self.clock()
        while self._events and self._events[0][0] <= now:
            at, _, apply = heapq.heappop(self._events)
            apply(at)
        return now

    def submit_stop(self, server_ids: list[str]) -> SimJob:
        """Accept an os-stop of existing servers: record it and schedule its job."""
        now = self.advance()
        job = SimJob(server_ids=tuple(server_ids), begin=now)
        self._jobs[job.job_id] = job
        self.stop_calls.append(list(server_ids))
        self._schedule(now + self.init_seconds, partial(self._start_job, job))
        return job

    def _schedule(self, at: float, apply: Callable[[float], None]) -> None:
        heapq.heappush(self._events, (at, next(self._seq), apply))

    def _start_job(self, job: SimJob, at: float) -> None:
        job.status = "RUNNING"
        for server_id in job.server_ids:
            sub = SimSubJob(server_id=server_id, begin=at)
            job.sub_jobs.append(sub)
            self._begin_stop(job, sub, at)
        job.close_if_done(at)

    def _begin_stop(self, job: SimJob, sub: SimSubJob, at: float) -> None:
        server = self._servers.get(sub.server_id)
        if server is None:  # a test removed it after the stop was accepted
            sub.finish(at, "BMS.0040", f"The server {sub.server_id} does not exist.")
            return
        refusal = stop_refusal(server)
        if refusal:
            sub.finish(at, *refusal)
            return
        server.task_state = "powering-off"
        took = self.stop_seconds if server.stop_seconds is None else server.stop_seconds
        self._schedule(at + took, partial(self._finish_stop, job, sub, server))

    def _finish_stop(self, job: SimJob, sub: SimSubJob, server: SimServer, at: float) -> None:
        server.task_state = None
        if server.fail_code:
            # Both shapes Huawei uses: the reason in fail_reason, in entities.errorcode_message
            # (fail_detail, with fail_reason null unless given too), or both.
            default = None if server.fail_detail else f"Failed to stop the server {server.id}."
            reason = server.fail_reason or default
            sub.finish(at, server.fail_code, reason, server.fail_detail)
        else:
            server.status = "SHUTOFF"
            sub.finish(at)
        job.close_if_done(at)
