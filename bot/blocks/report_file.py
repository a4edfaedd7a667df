"""A report too long for a few thread posts: the counts and what did not stop in the thread, and
every server, one row each, in an uploaded CSV file (``files.getUploadURLExternal`` /
``files.completeUploadExternal``), so a stop of thousands of servers reads in seconds instead of
scrolling through dozens of posts.

The file is the last part of the report and is found again by its name, which holds the request
id, the way the posted parts are found by their metadata.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.blocks.results import result_messages, summary_messages
from bot.blocks.text import plural
from bot.core.models import RequestSummary, ServerResult

FEW_PARTS = 3  # a report longer than this many posts goes into a file
SUMMARY_PARTS = 2  # at most this many posts of what did not stop, then "the rest is in the file"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


@dataclass(frozen=True, slots=True)
class ReportFile:
    """The last report part: a CSV of every server, shared into the thread with a comment."""

    filename: str
    title: str
    content: bytes
    comment: str


def report_parts(s: RequestSummary, results: Sequence[ServerResult]) -> list[Message | ReportFile]:
    """The report as it goes into the thread: every server in posts when they fit in a few,
    else a short summary in posts and every server in a file, the last part."""
    full = result_messages(s, results)
    if len(full) <= FEW_PARTS:
        return list(full)
    head = summary_messages(s, results, max_parts=SUMMARY_PARTS, after=1)
    total = len(head) + 1
    comment = (
        f"Results of `{s.request_id}`: all {plural(len(results), 'server')}, one per row "
        f"(part {total} of {total})"
    )
    title = f"bms-bot results {s.request_id}"
    return [*head, ReportFile(file_name(s.request_id), title, results_csv(results), comment)]


def file_name(request_id: str) -> str:
    return f"bms-bot-{request_id}-results.csv"


def results_csv(results: Sequence[ServerResult]) -> bytes:
    """One row per server: id, name, outcome, job, Huawei's error code and reason. A cell that a
    spreadsheet would run as a formula (a hostile server name) is quoted with a leading ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["server_id", "name", "outcome", "job_id", "error_code", "reason"])
    for r in results:
        row = [r.server_id, r.name, r.outcome.value, r.job_id, r.error_code, r.fail_reason]
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode()


def _cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
