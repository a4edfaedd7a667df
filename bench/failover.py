"""Leader failover: the time from ``kill -9`` of the leader to the first job poll by the new one.

Two real ``bms-bot`` processes share one fresh PostgreSQL database (production settings:
``BMS_LEADER_TIMEOUT=15``, ``BMS_POLL_INTERVAL=5``), with the fake Slack and the BMS simulator on
127.0.0.1. Each trial confirms a stop on the leader, waits for its first poll of the job (which
runs for minutes), kills the leader with SIGKILL and times, in this process, how long until the
simulator sees the next job query: it can only come from the follower, once it has taken the lock
and rebuilt the polls from the rows. The bound to compare against is ``BMS_LEADER_TIMEOUT``.

    BMS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/failover.py [--trials 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BMS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

from bench._support import environment, quiet_logs, secs, summarise, table, write_results
from tests.bot.test_runtime_replicas import own_database, replica, role_of
from tests.bot.test_runtime_restart import job_polls, world_of

LEADER_TIMEOUT = 15.0


async def trial(n: int) -> dict[str, float]:
    """One kill: (seconds to the new leader's first poll, to its /healthz saying leader)."""
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            own_database() as url,
            world_of(
                Path(tmp),
                stop_seconds=600,
                channel_name=f"failover-{n}",
                BMS_DATABASE_URL=url,
                BMS_POLL_INTERVAL="5",
                BMS_LEADER_TIMEOUT=str(LEADER_TIMEOUT),
                LOG_LEVEL="WARNING",
            ) as world,
        ):
            [server] = world.sim.seed(1)
            first = await replica(world, "first")
            second = await replica(world, "second")
            if await role_of(first) != "leader":
                raise RuntimeError("the first replica did not lead")
            request_id = await world.preview(first, f"stop {server.id}")
            await world.confirm(first, request_id)
            await world.wait_for(lambda: job_polls(world.sim) >= 1, timeout=20)
            before = job_polls(world.sim)
            first.kill()
            killed = time.monotonic()
            led: float | None = None
            while job_polls(world.sim) == before:
                if led is None and await role_of(second) == "leader":
                    led = time.monotonic() - killed
                if time.monotonic() - killed > 3 * LEADER_TIMEOUT:
                    raise RuntimeError(f"no poll after the kill\n{world.logs()}")
                await asyncio.sleep(0.01)
            polled = time.monotonic() - killed
            return {"first_poll": polled, "leader": led if led is not None else polled}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = [await trial(n) for n in range(args.trials)]
    return {
        "environment": environment(),
        "trials": args.trials,
        "leader_timeout": LEADER_TIMEOUT,
        "first_poll": summarise([r["first_poll"] for r in results]),
        "leader": summarise([r["leader"] for r in results]),
        "raw": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    quiet_logs(args.log_level)
    result = asyncio.run(run(args))
    rows = [
        [name, result["trials"], secs(d["p50"]), secs(d["max"]), secs(result["leader_timeout"])]
        for name, d in (
            ("to /readyz leader", result["leader"]),
            ("to first poll", result["first_poll"]),
        )
    ]
    print(table("kill -9 of the leader →", ["", "trials", "p50", "max", "bound"], rows))
    print(f"results: {write_results('failover', result)}")


if __name__ == "__main__":
    main()
