"""Delay from a scheduled stop's time to its stop POST reaching the simulator.

A fresh bot (production settings, one reminder 10 s before), fake Slack and BMS simulator run on
127.0.0.1. K scheduled stops of 1-3 servers each are previewed and clicked the way a person would
(``/bms stop <ids> in <lead>s``, then Schedule), each in its own channel, their times spread
``--stagger`` seconds apart so they do not all fall due at once. The bot's own alarms (APScheduler
date jobs rebuilt from the rows) wake them; nothing in the bench pokes the bot.

Clock alignment: the bot stores each schedule's time (``run_at``, epoch seconds, whole seconds);
the simulator is wrapped so that each ``os-stop`` it accepts is stamped with ``time.time()`` as it
arrives; both are this one process's clock, so

    delay = stamp of the request's stop POST - run_at

    .venv/bin/python bench/schedule_delay.py [--requests 20] [--lead 15] [--stagger 0.7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    environment,
    ms,
    production_overrides,
    quiet_logs,
    summarise,
    table,
    write_results,
)
from bot.ids import ActionId
from tests.support.harness import Bot, running_bot, value_of


async def schedule(bot: Bot, channel: str, ids: list[str], seconds: float) -> str:
    """Preview and click Schedule, as a person would; the request id."""
    bot.slack.add_channel(channel, name=channel.lower())
    _, url = await bot.command(f"stop {' '.join(ids)} in {round(seconds)}s", channel=channel)
    await bot.slack.wait_for(lambda: bool(bot.responses(url)), timeout=10)
    request_id = value_of(bot.responses(url)[0].blocks, ActionId.CONFIRM)
    if request_id is None:
        raise RuntimeError(f"{channel}: no Schedule button: {bot.responses(url)[0].text}")
    await bot.click(ActionId.CONFIRM, request_id, channel=channel)
    return request_id


async def run_times(bot: Bot, request_ids: list[str]) -> dict[str, float]:
    """Each request's stored time (``run_at``)."""
    assert bot.runtime.deps is not None
    due = {}
    for request_id in request_ids:
        row = await bot.runtime.deps.store.requests.get(request_id)
        assert row is not None
        assert row.run_at is not None
        due[request_id] = row.run_at
    return due


def stamp_stops(bot: Bot) -> dict[str, float]:
    """Server id → when the simulator accepted its stop (``time.time()``)."""
    stamps: dict[str, float] = {}
    accept = bot.sim.submit_stop

    def stamped(server_ids: list[str]) -> Any:
        now = time.time()
        stamps.update(dict.fromkeys(server_ids, now))
        return accept(server_ids)

    bot.sim.submit_stop = stamped  # type: ignore[method-assign]
    return stamps


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    overrides = production_overrides(bms_reminders="10s")
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), **overrides) as bot:
            stamps = stamp_stops(bot)
            requests: list[tuple[str, list[str]]] = []
            started = time.monotonic()
            for n in range(args.requests):
                ids = [s.id for s in bot.sim.seed(rng.randint(1, 3))]
                # Every time counts from the start, so the clicks' own duration does not bunch them.
                lead = args.lead + n * args.stagger - (time.monotonic() - started)
                requests.append((await schedule(bot, f"C{n:08d}", ids, lead), ids))
            due = await run_times(bot, [rid for rid, _ in requests])
            wait = max(due.values()) - time.time() + 30
            with contextlib.suppress(AssertionError):  # the table shows what did not stop
                await bot.slack.wait_for(
                    lambda: all(ids[0] in stamps for _, ids in requests), timeout=wait
                )
            delays = [stamps[ids[0]] - due[rid] for rid, ids in requests if ids[0] in stamps]
            early = [d for d in delays if d < 0]
            return {
                "environment": environment(),
                "requests": args.requests,
                "stopped": len(delays),
                "stop_calls": len(bot.sim.stop_calls),
                "early": len(early),
                "delay": summarise(delays),
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--lead", type=float, default=15.0, help="seconds to the first time")
    parser.add_argument("--stagger", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    quiet_logs(args.log_level)
    result = asyncio.run(run(args))
    d = result["delay"]
    print(
        table(
            "Scheduled time → stop POST (ms)",
            ["requests", "stopped", "stop calls", "early", "p50", "p90", "p99", "max"],
            [
                [
                    result["requests"],
                    result["stopped"],
                    result["stop_calls"],
                    result["early"],
                    ms(d["p50"]),
                    ms(d["p90"]),
                    ms(d["p99"]),
                    ms(d["max"]),
                ]
            ],
        )
    )
    print(f"results: {write_results('schedule_delay', result)}")


if __name__ == "__main__":
    main()
