"""One stop of 10,000 servers selected by tag, at Huawei's and Slack's real limits.

The real bot (``Runtime`` in this process, HTTP mode, SQLite file) with the production settings
of ``bot/settings.py`` (``BMS_STOP_CALLS_PER_MINUTE=50``, ``BMS_JOB_QUERIES_PER_MINUTE=2000``,
``BMS_POLL_INTERVAL=5``), against the BMS simulator enforcing Huawei's per-minute limits (stop
50, list 500, job 2000) and the fake Slack enforcing its own (a post a second per channel,
``chat.update`` Tier 3). ``/bms stop tag:fleet=batch`` selects the 10,000 servers; one click
sends them. Servers take ``--min-stop``..``--max-stop`` seconds to power off.

It reports the preview's time (the listing), the stop calls (how many, their sizes, how they were
spaced), time from the click to the last result (the file of every server shared in the thread),
how late that came after the last job ended, Huawei's and Slack's 429s, and the Slack calls the
request made.

    .venv/bin/python bench/big_stop.py [--servers 10000] [--min-stop 20] [--max-stop 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    SHARED_CORES_NOTE,
    environment,
    production_overrides,
    quiet_logs,
    secs,
    table,
    write_results,
)
from bot.core.lifecycle import RequestState
from bot.ids import ActionId
from tests.fakes.slack_api import FakeSlack
from tests.support.harness import Bot, new_simulator, running_bot


async def run(servers: int, min_stop: float, max_stop: float) -> dict[str, Any]:
    sim = new_simulator()
    slack = FakeSlack(clock=time.time)
    settings = production_overrides(
        bms_stop_calls_per_minute=50, bms_job_queries_per_minute=2000, bms_job_timeout=1800
    )
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), sim=sim, slack=slack, **settings) as bot:
            for server in bot.sim.seed(servers, tags=["fleet=batch"]):
                server.stop_seconds = random.uniform(min_stop, max_stop)
            return await _measure(bot, servers)


async def _measure(bot: Bot, servers: int) -> dict[str, Any]:
    started = time.time()
    _, request_id = await bot.preview("stop tag:fleet=batch reason: end of season")
    previewed = time.time()
    assert request_id, bot.slack.summary()
    await bot.click(ActionId.CONFIRM, request_id)
    clicked = time.time()
    call_times: list[float] = []
    while True:
        row = await bot.runtime.deps.store.requests.get(request_id)
        while len(call_times) < len(bot.sim.stop_calls):
            call_times.append(time.time())
        if row is not None and row.state in (RequestState.FINISHED, RequestState.TIMED_OUT):
            break
        await asyncio.sleep(0.05)
    finished = time.time()
    last_job_end = max((j.end or 0.0) for j in bot.sim.jobs.values())
    shared = [c for c in bot.slack.calls_to("files.completeUploadExternal") if c.ok]
    result_at = shared[-1].at if shared else finished
    spacing = [b - a for a, b in itertools.pairwise(call_times)]
    throttled = sum(1 for r in bot.sim.request_log if r.status == 429)
    slack_429 = sum(1 for c in bot.slack.calls if c.error == "ratelimited")
    slack_by_method: dict[str, int] = {}
    for call in bot.slack.calls:
        slack_by_method[call.method] = slack_by_method.get(call.method, 0) + 1
    return {
        "servers": servers,
        "state": str(row.state) if row else None,
        "preview_seconds": previewed - started,
        "stop_calls": len(bot.sim.stop_calls),
        "stop_call_sizes": [len(c) for c in bot.sim.stop_calls],
        "click_to_last_stop_call": (call_times[-1] - clicked) if call_times else None,
        "stop_call_spacing_min": min(spacing) if spacing else None,
        "click_to_last_result": result_at - clicked,
        "last_job_end_to_result": result_at - last_job_end,
        "huawei_429": throttled,
        "slack_429": slack_429,
        "slack_calls": slack_by_method,
        "thread_files": len(bot.thread_files()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--min-stop", type=float, default=20.0)
    parser.add_argument("--max-stop", type=float, default=60.0)
    parser.add_argument("--log-level", default="error")
    args = parser.parse_args()
    quiet_logs(args.log_level)
    figures = asyncio.run(run(args.servers, args.min_stop, args.max_stop))
    rows = [
        ("servers", f"{figures['servers']:,}"),
        ("final state", figures["state"]),
        ("preview (list the project, 1,000 a page)", secs(figures["preview_seconds"]) + " s"),
        (
            "stop calls (sizes)",
            f"{figures['stop_calls']} ({', '.join(map(str, figures['stop_call_sizes']))})",
        ),
        ("click → last stop call", secs(figures["click_to_last_stop_call"] or float("nan")) + " s"),
        ("closest two stop calls", secs(figures["stop_call_spacing_min"] or float("nan")) + " s"),
        ("click → last result (file shared)", secs(figures["click_to_last_result"]) + " s"),
        ("last job end → last result", secs(figures["last_job_end_to_result"]) + " s"),
        ("Huawei 429s", figures["huawei_429"]),
        ("Slack 429s", figures["slack_429"]),
        ("files shared in the thread", figures["thread_files"]),
        ("Slack calls", ", ".join(f"{k} {v}" for k, v in sorted(figures["slack_calls"].items()))),
    ]
    print(table("One stop of many servers, selected by tag", ("figure", "value"), rows))
    print(SHARED_CORES_NOTE)
    path = write_results("big_stop", {"environment": environment(), "figures": figures})
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
