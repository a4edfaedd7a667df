"""What a stop call did when Huawei's answer was lost or its job is forgotten, judged from the
servers themselves.

A server SHUTOFF (no task) was stopped; one ``powering-off`` is being stopped: either way the
call was accepted. While any server is still powering off, or some have not changed yet and the
wait is not over, the judgement waits. When the wait is over, servers that never changed were not
stopped; if none changed at all (and no job is known), the call was never accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.bms.models import Server
from bot.core.models import Outcome, ServerResult

NOT_ACCEPTED_CODE = "BOT.NOT_ACCEPTED"
NOT_STOPPED_CODE = "BOT.NOT_STOPPED"
NOT_ACCEPTED = "Huawei Cloud never acted on this stop: the server did not change, nothing was sent"
NOT_STOPPED = "the server did not stop (Huawei Cloud's own answer about it was lost)"
GONE = "the server no longer exists in this project"


class Judgement(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"


@dataclass(frozen=True, slots=True)
class Reconciled:
    judgement: Judgement
    results: dict[str, ServerResult]
    stopped: int
    stopping: int


def reconcile(
    server_ids: Sequence[str],
    found: Mapping[str, Server],
    names: Mapping[str, str],
    *,
    waited: float,
    window: float,
    job_known: bool,
) -> Reconciled:
    """``waited`` seconds since the call went out; ``window``: how long a change may take;
    ``job_known``: Huawei gave a job id (so the call was accepted, whatever the servers show)."""
    stopped = [i for i in server_ids if i in found and found[i].is_stopped]
    stopping = [i for i in server_ids if i in found and found[i].is_stopping]
    unsettled = stopping or (waited < window and len(stopped) < len(server_ids))
    if unsettled:
        return Reconciled(Judgement.WAITING, {}, len(stopped), len(stopping))
    if stopped or job_known:
        results = {i: _after_acceptance(i, found, names) for i in server_ids}
        return Reconciled(Judgement.ACCEPTED, results, len(stopped), 0)
    results = {
        i: ServerResult(i, names.get(i, ""), Outcome.FAILED, None, NOT_ACCEPTED_CODE, NOT_ACCEPTED)
        for i in server_ids
    }
    return Reconciled(Judgement.NOT_ACCEPTED, results, 0, 0)


def _after_acceptance(
    server_id: str, found: Mapping[str, Server], names: Mapping[str, str]
) -> ServerResult:
    name = names.get(server_id, "")
    server = found.get(server_id)
    if server is None:
        return ServerResult(server_id, name, Outcome.UNKNOWN, None, None, GONE)
    if server.is_stopped:
        return ServerResult(server_id, name, Outcome.STOPPED)
    return ServerResult(server_id, name, Outcome.FAILED, None, NOT_STOPPED_CODE, NOT_STOPPED)
