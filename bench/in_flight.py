"""A thousand stop requests in flight at once: poll lag, cost, memory, and the ack path beside them.

The real ``bms-bot`` runs as its own process (HTTP mode, real signature checks, SQLite file, the
production timings of ``bot/settings.py``, ``BMS_JOB_QUERIES_PER_MINUTE=2000``) against the fake
Slack (its real limits: a post a second per channel, ``chat.update`` Tier 3) and the BMS simulator
(Huawei's job-query limit of 2,000 a minute on), all on 127.0.0.1. A bare Bolt ``AsyncApp`` that
only acks (``bench/bare_bolt.py``) runs as a second process.

1. ``--requests`` (1,000) requests of ``--servers-each`` (10) servers, each in its own channel, are
   previewed and confirmed the way a person would; servers take ``--min-stop``..``--max-stop``
   seconds (minutes) to power off, so every job is still running when the last one is sent. Only
   to get them all in flight within a minute or two, the stop-call and server-read limits are
   lifted in the simulator and the bot (``BMS_STOP_CALLS_PER_MINUTE``); ``big_stop.py`` and the
   stop-pacing tests measure stop pacing at 50 a minute. The job-query limit, which is what a
   thousand polling jobs press on, stays at 2,000.
2. While all of them poll, ``--rounds`` bursts of ``--commands`` (200) concurrent ``/bms stop``
   commands go to the bare app and to the bot in turn (bare, bot, bare, bot, ...), signed alike:
   ack p50/p99 of each, and the ratio of the bot's to the bare app's.
3. Every job ends; for each request the delay from its job's end (the simulator's clock) to its
   first Results part in the thread (the fake Slack's clock, both ``time.time`` in this process),
   set against the floor the rate limit allows: with N jobs in flight (those still running when
   the last stop call went out) a full round of job queries takes at least N / 2,000 minutes
   (never less than ``BMS_POLL_INTERVAL``).

Also: BMS calls per job, Slack calls per request, Huawei's and Slack's 429s, and the bot's RSS and
database size sampled every few seconds (peak and at the end).

    .venv/bin/python bench/in_flight.py [--requests 1000] [--commands 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import _proc
from bench._counts import Tracked, bms_counts, first_parts, slack_counts
from bench._support import (
    RESULTS_DIR,
    environment,
    ms,
    quiet_logs,
    secs,
    summarise,
    table,
    write_results,
)
from bench._targets import STARTUP_SECONDS, production_env
from bench.ack_latency import Shot, fire, prepare
from bot.ids import ActionId
from simulator.runner import start_simulator
from simulator.state import Simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, block_action, slash_command
from tests.support.bot_process import BotProcess, bot_env, free_port
from tests.support.harness import button_value, new_simulator

UNLIMITED = 10**9
JOB_QUERIES_PER_MINUTE = 2000
BARE_BOLT = Path(__file__).resolve().parent / "bare_bolt.py"
NOTE = (
    "the bot and the bare Bolt app each run as their own process; fake Slack, BMS simulator and "
    "load generator share the benchmark process; all on 127.0.0.1, competing for the same cores"
)


@dataclass
class Samples:
    """The bot's resident memory and database size, read every few seconds."""

    rss_mib: list[float] = field(default_factory=list)
    db_mib: list[float] = field(default_factory=list)

    def take(self, pid: int, db: Path) -> None:
        self.rss_mib.append(_proc.rss_mib(pid))
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        self.db_mib.append(sum(f.stat().st_size for f in files if f.exists()) / 2**20)


