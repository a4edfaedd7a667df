"""Delay from a stop job ending in the simulator to its per-server results being posted in a thread.

For each poll interval (default 5.0 s, the production setting, and 1.0 s) a fresh bot, fake Slack
and BMS simulator run on 127.0.0.1. K requests of 1-5 servers each (plus, with ``--big``, one
request of 1,500 servers: two batch jobs) are previewed, confirmed and then polled by the real
scheduler. The first poll comes one interval after the stop was submitted, so where a job's end
falls in the polling cycle is set by how long the job took: servers take a random
``--min-stop``..``--max-stop`` seconds to power off, a spread wider than the interval, so job ends
land all over the cycle, as they do in production. Each phase (the small requests, the big one)
gets its own fresh bot, fake Slack workspace and simulator, so one phase's Slack rate-limit budget
does not spill into the next.

Clock alignment: the simulator and the fake Slack both stamp with this process's ``time.time()``.
The simulator's job ``end`` is the instant its last sub-job ended (the scheduled event time, even
though the simulator applies events lazily on the next read); the fake Slack, built with
``clock=time.time``, stamps each Web API call when the HTTP request reaches it. So

    delay = Call.at(first "Results" part, chat.postMessage) - max(job.end over the request's jobs)

It also counts BMS calls (from the simulator's request log) and Slack calls (by channel: each
request runs in its own channel) per job and per request.

    .venv/bin/python bench/result_delay.py [--requests 20] [--poll-interval 5.0 1.0] [--big]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._counts import Tracked, bms_counts, first_parts, slack_counts
from bench._support import (
    SHARED_CORES_NOTE,
    environment,
    production_overrides,
    quiet_logs,
    secs,
    summarise,
    table,
    write_results,
)
from bot.ids import ActionId
from tests.fakes.slack_api import FakeSlack
from tests.support.harness import Bot, button_value, new_simulator, running_bot

CLOCK_NOTE = (
    "delay = fake Slack's arrival time of the first Results part - the simulator's end time of "
    "the request's last job; both are time.time() in this one process"
)


def seed(bot: Bot, n: int, prefix: str, rng: random.Random, args: Any) -> list[str]:
    """Servers that each take their own random time to power off."""
    return [
        bot.sim.add_server(
            name=f"{prefix}-{i:04d}", stop_seconds=rng.uniform(args.min_stop, args.max_stop)
        ).id
        for i in range(1, n + 1)
    ]


async def drive(bot: Bot, req: Tracked, wait: float) -> None:
    """Preview and confirm, the way a person would."""
    bot.slack.add_channel(req.channel, name=req.channel.lower())
    response, url = await bot.command(f"stop {' '.join(req.server_ids)}", channel=req.channel)
    if response.status_code != 200:
        raise RuntimeError(f"{req.label}: command answered {response.status_code}")
    await bot.slack.wait_for(lambda: bool(bot.responses(url)), timeout=wait)
    request_id = button_value(bot.responses(url)[0].blocks or [])
    if request_id is None:
        raise RuntimeError(f"{req.label}: no preview buttons: {bot.responses(url)[0].text}")
    click, click_url = await bot.click(ActionId.CONFIRM, request_id, channel=req.channel)
    if click.status_code != 200:
        raise RuntimeError(f"{req.label}: click answered {click.status_code}")
    req.urls, req.request_id = (url, click_url), request_id


async def settle(bot: Bot, reqs: list[Tracked], wait: float, grace: float) -> int:
    """Wait for every first Results part, then up to ``grace`` s for the bot to finish them all.

    Returns how many requests were still being finished (typically their last root-message edit
    waiting out a chat.update Retry-After); the delay does not depend on those edits.
    """
    deps = bot.runtime.deps
    assert deps is not None  # the runtime is started
    try:
        await bot.slack.wait_for(
            lambda: {r.request_id for r in reqs} <= first_parts(bot.slack).keys(),
            timeout=wait,
        )
    except AssertionError:
        print(f"warning: some results not posted within {wait:.0f} s", file=sys.stderr)
    with contextlib.suppress(AssertionError):
        await bot.slack.wait_for(lambda: not deps.watcher.watching(), timeout=grace)
    for req in reqs:
        record = await deps.store.load(req.request_id)
        req.job_ids = record.job_ids if record else ()
    return len(deps.watcher.watching())


def delays(bot: Bot, reqs: list[Tracked]) -> list[float]:
    jobs, posts = bot.sim.jobs, first_parts(bot.slack)
    out = []
    for req in reqs:
        posted = posts.get(req.request_id)
        ends = [jobs[j].end for j in req.job_ids]
        if posted is not None and ends and all(e is not None for e in ends):
            out.append(posted - max(e for e in ends if e is not None))
    return out


async def drive_all(bot: Bot, label: str, sizes: list[int], args: Any) -> dict[str, Any]:
    rng = random.Random(f"{args.seed}-{label}")
    reqs = []
    for i, n in enumerate(sizes, start=1):
        prefix = f"{label}{i:02d}"
        reqs.append(Tracked(prefix, f"CB{label.upper()}{i:04d}", seed(bot, n, prefix, rng, args)))
    interval = bot.runtime.settings.bms_poll_interval
    started = time.time()
    await asyncio.gather(*(drive(bot, r, args.timeout) for r in reqs))
    # Long enough for the slowest job plus two poll ticks; later than that counts as missing.
    wait = args.init_seconds + args.max_stop + 2 * interval + args.slack_seconds
    unfinished = await settle(bot, reqs, wait, args.grace)
    measured = delays(bot, reqs)
    return {
        "requests": len(reqs),
        "servers": sum(sizes),
        "seconds": time.time() - started,
        "results_wait_seconds": wait,
        "missing_results": len(reqs) - len(measured),
        "still_finishing": unfinished,
        "delay": summarise(measured),
        "bms": bms_counts(bot.sim.request_log, reqs),
        "slack": slack_counts(bot.slack, bot.slack.calls, reqs),
    }


async def run_phase(interval: float, label: str, sizes: list[int], args: Any) -> dict[str, Any]:
    """One phase on a fresh bot, fake Slack and simulator."""
    sim = new_simulator(init_seconds=args.init_seconds)
    slack = FakeSlack(clock=time.time, rate_limits={} if args.no_slack_limits else None)
    overrides = production_overrides(bms_poll_interval=interval)
    executor_log = logging.getLogger("apscheduler.executors.default")
    level = executor_log.level
    with tempfile.TemporaryDirectory(prefix="bms-bench-") as tmp:
        try:
            async with running_bot(tmp, sim=sim, slack=slack, **overrides) as bot:
                try:
                    return await drive_all(bot, label, sizes, args)
                finally:
                    # Polls still sleeping out a Slack Retry-After are cancelled by the shutdown
                    # and APScheduler logs each as an error: expected here, so not shown.
                    executor_log.setLevel(logging.CRITICAL)
        finally:
            executor_log.setLevel(level)


async def run_interval(interval: float, args: Any) -> dict[str, Any]:
    sizes = [random.Random(args.seed).randint(1, 5) for _ in range(args.requests)]
    phases = {"small": await run_phase(interval, "s", sizes, args)}
    if args.big:
        phases["big"] = await run_phase(interval, "b", [args.big_size], args)
    return {"poll_interval": interval, "phases": phases}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    runs = [await run_interval(interval, args) for interval in args.poll_interval]
    return {
        "benchmark": "result_delay",
        "environment": environment(),
        "options": vars(args),
        "clock": CLOCK_NOTE,
        "runs": runs,
    }


def phase_rows(result: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in result["runs"]:
        for name, phase in run["phases"].items():
            d = phase["delay"]
            what = f"{phase['requests']} req / {phase['servers']} srv"
            rows.append(
                [f"poll {run['poll_interval']:g} s, {name}", what, d["n"], phase["missing_results"]]
                + [secs(d[k]) for k in ("min", "p50", "p90", "p99", "max")]
            )
    return rows


def call_rows(result: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in result["runs"]:
        for name, phase in run["phases"].items():
            bms, per_job = phase["bms"], phase["bms"]["get_job_per_job"]
            rows.append(
                [
                    f"poll {run['poll_interval']:g} s, {name}",
                    bms["jobs"],
                    f"{per_job['mean']:.1f} ({per_job['min']:.0f}-{per_job['max']:.0f})",
                    f"{bms['post_action_per_job'] or 0:.2f}",
                    f"{bms['get_server_per_request']['mean']:.1f}",
                    f"{bms['get_list_per_request'] or 0:.1f}",
                    bms["by_kind"].get("throttled (429)", 0),
                ]
            )
    return rows


def slack_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for run in result["runs"]:
        for name, phase in run["phases"].items():
            mean = phase["slack"]["mean_per_request"]
            shown = ", ".join(f"{m} {v:.1f}" for m, v in mean.items())
            refused = phase["slack"]["refused"] or "none"
            lines.append(
                f"  poll {run['poll_interval']:g} s, {name}: {shown}; refused calls: {refused}; "
                f"requests still finishing at shutdown: {phase['still_finishing']}"
            )
    return lines


def report(result: dict[str, Any]) -> str:
    opts = result["options"]
    headers = ["", "requests", "n", "missing", "min", "p50", "p90", "p99", "max"]
    lines = [
        table(
            "Job end -> first Results part in the thread (seconds; servers take "
            f"{opts['min_stop']:g}-{opts['max_stop']:g} s to stop)",
            headers,
            phase_rows(result),
        ),
        "",
        table(
            "BMS calls (simulator request log)",
            ["", "jobs", "GET job/job", "POST/job", "GET srv/req", "list/req", "429s"],
            call_rows(result),
        ),
        "",
        "Slack calls per request (mean, by method):",
        *slack_lines(result),
        "",
        f"clock: {CLOCK_NOTE}",
        "polling alone adds ~interval/2 on average (uniform 0..interval) to the delay",
        "missing: no first Results part within the results wait (see JSON results_wait_seconds)",
        f"note: {SHARED_CORES_NOTE}",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="small requests (1-5 servers)")
    parser.add_argument(
        "--poll-interval", type=float, nargs="+", default=[5.0, 1.0], help="one run per value (s)"
    )
    parser.add_argument("--big", action="store_true", help="add one request of --big-size servers")
    parser.add_argument("--big-size", type=int, default=1500)
    parser.add_argument("--init-seconds", type=float, default=0.2, help="job INIT before RUNNING")
    parser.add_argument("--min-stop", type=float, default=1.0, help="server power-off time (s)")
    parser.add_argument("--max-stop", type=float, default=8.0)
    parser.add_argument("--no-slack-limits", action="store_true", help="lift chat.update 50/min")
    parser.add_argument("--timeout", type=float, default=30.0, help="wait for each preview (s)")
    parser.add_argument(
        "--slack-seconds",
        type=float,
        default=10.0,
        help="results wait = init + max stop + 2 poll intervals + this; later counts as missing",
    )
    parser.add_argument(
        "--grace", type=float, default=5.0, help="after the results, wait for final edits (s)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-level", default="ERROR", help="bot log level shown on stderr")
    args = parser.parse_args(argv)
    if not 0 <= args.min_stop <= args.max_stop:
        parser.error("need 0 <= --min-stop <= --max-stop")
    return args


if __name__ == "__main__":
    options = parse_args()
    quiet_logs(options.log_level)
    outcome = asyncio.run(main(options))
    print(report(outcome))
    print(f"\nJSON: {write_results('result_delay', outcome)}")
