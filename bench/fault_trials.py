"""Fault trials: the hunt that issue 6 came from, repeated against the bot as it is now.

Every trial runs the real bot over loopback against the fake Slack and the BMS simulator (the
kill and SIGTERM trials run the real ``bms-bot`` console script as a child process). It prints
what each class of fault ended in and writes the counts to ``bench/results/fault_trials.json``:

- lost answers: the stop took effect but its answer was lost (read timeout, unreadable 200,
  ``kill -9`` and SIGTERM during the POST): how many were settled from the servers as accepted;
  and stops that never reached Huawei: how many ended "not accepted" with a Submit again offer;
- fuzzed clicks (signed payloads of every wrong kind), forged requests (bad, garbage or stale
  signatures) and fuzzed commands: the HTTP statuses, and how many answers were "something went
  wrong";
- Slack losing the answer to a thread root: roots posted per request.

    .venv/bin/python bench/fault_trials.py [--trials 8] [--clicks 1000] [--forged 800]
        [--commands 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import quiet_logs, table, write_results
from bot.ids import ActionId
from simulator import start_simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import (
    CHANNEL,
    block_action,
    sign,
    slash_command,
)
from tests.support.bot_process import BotProcess, bot_env, free_port
from tests.support.fuzz import fuzzed_click_body
from tests.support.harness import Bot, button_value, new_simulator, running_bot, texts

FORM = "application/x-www-form-urlencoded"
ACCEPTED, NOT_ACCEPTED = "after all", "did not take the stop"


def thread_text(bot: Bot) -> str:
    return bot.thread_text()


async def lost_answer_in_process(tmp: Path, fault: str) -> str:
    """One stop whose answer is lost (or that never arrives); what the thread concluded."""
    tmp.mkdir(parents=True)  # noqa: ASYNC240 - a trial's own empty folder
    async with running_bot(tmp, bms_http_timeout=0.3) as bot:
        server = bot.sim.seed(1)[0]
        if fault == "read timeout":
            bot.sim.faults.add("stop", delay=3)
        elif fault == "unreadable 200":
            bot.sim.faults.add("stop", garble=True)
        else:  # "never arrived": a 500 before the stop ran
            bot.sim.faults.add("stop", 500, "BMS.9999", "Internal error")
        request_id, _ = await bot.confirm(f"stop {server.id}")
        await bot.settled(request_id, within=30)
        said = thread_text(bot)
        if ACCEPTED in said and server.status == "SHUTOFF":
            return "accepted"
        if NOT_ACCEPTED in said and not bot.sim.stop_calls:
            return "not accepted, offered again"
        return "unsettled"


async def lost_answer_in_child(tmp: Path, how: str) -> str:
    """``kill -9`` or SIGTERM of the real bot while Huawei holds the stop's answer."""
    slack = FakeSlack()
    await slack.start()
    slack.add_channel(CHANNEL, name="incident-42")
    sim = new_simulator(stop_seconds=0.2)
    running = await start_simulator(sim)
    env = bot_env(slack.api_url, running.url, tmp / "bot.db", free_port())
    bots: list[BotProcess] = []
    try:
        servers = sim.seed(2)
        sim.faults.add("stop", delay=30 if how == "kill -9" else 1.5)
        first = BotProcess.start(env, tmp, "first")
        bots.append(first)
        await first.wait_healthy()
        url = slack.new_response_url("commands")
        async with __import__("httpx").AsyncClient(base_url=first.url, timeout=5) as http:
            request = slash_command(f"stop {servers[0].id} {servers[1].id}", response_url=url)
            await http.post("/slack/events", content=request.body, headers=request.headers)
            await slack.wait_for(lambda: any(r.url == url for r in slack.responses))
            preview = next(r for r in slack.responses if r.url == url)
            request_id = button_value(preview.blocks or [])
            click = block_action(
                ActionId.CONFIRM,
                request_id or "",
                response_url=slack.new_response_url("a"),
                message_ts="1.2",
            )
            await http.post("/slack/events", content=click.body, headers=click.headers)
        await slack.wait_for(lambda: sim.stop_calls)
        if how == "kill -9":
            first.kill()
        else:
            first.process.terminate()
            await slack.wait_for(lambda: first.process.poll() is not None, timeout=20)
        with sqlite3.connect(tmp / "bot.db") as conn:
            state = conn.execute("SELECT state FROM stop_chunks").fetchone()[0]
        second = BotProcess.start(env, tmp, "second")
        bots.append(second)
        await second.wait_healthy()
        said = lambda: "\n".join(m.text + texts(m.blocks) for m in slack.messages.values())  # noqa: E731
        await slack.wait_for(lambda: "Results" in said(), timeout=30)
        stopped = all(s.status == "SHUTOFF" for s in servers) and len(sim.stop_calls) == 1
        if how == "SIGTERM":
            return "recorded with its job" if state == "submitted" and stopped else f"left {state}"
        return "accepted" if ACCEPTED in said() and stopped else "unsettled"
    finally:
        for bot in bots:
            await bot.terminate()
        await running.close()
        await slack.close()


