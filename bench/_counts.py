"""Counting what a stop request cost: BMS calls from the simulator's log, Slack calls from the fake.

Each benchmarked request runs in its own Slack channel with its own servers, so every call can be
attributed to one request (Web API calls by channel, response_url posts by URL, BMS server reads by
server id, job reads by job id).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench._support import summarise
from bot.ids import MetadataEvent
from simulator.state import RequestRecord
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_records import Call


@dataclass
class Tracked:
    """One stop request as the benchmark drove it."""

    label: str
    channel: str
    server_ids: list[str]
    urls: tuple[str, ...] = ()
    request_id: str = ""
    job_ids: tuple[str, ...] = ()


def bms_counts(log: list[RequestRecord], reqs: list[Tracked]) -> dict[str, Any]:
    """Calls by kind from the simulator's request log, per job and per request."""
    owner = {sid: r.label for r in reqs for sid in r.server_ids}
    job_gets: Counter[str] = Counter()
    server_gets: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for record in log:
        tail = record.path.rsplit("/", 1)[-1]
        if record.status == 429:
            kinds["throttled (429)"] += 1
        if "/jobs/" in record.path:
            kinds["GET job"] += 1
            job_gets[tail] += 1
        elif tail == "action":
            kinds["POST action"] += 1
        elif tail == "detail":
            kinds["GET list"] += 1
        else:
            kinds["GET server"] += 1
            server_gets[owner.get(tail, "?")] += 1
    jobs = [j for r in reqs for j in r.job_ids]
    per_job = [float(job_gets[j]) for j in jobs]
    return {
        "by_kind": dict(kinds),
        "jobs": len(jobs),
        "get_job_per_job": summarise(per_job),
        "post_action_per_job": kinds["POST action"] / len(jobs) if jobs else None,
        "get_server_per_request": summarise([float(server_gets[r.label]) for r in reqs]),
        "get_list_per_request": kinds["GET list"] / len(reqs) if reqs else None,
    }


def slack_counts(slack: FakeSlack, calls: list[Call], reqs: list[Tracked]) -> dict[str, Any]:
    """Web API calls by method, attributed by channel, plus response_url posts by URL."""
    per_request: dict[str, Counter[str]] = {r.channel: Counter() for r in reqs}
    refused: Counter[str] = Counter()
    for call in calls:
        if not call.ok:
            refused[f"{call.method} {call.error}"] += 1
        channel = call.args.get("channel")
        if call.method != "response_url" and channel in per_request:
            per_request[channel][call.method] += 1
    for req in reqs:
        posts = sum(1 for p in slack.responses if p.url in req.urls)
        per_request[req.channel]["response_url"] += posts
    methods = sorted({m for c in per_request.values() for m in c})
    mean = {m: sum(c[m] for c in per_request.values()) / len(reqs) for m in methods}
    return {"mean_per_request": mean, "refused": dict(refused)}


def is_first_part(call: Call) -> bool:
    """A chat.postMessage Slack accepted carrying part 1 of a request's Results, as its metadata
    says."""
    meta = call.args.get("metadata")
    if call.method != "chat.postMessage" or not call.ok or not isinstance(meta, dict):
        return False
    payload = meta.get("event_payload") or {}
    return bool(
        meta.get("event_type") == MetadataEvent.RESULT_PART.value and payload.get("part") == 1
    )


def first_parts(slack: FakeSlack) -> dict[str, float]:
    """Request id -> when its first Results part reached the fake Slack."""
    out: dict[str, float] = {}
    for call in slack.calls:
        if is_first_part(call):
            request_id = call.args["metadata"]["event_payload"].get("request_id")
            out.setdefault(str(request_id), call.at)
    return out