class Driver:
    """Slack's side of the bot: signed commands and clicks, and an index of what came back."""

    def __init__(self, slack: FakeSlack, client: httpx.AsyncClient) -> None:
        self.slack, self.client = slack, client
        self._seen = 0
        self._first: dict[str, Any] = {}

    def first_response(self, url: str) -> Any:
        for post in self.slack.responses[self._seen :]:
            self._first.setdefault(post.url, post)
        self._seen = len(self.slack.responses)
        return self._first.get(url)

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post("/slack/events", content=body, headers=headers)

    async def confirm(self, req: Tracked, wait: float) -> None:
        """Preview the stop and click its Stop button, as a person would."""
        url = self.slack.new_response_url("commands")
        text = f"stop {' '.join(req.server_ids)} reason: bench"
        ack = await self.post(*slash_command(text, channel_id=req.channel, response_url=url))
        if ack.status_code != 200:
            raise RuntimeError(f"{req.label}: command answered {ack.status_code}")
        deadline = time.monotonic() + wait
        while (preview := self.first_response(url)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{req.label}: no preview within {wait:.0f} s")
            await asyncio.sleep(0.05)
        request_id = button_value(preview.blocks or [])
        if request_id is None:
            raise RuntimeError(f"{req.label}: no preview buttons: {preview.text}")
        click_url = self.slack.new_response_url("actions")
        click = block_action(
            ActionId.CONFIRM,
            request_id,
            channel_id=req.channel,
            response_url=click_url,
            message_ts="1764255601.000200",
            trigger_id=self.slack.mint_trigger_id(),
        )
        answer = await self.post(*click)
        if answer.status_code != 200:
            raise RuntimeError(f"{req.label}: click answered {answer.status_code}")
        req.urls, req.request_id = (url, click_url), request_id


def seed_requests(sim: Simulator, args: argparse.Namespace, slack: FakeSlack) -> list[Tracked]:
    rng = random.Random(args.seed)
    reqs = []
    for i in range(1, args.requests + 1):
        label = f"r{i:04d}"
        ids = []
        for n in range(1, args.servers_each + 1):
            server = sim.add_server(name=f"{label}-{n:02d}")
            server.stop_seconds = rng.uniform(args.min_stop, args.max_stop)
            ids.append(server.id)
        channel = f"CF{i:07d}"
        slack.add_channel(channel, name=f"incident-{i}")
        reqs.append(Tracked(label, channel, ids))
    return reqs


@contextlib.asynccontextmanager
async def bare_bolt(slack: FakeSlack, tmp: Path) -> AsyncIterator[str]:
    """``bench/bare_bolt.py`` as a child process; yields its URL once it listens."""
    port = free_port()
    env = {
        "PATH": "",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
    }
    with (tmp / "bare.log").open("wb") as log:
        process = _spawn([sys.executable, str(BARE_BOLT), "--port", str(port)], env, log)
        try:
            url = f"http://127.0.0.1:{port}"
            await _wait_listening(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _spawn(argv: list[str], env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )


async def _wait_listening(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=url, timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"bare Bolt app exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                await client.get("/")
                return
            await asyncio.sleep(0.05)
    raise RuntimeError("bare Bolt app not listening")


async def burst(
    url: str, slack: FakeSlack, pool: list[str], rng: random.Random, args: Any
) -> list[Shot]:
    """One burst of concurrent slash commands, on a fresh connection pool of its own."""
    shots = prepare(slack, pool, rng, args)
    limits = httpx.Limits(max_connections=args.commands, max_keepalive_connections=args.commands)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await fire(client, shots, args.commands)
    return shots


async def ack_rounds(
    bot_url: str, bare_url: str, slack: FakeSlack, pool: list[str], args: Any
) -> dict[str, Any]:
    """Bare app and bot in turn, ``args.rounds`` bursts each, a short pause between bursts."""
    rng = random.Random(args.seed + 1)
    acks: dict[str, list[float]] = {"bare": [], "bot": []}
    errors = {"bare": 0, "bot": 0}
    per_round: list[dict[str, Any]] = []
    for n in range(1, args.rounds + 1):
        for name, url in (("bare", bare_url), ("bot", bot_url)):
            shots = await burst(url, slack, pool, rng, args)
            times = [s.ack for s in shots if s.ack is not None and s.error is None]
            errors[name] += sum(1 for s in shots if s.error)
            acks[name] += times
            per_round.append({"round": n, "target": name, "ack": summarise(times)})
            await asyncio.sleep(args.pause)
    overall = {name: summarise(values) for name, values in acks.items()}
    return {
        "rounds": per_round,
        "overall": overall,
        "errors": errors,
        "ratio_p50": overall["bot"]["p50"] / overall["bare"]["p50"],
        "ratio_p99": overall["bot"]["p99"] / overall["bare"]["p99"],
    }


def lags(
    sim: Simulator, slack: FakeSlack, reqs: list[Tracked], interval: float, in_flight: int
) -> dict[str, Any]:
    """Job end -> first Results part, and that delay over the floor the job-query limit sets
    for ``in_flight`` jobs: a full round of their queries takes N / 2,000 minutes."""
    posted = first_parts(slack)
    delays = []
    for req in reqs:
        ends = [sim.jobs[j].end for j in req.job_ids]
        if req.request_id in posted and ends and None not in ends:
            delays.append(posted[req.request_id] - max(e for e in ends if e is not None))
    floor = max(interval, in_flight * 60.0 / JOB_QUERIES_PER_MINUTE)
    return {
        "results": len(delays),
        "missing": len(reqs) - len(delays),
        "floor_seconds": floor,
        "delay": summarise(delays),
        "over_floor": summarise([d / floor for d in delays]),
    }


async def sample_forever(samples: Samples, pid: int, db: Path, every: float) -> None:
    while True:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            samples.take(pid, db)
        await asyncio.sleep(every)


async def wait_until(check: Any, timeout: float, what: str) -> bool:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            print(f"warning: {what} not within {timeout:.0f} s", file=sys.stderr)
            return False
        await asyncio.sleep(0.5)
    return True


async def drive_all(driver: Driver, reqs: list[Tracked], args: Any) -> float:
    gate = asyncio.Semaphore(args.drive_concurrency)
    started = time.monotonic()

    async def one(req: Tracked) -> None:
        async with gate:
            await driver.confirm(req, args.timeout)

    await asyncio.gather(*(one(r) for r in reqs))
    return time.monotonic() - started


def attach_jobs(sim: Simulator, reqs: list[Tracked]) -> None:
    owner = {sid: r for r in reqs for sid in r.server_ids}
    for job in sim.jobs.values():
        req = owner.get(job.server_ids[0])
        if req is not None:
            req.job_ids = (*req.job_ids, job.job_id)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    limits = {"stop": UNLIMITED, "server": UNLIMITED, "list": UNLIMITED}
    sim = new_simulator(limits=limits | {"job": JOB_QUERIES_PER_MINUTE})
    slack = FakeSlack(clock=time.time)
    reqs = seed_requests(sim, args, slack)
    pool = [s.id for s in sim.seed(args.pool, prefix="burst")]
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="bms-bench-") as tmp_name:
        tmp = Path(tmp_name)
        await slack.start()
        running = await start_simulator(sim)
        db = tmp / "bot.db"
        env = bot_env(
            slack.api_url,
            running.url,
            db,
            free_port(),
            **(
                production_env()
                | {
                    "BMS_JOB_QUERIES_PER_MINUTE": str(JOB_QUERIES_PER_MINUTE),
                    "BMS_STOP_CALLS_PER_MINUTE": str(UNLIMITED),
                    "BMS_JOB_TIMEOUT": str(int(args.max_stop * 3)),
                    "LOG_LEVEL": "WARNING",
                }
            ),
        )
        bot = BotProcess.start(env, tmp, "bms-bot")
        sampler: asyncio.Task[None] | None = None
        try:
            await bot.wait_healthy(timeout=STARTUP_SECONDS)
            pid = bot.process.pid
            sampler = asyncio.create_task(sample_forever(samples, pid, db, args.sample_every))
            limits_http = httpx.Limits(max_connections=args.drive_concurrency * 2)
            async with (
                bare_bolt(slack, tmp) as bare_url,
                httpx.AsyncClient(base_url=bot.url, limits=limits_http, timeout=60) as client,
            ):
                driver = Driver(slack, client)
                drive_seconds = await drive_all(driver, reqs, args)
                await wait_until(
                    lambda: len(sim.stop_calls) >= len(reqs), args.timeout, "every stop call"
                )
                sent_at = time.time()
                still_running = sum(1 for j in sim.jobs.values() if j.end is None)
                acks = await ack_rounds(bot.url, bare_url, slack, pool, args)
                attach_jobs(sim, reqs)
                wanted = {r.request_id for r in reqs}
                await wait_until(
                    lambda: wanted <= set(first_parts(slack)),
                    args.max_stop + 300,
                    "every result",
                )
                done_at = time.time()
            interval = float(env["BMS_POLL_INTERVAL"])
            samples.take(pid, db)
            peak_rss = _proc.peak_rss_mib(pid)
            bot_cpu = _proc.cpu_seconds(pid)
        finally:
            if sampler is not None:
                sampler.cancel()
            await bot.terminate()
            await running.close()
            await slack.close()
        log_lines = bot.logs().count("\n")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bot.log_path, RESULTS_DIR / "in_flight-bot.log")
    return {
        "benchmark": "in_flight",
        "environment": environment(NOTE),
        "options": vars(args),
        "drive_seconds": drive_seconds,
        "jobs_running_when_all_sent": still_running,
        "sent_to_last_result_seconds": done_at - sent_at,
        "acks": acks,
        "lag": lags(sim, slack, reqs, interval, still_running),
        "bms": bms_counts(sim.request_log, reqs),
        "slack": slack_counts(slack, slack.calls, reqs),
        "slack_429": sum(1 for c in slack.calls if c.error == "ratelimited"),
        "huawei_429": sum(1 for r in sim.request_log if r.status == 429),
        "bot_peak_rss_mib": peak_rss,
        "bot_rss_mib": {"max": max(samples.rss_mib), "end": samples.rss_mib[-1]},
        "db_mib": {"max": max(samples.db_mib), "end": samples.db_mib[-1]},
        "bot_cpu_seconds": bot_cpu,
        "bot_warning_lines": log_lines,
    }


def report(r: dict[str, Any]) -> str:
    opts, acks = r["options"], r["acks"]
    rows = []
    for row in acks["rounds"]:
        s = row["ack"]
        rows.append([f"round {row['round']} {row['target']}", s["n"], ms(s["p50"]), ms(s["p99"])])
    for name in ("bare", "bot"):
        s = acks["overall"][name]
        rows.append([f"all {name}", s["n"], ms(s["p50"]), ms(s["p99"])])
    lag, over = r["lag"]["delay"], r["lag"]["over_floor"]
    bms, per_job = r["bms"], r["bms"]["get_job_per_job"]
    slack_mean = ", ".join(f"{m} {v:.2f}" for m, v in r["slack"]["mean_per_request"].items())
    lines = [
        table(
            f"Ack of {opts['commands']} concurrent /bms stop while "
            f"{r['jobs_running_when_all_sent']} jobs poll (ms from the start of each POST)",
            ["", "n", "p50", "p99"],
            rows,
        ),
        f"ratio bot / bare Bolt: p50 {acks['ratio_p50']:.2f}, p99 {acks['ratio_p99']:.2f}; "
        f"ack errors: {acks['errors']}",
        "",
        f"{opts['requests']} requests x {opts['servers_each']} servers driven in "
        f"{r['drive_seconds']:.1f} s; last result {r['sent_to_last_result_seconds']:.0f} s after "
        "the last stop call",
        f"job end -> first Results part: n {lag['n']}, missing {r['lag']['missing']}, p50 "
        f"{secs(lag['p50'])} s, p99 {secs(lag['p99'])} s, max {secs(lag['max'])} s",
        f"  over the rate-limit floor ({r['jobs_running_when_all_sent']} jobs / 2,000 a minute ="
        f" {r['lag']['floor_seconds']:.1f} s): p50 {over['p50']:.2f}x, p99 {over['p99']:.2f}x, "
        f"max {over['max']:.2f}x",
        f"BMS: GET job per job mean {per_job['mean']:.1f} ({per_job['min']:.0f}-"
        f"{per_job['max']:.0f}); calls by kind {bms['by_kind']}",
        f"Slack calls per request (mean): {slack_mean}; refused: {r['slack']['refused'] or 'none'}",
        f"429s: Huawei {r['huawei_429']}, Slack {r['slack_429']}",
        f"bot: peak RSS {r['bot_peak_rss_mib']:.0f} MiB (VmHWM), RSS at the end "
        f"{r['bot_rss_mib']['end']:.0f} MiB; database max {r['db_mib']['max']:.1f} MiB, at the "
        f"end {r['db_mib']['end']:.1f} MiB; CPU {r['bot_cpu_seconds']:.0f} s; "
        f"{r['bot_warning_lines']} log lines at WARNING and above",
        f"note: {NOTE}",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="stop requests in flight")
    parser.add_argument("--servers-each", type=int, default=10)
    parser.add_argument("--min-stop", type=float, default=240.0, help="server power-off time (s)")
    parser.add_argument("--max-stop", type=float, default=330.0)
    parser.add_argument("--drive-concurrency", type=int, default=20, help="previews at once")
    parser.add_argument("--commands", type=int, default=200, help="slash commands per burst")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per target")
    parser.add_argument("--pause", type=float, default=2.0, help="between bursts (s)")
    parser.add_argument("--pool", type=int, default=300, help="servers the bursts name")
    parser.add_argument("--min-ids", type=int, default=2)
    parser.add_argument("--max-ids", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="wait for each preview (s)")
    parser.add_argument("--sample-every", type=float, default=5.0, help="RSS/DB samples (s)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.concurrency = args.commands  # what ack_latency.prepare/fire read
    return args


if __name__ == "__main__":
    options = parse_args()
    quiet_logs("ERROR")
    outcome = asyncio.run(run(options))
    print(report(outcome))
    print(f"\nJSON: {write_results('in_flight', outcome)}")
