"""Tests for the final per-server report split into parts."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from block_factories import HOSTILE, WEIRD_NAME, ids, results, simulated, summary
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.results import result_messages
from bot.core.explain import explain
from bot.core.models import Outcome, ServerResult
from bot.ids import MetadataEvent

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _text(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def _id_counts(parts) -> Counter[str]:
    return Counter(m for part in parts for m in UUID.findall(_text(part)))


@pytest.mark.parametrize("count", [1, 50, 1000, 1500])
@pytest.mark.parametrize("name", ["web", WEIRD_NAME, HOSTILE])
def test_every_part_within_limits_and_every_server_once(count, name):
    """Every part fits Slack's limits and every server id appears exactly once overall."""
    rows = results(count, name=name)
    parts = [simulated(part) for part in result_messages(summary(count), rows)]
    for part in parts:
        assert_within_slack_limits(part)
        assert_no_injection(part)
    assert _id_counts(parts) == Counter(r.server_id for r in rows)


def test_five_thousand_servers_all_listed():
    """The largest request lists every one of its 5000 servers."""
    rows = results(5000)
    parts = result_messages(summary(5000), rows)
    assert _id_counts(parts) == Counter(r.server_id for r in rows)
    for part in parts:
        assert_within_slack_limits(part)


def test_part_headers_and_metadata():
    """Parts are titled "Results (i/n)" and carry the result event metadata."""
    parts = result_messages(summary(1000), results(1000))
    assert len(parts) > 1
    for index, part in enumerate(parts, start=1):
        assert part.blocks[0]["text"]["text"] == f"Results ({index}/{len(parts)})"
        assert part.metadata is not None
        assert part.metadata["event_type"] == MetadataEvent.RESULT_PART
        assert part.metadata["event_payload"]["request_id"] == "req_8c1e2d"
        assert part.metadata["event_payload"]["part"] == index


def test_single_part_is_just_results():
    """A small report is one part titled "Results"."""
    (part,) = result_messages(summary(3), results(3))
    assert part.blocks[0]["text"]["text"] == "Results"


def test_counts_then_failures_first():
    """Part 1 opens with the counts and lists failures before stopped servers."""
    rows = results(100)
    text = _text(result_messages(summary(100), rows)[0])
    failed = sum(1 for r in rows if r.outcome is Outcome.FAILED)
    stopped = sum(1 for r in rows if r.outcome is Outcome.STOPPED)
    assert f"✅ stopped *{stopped}* · ❌ failed *{failed}* · ❔ unknown *2*" in text
    assert text.index("❌ Failed") < text.index("✅ Stopped")


def test_failures_show_code_reason_and_grouped_explanation():
    """Failed rows show code and reason; a known explanation appears once per group."""
    server_ids = ids(30)
    rows = [
        ServerResult(i, f"db-{n}", Outcome.FAILED, "j", "BMS.0039", "already off")
        for n, i in enumerate(server_ids)
    ]
    text = _text(result_messages(summary(30), rows)[0])
    assert text.count(explain("BMS.0039") or "missing") == 1
    assert f"db-0 `{server_ids[0]}` — `BMS.0039` already off" in text
    assert "*❌ Failed: 30 servers* (`BMS.0039`)" in text


def test_unknown_code_has_no_explanation_but_keeps_reason():
    """A code we do not know still shows Huawei's reason."""
    row = ServerResult(ids(1)[0], "x", Outcome.FAILED, "j", "ABC.1", "<!here> odd")
    (part,) = result_messages(summary(1), [row])
    assert "`ABC.1` &lt;!here&gt; odd" in _text(part)
    assert_no_injection(part)


def test_unknown_and_pending_are_reported():
    """Unknown and still-pending servers get their own headed groups."""
    a, b = ids(2)
    rows = [ServerResult(a, "u", Outcome.UNKNOWN), ServerResult(b, "p", Outcome.PENDING)]
    text = _text(result_messages(summary(2), rows)[0])
    assert "❔ Unknown: 1 server" in text
    assert "⏳ Still pending: 1 server" in text


def test_empty_results_still_make_one_valid_part():
    """No results at all still produces one valid report part."""
    (part,) = result_messages(summary(0), [])
    assert_within_slack_limits(part)


def test_non_uuid_ids_from_the_cloud_are_escaped():
    """Hostile server ids and names from the cloud are escaped."""
    rows = [ServerResult("<!channel>" * 20, "<@U1>" * 60, Outcome.STOPPED) for _ in range(50)]
    for part in result_messages(summary(50), rows):
        assert_within_slack_limits(part)
        assert_no_injection(part)


def test_simulated_banner_on_every_part():
    """Each part of a simulated report carries the banner."""
    for part in map(simulated, result_messages(summary(1000), results(1000))):
        assert "no real servers are affected" in _text(part)
