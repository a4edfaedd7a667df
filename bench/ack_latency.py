"""Ack latency of a burst of concurrent ``/bms stop <ids>`` slash commands, and the preview latency.

The real bot runs in HTTP mode (Bolt verifies every signature) with a SQLite file database in a
temporary directory, against the fake Slack and the BMS simulator, all on 127.0.0.1. By default
(``--process``) the bot is the real ``bms-bot`` console script in its own process, so its CPU time
and peak memory are read apart from this process's (fakes and load generator); ``--in-process``
runs it on this process's event loop instead, as the scenario tests do. Each command names 2-5
seeded servers, is signed like Slack signs it, and is POSTed concurrently with one
httpx.AsyncClient. Two latencies per command, both from the moment its POST starts:

* ack: until the HTTP response (Slack's 3-second budget applies to this one);
* preview: until the bot's preview reached the command's response_url at the fake Slack (the fake
  stamps every post with ``time.perf_counter``, the same clock the client uses; both stay in this
  process in either mode).

    .venv/bin/python bench/ack_latency.py [--process | --in-process] [--commands 200] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench._support import (
    SHARED_CORES_NOTE,
    environment,
    ms,
    peak_rss_mib,
    quiet_logs,
    summarise,
    table,
    write_results,
)
from bench._targets import CHILD_PROCESS_NOTE, Meter, Target, child_process, in_process
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import CHANNEL, SignedRequest, slash_command
from tests.support.harness import button_value, new_simulator

UNLIMITED = 10**9
SLACK_ACK_BUDGET = 3.0  # Slack shows the user an error when the ack takes longer
PROCESS, IN_PROCESS = "process", "in-process"


@dataclass
class Shot:
    """One slash command: what is sent, and what was measured."""

    url: str
    request: SignedRequest
    ids: int
    sent: float = 0.0
    ack: float | None = None
    status: int | None = None
    error: str | None = None


def prepare(
    slack: FakeSlack, pool: list[str], rng: random.Random, args: argparse.Namespace
) -> list[Shot]:
    """Sign every command before the clock starts, so signing is not part of the latency."""
    shots = []
    for _ in range(args.commands):
        ids = rng.sample(pool, rng.randint(args.min_ids, args.max_ids))
        url = slack.new_response_url("commands")
        request = slash_command(f"stop {' '.join(ids)}", channel_id=CHANNEL, response_url=url)
        shots.append(Shot(url, request, len(ids)))
    return shots


async def fire(client: httpx.AsyncClient, shots: list[Shot], concurrency: int) -> float:
    """POST every command, at most ``concurrency`` in flight; return the wall time it took."""
    gate = asyncio.Semaphore(concurrency)

    async def one(shot: Shot) -> None:
        async with gate:
            shot.sent = time.perf_counter()
            try:
                response = await client.post(
                    "/slack/events", content=shot.request.body, headers=shot.request.headers
                )
            except httpx.HTTPError as exc:
                shot.error = type(exc).__name__
                return
            shot.ack, shot.status = time.perf_counter() - shot.sent, response.status_code
            if response.status_code != 200:
                shot.error = f"HTTP {response.status_code}"

    started = time.perf_counter()
    await asyncio.gather(*(one(s) for s in shots))
    return time.perf_counter() - started


def arrivals(slack: FakeSlack) -> dict[str, tuple[float, Any]]:
    """First accepted post per response_url: (arrival time, the post).

    The fake appends an accepted post to ``responses`` and records its ``Call`` in the same
    synchronous step, so the n-th accepted ``response_url`` call is the n-th post.
    """
    calls = [c for c in slack.calls if c.method == "response_url" and c.ok]
    first: dict[str, tuple[float, Any]] = {}
    for call, post in zip(calls, slack.responses, strict=True):
        first.setdefault(post.url, (call.at, post))
    return first


def tally_previews(
    shots: list[Shot], seen: dict[str, tuple[float, Any]]
) -> tuple[list[float], int, int]:
    """Preview latencies, commands with no answer, and answers without a Confirm button."""
    previews, missing, not_preview = [], 0, 0
    for shot in shots:
        if shot.url not in seen:
            missing += 1
            continue
        at, post = seen[shot.url]
        if button_value(post.blocks or []) is None:
            not_preview += 1  # an error message instead of a preview with its Confirm button
        previews.append(at - shot.sent)
    return previews, missing, not_preview


async def run_round(
    bot: Target,
    slack: FakeSlack,
    client: httpx.AsyncClient,
    pool: list[str],
    *,
    rng: random.Random,
    args: Any,
) -> dict[str, Any]:
    shots = prepare(slack, pool, rng, args)
    wanted = {s.url for s in shots}
    meter = Meter(bot)
    burst = await fire(client, shots, args.concurrency)
    with contextlib.suppress(AssertionError):  # counted below as missing previews
        await slack.wait_for(
            lambda: len(wanted & {r.url for r in slack.responses}) == len(wanted),
            timeout=args.timeout,
        )
    measured = meter.read()
    previews, missing, not_preview = tally_previews(shots, arrivals(slack))
    acks = [s.ack for s in shots if s.ack is not None]
    return {
        "commands": len(shots),
        "ids_total": sum(s.ids for s in shots),
        "burst_seconds": burst,
        **measured,
        "ack": summarise(acks),
        "preview": summarise(previews),
        "all_previews_seconds": max(previews) if previews else None,
        "acks_over_3s": sum(1 for a in acks if a > SLACK_ACK_BUDGET),
        "errors": {
            "ack": sum(1 for s in shots if s.error),
            "ack_kinds": sorted({s.error for s in shots if s.error}),
            "preview_missing": missing,
            "preview_not_a_preview": not_preview,
        },
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    # Lifts the simulated gateway's per-minute limits: this measures the bot, not Huawei's throttle.
    sim = new_simulator(limits={"server": UNLIMITED, "list": UNLIMITED})
    pool = [s.id for s in sim.seed(args.servers)]
    slack = FakeSlack(clock=time.perf_counter)
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    start_bot = child_process if args.mode == PROCESS else in_process
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bms-bench-") as tmp:
        async with (
            start_bot(Path(tmp), sim, slack, args.log_level) as bot,
            httpx.AsyncClient(base_url=bot.url, limits=limits, timeout=30) as client,
        ):
            for _ in range(args.rounds):
                rounds.append(await run_round(bot, slack, client, pool, rng=rng, args=args))
            bms_calls = len(sim.request_log)
            bot_facts = bot.facts()  # before the child exits and its /proc entry goes
    note = CHILD_PROCESS_NOTE if args.mode == PROCESS else SHARED_CORES_NOTE
    return {
        "benchmark": "ack_latency",
        "mode": args.mode,
        "environment": environment(note),
        "options": vars(args),
        "rounds": rounds,
        "bms_calls_total": bms_calls,
        "peak_rss_mib": peak_rss_mib(),
        **bot_facts,
    }


def report(result: dict[str, Any]) -> str:
    rows = []
    for n, r in enumerate(result["rounds"], start=1):
        for kind in ("ack", "preview"):
            s = r[kind]
            rows.append(
                [
                    f"round {n} {kind}",
                    s["n"],
                    ms(s["p50"]),
                    ms(s["p90"]),
                    ms(s["p99"]),
                    ms(s["max"]),
                ]
            )
    opts = result["options"]
    title = (
        f"/bms stop: {opts['commands']} commands x {opts['rounds']} round(s), "
        f"{opts['min_ids']}-{opts['max_ids']} ids each, concurrency {opts['concurrency']} "
        "(latency in ms from the start of each POST)"
    )
    lines = [table(title, ["", "n", "p50", "p90", "p99", "max"], rows), ""]
    for n, r in enumerate(result["rounds"], start=1):
        e = r["errors"]
        lines.append(
            f"round {n}: burst sent+acked in {r['burst_seconds']:.2f} s; all previews in "
            f"{ms(r['all_previews_seconds'] or float('nan'))} ms; acks over Slack's 3 s: "
            f"{r['acks_over_3s']}"
        )
        lines.append(cpu_line(n, r))
        kinds = f" {', '.join(e['ack_kinds'])}" if e["ack_kinds"] else ""
        lines.append(
            f"round {n} errors: ack {e['ack']}{kinds}, previews missing {e['preview_missing']}, "
            f"not a preview {e['preview_not_a_preview']}"
        )
    lines.append(f"BMS calls: {result['bms_calls_total']} (simulator per-minute limits lifted)")
    lines.extend(process_lines(result))
    return "\n".join(lines)


def cpu_line(n: int, r: dict[str, Any]) -> str:
    wall = f"in {r['round_seconds']:.1f} s wall"
    if r["bot_cpu_seconds"] is None:
        return f"round {n} CPU: {r['round_cpu_seconds']:.1f} s (bot + fakes + client) {wall}"
    return (
        f"round {n} CPU: bot {r['bot_cpu_seconds']:.1f} s, benchmark process (fakes + client) "
        f"{r['round_cpu_seconds']:.1f} s, {wall}"
    )


def process_lines(result: dict[str, Any]) -> list[str]:
    """Peak memory, and where the bot ran."""
    if result["mode"] == IN_PROCESS:
        return [
            f"peak RSS: {result['peak_rss_mib']:.1f} MiB for the whole process",
            f"note: {SHARED_CORES_NOTE}",
        ]
    return [
        f"bot process: peak RSS {result['bot_peak_rss_mib']:.1f} MiB (VmHWM), CPU "
        f"{result['bot_cpu_seconds_total']:.1f} s since it started (start-up included), "
        f"{result['bot_log_lines']} log lines",
        f"benchmark process: peak RSS {result['peak_rss_mib']:.1f} MiB (fakes + client)",
        f"note: {CHILD_PROCESS_NOTE}",
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200, help="slash commands per round")
    parser.add_argument("--concurrency", type=int, default=None, help="in flight (default: all)")
    parser.add_argument("--rounds", type=int, default=1, help="bursts, one after another")
    parser.add_argument("--servers", type=int, default=300, help="servers seeded in the simulator")
    parser.add_argument("--min-ids", type=int, default=2)
    parser.add_argument("--max-ids", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0, help="wait for previews (s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the id choice")
    parser.add_argument(
        "--log-level",
        help="bot log level: in-process, shown on stderr (default ERROR); as a child process, "
        "its LOG_LEVEL, written to a log file in the temporary directory (default: the bot's "
        "own default, INFO)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--process",
        dest="mode",
        action="store_const",
        const=PROCESS,
        default=PROCESS,
        help="run the bot as its own bms-bot process (the default)",
    )
    where.add_argument(
        "--in-process",
        dest="mode",
        action="store_const",
        const=IN_PROCESS,
        help="run the bot on the benchmark's own event loop, next to the fakes and the client",
    )
    args = parser.parse_args(argv)
    args.concurrency = args.concurrency or args.commands
    if not 1 <= args.min_ids <= args.max_ids <= args.servers:
        parser.error("need 1 <= --min-ids <= --max-ids <= --servers")
    return args


if __name__ == "__main__":
    options = parse_args()
    quiet_logs(options.log_level or "ERROR")
    outcome = asyncio.run(main(options))
    print(report(outcome))
    print(f"\nJSON: {write_results('ack_latency', outcome)}")
