"""Tests for the /bms status message."""

from __future__ import annotations

import json

import pytest
from block_factories import HOSTILE, WEIRD_NAME, ids, simulated
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.status import status_message
from bot.bms.models import Job, SubJob
from bot.core.explain import explain


def _text(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def job(count: int, *, status: str = "RUNNING", fail_every: int = 9) -> Job:
    subs = []
    for n, server_id in enumerate(ids(count)):
        if n % fail_every == 1:
            subs.append(SubJob(f"s{n}", server_id, "FAIL", "BMS.0036", "powering off"))
        else:
            subs.append(SubJob(f"s{n}", server_id, "SUCCESS" if n % 2 else "RUNNING"))
    return Job(
        job_id="2c9eb2c5544cbf6101544f0602af2b4f",
        status=status,
        job_type="baremetalBatchOperate",
        sub_jobs=tuple(subs),
        sub_jobs_total=count,
        begin_time="2025-11-27T15:00:00.591Z",
    )


@pytest.mark.parametrize("count", [0, 1, 50, 1000])
@pytest.mark.parametrize("name", ["web", WEIRD_NAME, HOSTILE])
def test_status_within_limits(count, name):
    """Any job size and any names fit in one message."""
    names = {i: f"{name}{n}" for n, i in enumerate(ids(count))}
    message = simulated(status_message(job(count), names))
    assert_within_slack_limits(message)
    assert_no_injection(message)


def test_status_counts_rows_and_failures_first():
    """Counts, failures (with grouped explanation) first, then names with ids."""
    server_ids = ids(20)
    names = {i: f"web-{n}" for n, i in enumerate(server_ids)}
    text = _text(status_message(job(20), names))
    assert "Stop job: running" in text
    assert "✅ succeeded *8* · ❌ failed *3* · ⏳ in progress *9* · of 20 servers" in text
    assert text.count(explain("BMS.0036") or "missing") == 1
    assert text.index("❌ Failed") < text.index("⏳ In progress") < text.index("✅ Succeeded")
    assert f"web-1 `{server_ids[1]}` — `BMS.0036` powering off" in text
    assert "<!date^1764255600^" in text


def test_status_large_job_says_more():
    """A job with more rows than fit says how many are not shown."""
    text = _text(status_message(job(1000), {}))
    assert "more lines" in text


def test_status_job_level_error_is_explained():
    """A job-level error code is shown with its explanation."""
    failed = Job("j1", "FAIL", error_code="BMS.0212", fail_reason="busy")
    text = _text(status_message(failed, {}))
    assert "Stop job: failed" in text
    assert "`BMS.0212` busy" in text
    assert explain("BMS.0212") in text


def test_status_unknown_values_are_escaped():
    """Odd status values and job ids from the cloud are escaped."""
    odd = Job("<!here>", "<!channel>", sub_jobs=(SubJob(None, None, "WEIRD"),))
    message = status_message(odd, {})
    assert_within_slack_limits(message)
    assert_no_injection(message)