def forged(rng: random.Random, body: bytes) -> dict[str, str]:
    headers = dict(sign(body, FORM).headers)
    kind = rng.choice(["garbage ts", "empty ts", "stale", "wrong secret", "no signature"])
    if kind == "garbage ts":
        headers["X-Slack-Request-Timestamp"] = rng.choice(["abc", "1e9", "-1", "9" * 30])
    elif kind == "empty ts":
        headers["X-Slack-Request-Timestamp"] = ""
    elif kind == "stale":
        headers = dict(sign(body, FORM, timestamp=int(time.time()) - 3600).headers)
    elif kind == "wrong secret":
        headers = dict(sign(body, FORM, signing_secret="guess").headers)
    else:
        headers.pop("X-Slack-Signature")
    return headers


def fuzzed_command(rng: random.Random, ids: list[str]) -> str:
    words = ["stop", "status", "help", "--soft", "--hard", "reason:", "<!channel>", "-" * 10,
             "`x`", "\u202e", "&lt;", "web-01", *ids]  # fmt: skip
    return " ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))


async def fuzz(tmp: Path, clicks: int, forged_count: int, commands: int) -> dict[str, Any]:
    rng = random.Random(6)
    async with running_bot(tmp) as bot:
        ids = [s.id for s in bot.sim.seed(3)]
        click_statuses: Counter[int] = Counter()
        for _ in range(clicks):
            request = sign(fuzzed_click_body(rng), FORM)
            click_statuses[(await bot.post(request.body, request.headers)).status_code] += 1
        forged_statuses: Counter[int] = Counter()
        for _ in range(forged_count):
            body = slash_command("help", response_url="https://hooks.slack.com/x").body
            forged_statuses[(await bot.post(body, forged(rng, body))).status_code] += 1
        command_statuses: Counter[int] = Counter()
        for _ in range(commands):
            url = bot.slack.new_response_url("commands")
            request = slash_command(fuzzed_command(rng, ids), response_url=url)
            command_statuses[(await bot.post(request.body, request.headers)).status_code] += 1
        await asyncio.sleep(2)  # let the answers after the acks arrive
        wrong = sum("went wrong" in texts(r.blocks) for r in bot.slack.responses)
    return {
        "clicks": dict(click_statuses),
        "forged": dict(forged_statuses),
        "commands": dict(command_statuses),
        "answers_something_went_wrong": wrong,
    }


async def lost_root(tmp: Path, trials: int) -> Counter[int]:
    """Slack stores the thread root but its answer is lost: roots per request."""
    roots: Counter[int] = Counter()
    for n in range(trials):
        (tmp / f"root{n}").mkdir()
        async with running_bot(tmp / f"root{n}") as bot:
            server = bot.sim.seed(1)[0]
            _, request_id = await bot.preview(f"stop {server.id}")
            bot.slack.fail_next("chat.postMessage", lose_answer=True)
            await bot.click(ActionId.CONFIRM, request_id or "")
            await bot.settled(request_id or "", within=30)
            roots[len(bot.root_messages())] += 1
    return roots


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"lost answers": {}}
    with tempfile.TemporaryDirectory(prefix="bms-faults-") as tmp:
        base = Path(tmp)
        for fault in ("read timeout", "unreadable 200", "never arrived"):
            outcomes: Counter[str] = Counter()
            for n in range(args.trials):
                outcomes[await lost_answer_in_process(base / f"{fault}{n}", fault)] += 1
            results["lost answers"][fault] = dict(outcomes)
        for how in ("kill -9", "SIGTERM"):
            outcomes = Counter()
            for n in range(args.child_trials):
                (base / f"{how}{n}").mkdir()
                outcomes[await lost_answer_in_child(base / f"{how}{n}", how)] += 1
            results["lost answers"][f"{how} during the POST"] = dict(outcomes)
        (base / "fuzz").mkdir()
        results["fuzz"] = await fuzz(base / "fuzz", args.clicks, args.forged, args.commands)
        results["roots per request, root answer lost"] = dict(await lost_root(base, args.trials))
    return results


def report(results: dict[str, Any]) -> str:
    rows = [[k, json.dumps(v)] for k, v in results["lost answers"].items()]
    fuzzed = results["fuzz"]
    roots = results["roots per request, root answer lost"]
    rows += [
        ["fuzzed clicks: HTTP statuses", json.dumps(fuzzed["clicks"])],
        ["forged requests: HTTP statuses", json.dumps(fuzzed["forged"])],
        ["fuzzed commands: HTTP statuses", json.dumps(fuzzed["commands"])],
        ['answers "something went wrong"', fuzzed["answers_something_went_wrong"]],
        ["roots per request (root answer lost)", json.dumps(roots)],
    ]
    return table("fault trials", ["trial", "outcome"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=8, help="in-process trials per fault")
    parser.add_argument("--child-trials", type=int, default=4, help="kill/SIGTERM trials each")
    parser.add_argument("--clicks", type=int, default=1000)
    parser.add_argument("--forged", type=int, default=800)
    parser.add_argument("--commands", type=int, default=5000)
    options = parser.parse_args()
    quiet_logs("CRITICAL")
    outcome = asyncio.run(main(options))
    print(report(outcome))
    print(f"JSON: {write_results('fault_trials', outcome)}")
