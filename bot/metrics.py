"""Prometheus metrics, served at ``GET /metrics`` (``bot/http.py``): what an operator graphs and
alerts on. Every replica serves its own; requests by state are read from the shared database at
each scrape, so any replica's answer is the whole picture for those.

Names follow Prometheus conventions (``_total`` counters, base units). Labels stay small and
fixed: an operation or an error code, never a request or server id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, CPU, open files

REQUESTS = Gauge(
    "bms_bot_requests", "Stop requests in the database, by state", ["state"], registry=REGISTRY
)
HUAWEI_CALLS = Counter(
    "bms_bot_huawei_calls_total",
    "Calls to the BMS API by operation (stop, job, server, servers) and outcome "
    "(the HTTP status, or the transport error)",
    ["operation", "outcome"],
    registry=REGISTRY,
)
HUAWEI_THROTTLED = Counter(
    "bms_bot_huawei_throttled_total",
    "Huawei Cloud answers of 429 (rate limited), by operation",
    ["operation"],
    registry=REGISTRY,
)
POLL_LAG = Histogram(
    "bms_bot_poll_lag_seconds",
    "How late a request's poll ran after its interval was up",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
SLACK_ERRORS = Counter(
    "bms_bot_slack_errors_total",
    "Slack Web API calls that failed, by Slack's error code (http_5xx, no_answer, …)",
    ["error"],
    registry=REGISTRY,
)
SLACK_THROTTLED = Counter(
    "bms_bot_slack_throttled_total",
    "Slack answers of 429 (rate limited), whether the client waited them out or not",
    registry=REGISTRY,
)
TICKS_SKIPPED = Counter(
    "bms_bot_scheduler_ticks_skipped_total",
    "Scheduler ticks skipped because the same job's previous run (a poll waiting its turn at "
    "Huawei, a long sweep) was still running",
    registry=REGISTRY,
)
LEADER = Gauge(
    "bms_bot_leader", "1 while this replica runs the scheduled work, else 0", registry=REGISTRY
)
LEADER_CHANGES = Counter(
    "bms_bot_leader_changes_total",
    "Times this replica became the leader or stepped down",
    registry=REGISTRY,
)


def huawei_operation(method: str, path: str) -> str:
    """The label for a Huawei call: what it does, not which object it names."""
    if "/jobs/" in path:
        return "job"
    if path.endswith("/baremetalservers/action"):
        return "stop"
    if path.endswith(("/baremetalservers", "/baremetalservers/detail")):
        return "servers"
    return "server" if method == "GET" else method.lower()


def huawei_call(method: str, path: str, outcome: str) -> None:
    """Count one call to Huawei Cloud."""
    operation = huawei_operation(method, path)
    HUAWEI_CALLS.labels(operation, outcome).inc()
    if outcome == "429":
        HUAWEI_THROTTLED.labels(operation).inc()
