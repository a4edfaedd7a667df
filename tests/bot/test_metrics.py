"""GET /metrics: Prometheus' text format with requests by state, Huawei calls by operation and
outcome (429s apart), Slack failures, poll lag and the leader gauge."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import huawei_operation
from tests.support.harness import running_bot


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_a_stop_from_preview_to_report(tmp_path) -> None:
    """After one stop: one finished request, one stop call answered 200, job polls, a poll-lag
    observation, the leader gauge at 1; the page parses as Prometheus text."""
    async with running_bot(tmp_path) as bot:
        before = samples((await bot.http.get("/metrics")).text)
        [server] = bot.sim.seed(1)
        request_id, _ = await bot.confirm(f"stop {server.id}")
        await bot.settled(request_id)
        page = await bot.http.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    after = samples(page.text)
    assert value(after, "bms_bot_requests", state="finished") == 1
    assert value(after, "bms_bot_requests", state="previewed") == 0
    stops = "bms_bot_huawei_calls_total"
    assert (
        value(after, stops, operation="stop", outcome="200")
        - value(before, stops, operation="stop", outcome="200")
        == 1
    )
    assert value(after, stops, operation="job", outcome="200") > value(
        before, stops, operation="job", outcome="200"
    )
    assert value(after, "bms_bot_leader") == 1
    assert value(after, "bms_bot_poll_lag_seconds_count") >= value(
        before, "bms_bot_poll_lag_seconds_count"
    )
    assert re.search(r"^process_resident_memory_bytes \d", page.text, re.M)


async def test_huawei_429s_are_counted_apart(tmp_path) -> None:
    """A 429 from Huawei shows as an outcome and in the throttled counter."""
    async with running_bot(tmp_path, bms_retry_attempts=2, bms_retry_base_delay=0) as bot:
        before = samples((await bot.http.get("/metrics")).text)
        [server] = bot.sim.seed(1)
        bot.sim.faults.add("server", 429, "APIGW.0308", times=1)
        await bot.preview(f"stop {server.id}")
        after = samples((await bot.http.get("/metrics")).text)
    name = "bms_bot_huawei_throttled_total"
    assert value(after, name, operation="server") - value(before, name, operation="server") == 1


def test_operations_are_named_without_ids() -> None:
    """Each BMS path maps to a fixed operation label, never an id."""
    prefix = "/v1/p/baremetalservers"
    assert huawei_operation("POST", f"{prefix}/action") == "stop"
    assert huawei_operation("GET", "/v1/p/jobs/abc") == "job"
    assert huawei_operation("GET", f"{prefix}/detail") == "servers"
    assert huawei_operation("GET", f"{prefix}/0123-id") == "server"
