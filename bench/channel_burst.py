"""Many stops confirmed at once in one Slack channel, at Slack's real limits.

The real bot (``Runtime`` in this process, HTTP mode, SQLite file, production settings) against
the fake Slack enforcing ``chat.postMessage``'s post a second per channel (a burst of 5) and
``chat.update``'s Tier 3 (50 a minute), and the BMS simulator. ``--confirmations`` stops of one
server each are previewed and clicked together in one channel; each makes a root, a job note,
progress edits, a final edit and its results. It reports Slack's 429s by method, how many roots
and result parts landed (each exactly once), any "click Stop again", and the time from the clicks
to the last result and to the last final edit.

    .venv/bin/python bench/channel_burst.py [--confirmations 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
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
from bot.ids import ActionId, MetadataEvent
from tests.fakes.slack_api import FakeSlack
from tests.support.harness import new_simulator, running_bot, texts


async def run(confirmations: int) -> dict[str, Any]:
    sim = new_simulator(stop_seconds=2.0, limits={"stop": 1000})
    slack = FakeSlack(clock=time.time)
    settings = production_overrides(bms_stop_calls_per_minute=1000)
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), sim=sim, slack=slack, **settings) as bot:
            servers = bot.sim.seed(confirmations)
            previews = await asyncio.gather(*(bot.preview(f"stop {s.id}") for s in servers))
            ids = [str(request_id) for _, request_id in previews]
            clicked = time.time()
            await asyncio.gather(*(bot.click(ActionId.CONFIRM, i) for i in ids))
            states = await asyncio.gather(*(bot.settled(i, within=900) for i in ids))
            parts = [
                c
                for c in slack.calls_to("chat.postMessage")
                if c.ok
                and (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.RESULT_PART
            ]
            edits = [c for c in slack.calls_to("chat.update") if c.ok]
            said = " ".join(r.text + texts(r.blocks) for r in slack.responses)
            return {
                "confirmations": confirmations,
                "finished": sum(1 for s in states if s is RequestState.FINISHED),
                "roots": len(bot.root_messages()),
                "result_parts": len(parts),
                "parts_per_request": sorted(
                    Counter(
                        c.args["metadata"]["event_payload"]["request_id"] for c in parts
                    ).values()
                ),
                "slack_429_by_method": dict(
                    Counter(c.method for c in slack.calls if c.error == "ratelimited")
                ),
                "click_again": said.count("Stop again"),
                "clicks_to_last_result": (max(c.at for c in parts) - clicked) if parts else None,
                "clicks_to_last_edit": (max(c.at for c in edits) - clicked) if edits else None,
                "chat_update_calls": len(edits),
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--confirmations", type=int, default=20)
    parser.add_argument("--log-level", default="error")
    args = parser.parse_args()
    quiet_logs(args.log_level)
    f = asyncio.run(run(args.confirmations))
    once = set(f["parts_per_request"]) == {1}
    rows = [
        ("confirmations in one channel", f["confirmations"]),
        ("finished", f["finished"]),
        ("roots posted", f["roots"]),
        (
            "result parts (each request exactly once)",
            f"{f['result_parts']} ({'yes' if once else 'NO'})",
        ),
        ("Slack 429s", f["slack_429_by_method"] or 0),
        ('"click Stop again"', f["click_again"]),
        ("clicks → last result", secs(f["clicks_to_last_result"] or float("nan")) + " s"),
        ("clicks → last root edit", secs(f["clicks_to_last_edit"] or float("nan")) + " s"),
        ("chat.update calls", f["chat_update_calls"]),
    ]
    print(table("Confirmations in one channel at Slack's pace", ("figure", "value"), rows))
    print(SHARED_CORES_NOTE)
    path = write_results("channel_burst", {"environment": environment(), "figures": f})
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
