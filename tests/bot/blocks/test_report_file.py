"""The report of a large stop: a short summary in posts and every server in a CSV file."""

from __future__ import annotations

import csv
import io
import json

import pytest
from block_factories import HOSTILE, ids, results, simulated, summary
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.message import Message
from bot.blocks.report_file import FEW_PARTS, SUMMARY_PARTS, ReportFile, report_parts
from bot.core.models import Outcome, ServerResult


def _rows(file: ReportFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file.content.decode())))


def test_a_report_of_a_few_posts_has_no_file() -> None:
    """Fifty servers: every one listed in posts, no file."""
    parts = report_parts(summary(50), results(50))
    assert parts
    assert all(isinstance(p, Message) for p in parts)
    assert len(parts) <= FEW_PARTS


@pytest.mark.parametrize("count", [1500, 10_000])
def test_a_long_report_is_a_summary_and_a_file_of_every_server(count: int) -> None:
    """Thousands of servers: a few posts within Slack's limits, then one file holding every
    server exactly once, as the last part."""
    rows = results(count)
    parts = report_parts(summary(count), rows)
    *head, file = parts
    assert isinstance(file, ReportFile)
    assert 1 <= len(head) <= SUMMARY_PARTS + 1
    for part in head:
        assert isinstance(part, Message)
        assert_within_slack_limits(simulated(part))
        assert part.metadata is not None
        assert part.metadata["event_payload"]["parts"] == len(parts)
    assert [r["server_id"] for r in _rows(file)] == [r.server_id for r in rows]
    assert "req_8c1e2d" in file.filename
    assert f"part {len(parts)} of {len(parts)}" in file.comment
    assert "Stopped" in json.dumps(head[-1].blocks)


def test_the_summary_shows_the_failures_and_not_the_stopped() -> None:
    """The posts list each failed server with its code; stopped ones are only counted."""
    rows = results(1500)
    head = [p for p in report_parts(summary(1500), rows) if isinstance(p, Message)]
    text = json.dumps([p.blocks for p in head])
    failed = [r for r in rows if r.outcome is Outcome.FAILED]
    stopped = [r for r in rows if r.outcome is Outcome.STOPPED]
    assert all(r.server_id in text for r in failed)
    assert not any(r.server_id in text for r in stopped)


def test_thousands_of_failures_are_cut_short_in_the_thread_and_whole_in_the_file() -> None:
    """10,000 failures: the posts stop after a couple and say how many more are in the file."""
    rows = [
        ServerResult(i, f"db-{n}", Outcome.FAILED, "job1", "BMS.0036", "powering off")
        for n, i in enumerate(ids(10_000))
    ]
    *head, file = report_parts(summary(10_000), rows)
    assert isinstance(file, ReportFile)
    assert len(head) <= SUMMARY_PARTS + 1
    text = json.dumps([p.blocks for p in head if isinstance(p, Message)])
    assert "more servers" in text
    assert "in the file below" in text
    assert len(_rows(file)) == 10_000


def test_a_hostile_name_is_no_formula_in_the_file_and_no_mention_in_the_posts() -> None:
    """A name a spreadsheet would run, or Slack would notify, stays plain text in both."""
    rows = [
        ServerResult(i, '=HYPERLINK("http://evil")' if n % 2 else HOSTILE, Outcome.FAILED)
        for n, i in enumerate(ids(3000))
    ]
    *head, file = report_parts(summary(3000), rows)
    assert isinstance(file, ReportFile)
    assert all(not r["name"].startswith("=") for r in _rows(file))
    for part in head:
        assert isinstance(part, Message)
        assert_no_injection(simulated(part))
