"""Fuzzed commands and clicks against the real bot on loopback: how many were answered, refused,
or went wrong.

The bot runs in-process (``tests/support/fuzz.py``'s ``BotThread``: its own event loop in a
background thread) against the fake Slack and the BMS simulator, with the simulator's per-minute
limits lifted. The cases come from the Hypothesis strategies the property tests use
(``tests/handlers/test_fuzz_properties.py``), generated only (no shrinking: this counts, it does
not stop at the first failure), each a correctly signed request over HTTP, one at a time:

- ``--cases`` ``/bms`` commands: any unicode, a grammar of realistic and hostile tokens, very long
  text. Each must get a 200 whose ack Slack would show, and its follow-up (the preview, the job's
  status) within a few seconds when one is due; "unanswered" counts those that did not.
- ``--cases`` clicks: every part of a ``block_actions`` payload of the wrong kind or missing,
  foreign ids, Alice's three live previews clicked by others or on buttons the bot has not got,
  junk instead of a payload. Each must be answered as ``bot/slack/inbound.py`` and Bolt decide
  (400 for a malformed payload, 404 for a button without a listener, else 200).

- ``--cases``/4 other interactions: modal submissions (the reject-reason modal among them),
  closed modals, shortcuts and the like, with parts broken.

None may ever be a 5xx, and no stop may reach the simulator (nobody clicks a valid Stop).
ERROR log lines are counted by logger and message: an "unexpected error" is a bug, even when the
HTTP answer was right. Figures go to ``bench/results/fuzz_inputs.json``.

    .venv/bin/python bench/fuzz_inputs.py [--cases 2000] [--seed N]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, seed, settings

from bench._support import quiet_logs, table, write_results
from bot.core.lifecycle import RequestState
from tests.support.fuzz import (
    SERVER_IDS,
    BotThread,
    click_forms,
    command_texts,
    fuzz_simulator,
    interaction_forms,
    junk_forms,
    send_click,
    send_command,
)


class ErrorLines(logging.Handler):
    """Counts ERROR (and worse) records by logger, message and the exception's type and text."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.name}: {record.getMessage().splitlines()[0][:60]}"
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            line += f" ({type(error).__name__}: {str(error)[:60]})"
        elif isinstance(getattr(record, "error", None), str):
            line += f" ({record.error[:60]})"  # the error handler's own failures carry it so
        self.seen[line] += 1


def run_cases(strategy: Any, cases: int, at_seed: int, check: Callable[[Any], None]) -> None:
    """``check`` each of ``cases`` values Hypothesis generates from ``strategy``."""

    # Generate only; every health check off: a benchmark counts, it does not judge the strategy.
    @seed(at_seed)
    @settings(
        max_examples=cases,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def each(value: Any) -> None:
        check(value)

    each()


def fuzz_commands(running: BotThread, cases: int, at_seed: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    tally: Counter[str] = Counter()

    def check(text: str) -> None:
        outcome = running.run(send_command(running.bot, text))
        statuses[outcome.status] += 1
        tally["unexpected status"] += outcome.status not in outcome.expected
        tally["unanswered"] += outcome.status == 200 and not outcome.answered
        tally["ack Slack would not show"] += outcome.status == 200 and bool(outcome.ack_problem)

    started = time.perf_counter()
    run_cases(command_texts(), cases, at_seed, check)
    return _figures(statuses, tally, started)


def fuzz_clicks(
    running: BotThread, cases: int, at_seed: int, previews: list[str]
) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    tally: Counter[str] = Counter()

    def check(form: dict[str, str]) -> None:
        outcome = running.run(send_click(running.bot, form))
        statuses[outcome.status] += 1
        tally["unexpected status"] += outcome.status not in outcome.expected
        tally["handled, no answer within 0.5 s"] += outcome.handled and not outcome.answered

    started = time.perf_counter()
    run_cases(click_forms(previews), cases - cases // 5, at_seed, check)
    run_cases(junk_forms(), cases // 5, at_seed, check)
    figures = _figures(statuses, tally, started)
    deps = running.bot.runtime.deps
    assert deps is not None
    rows = [running.run(deps.store.requests.get(request_id)) for request_id in previews]
    figures["previews still live"] = sum(
        row is not None and row.state is RequestState.PREVIEWED for row in rows
    )
    return figures


def fuzz_interactions(running: BotThread, cases: int, at_seed: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    tally: Counter[str] = Counter()

    def check(form: dict[str, str]) -> None:
        outcome = running.run(send_click(running.bot, form))
        statuses[outcome.status] += 1
        tally["unexpected status"] += outcome.status not in outcome.expected

    started = time.perf_counter()
    run_cases(interaction_forms(), cases, at_seed, check)
    return _figures(statuses, tally, started)


def _figures(statuses: Counter[int], tally: Counter[str], started: float) -> dict[str, Any]:
    return {
        "cases": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "5xx": sum(n for status, n in statuses.items() if status >= 500),
        **{name: tally[name] for name in sorted(tally)},
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(args: argparse.Namespace, errors: ErrorLines) -> dict[str, Any]:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bms-fuzz-") as tmp,
        BotThread(Path(tmp), sim=fuzz_simulator()) as running,
    ):
        previews = []
        for server_id in SERVER_IDS[:3]:
            _, request_id = running.run(running.bot.preview(f"stop {server_id}"))
            assert request_id, running.bot.slack.summary()
            previews.append(request_id)
        commands = fuzz_commands(running, args.cases, args.seed)
        clicks = fuzz_clicks(running, args.cases, args.seed, previews)
        others = fuzz_interactions(running, max(1, args.cases // 4), args.seed)
        stops = len(running.bot.sim.stop_calls)
    return {
        "seed": args.seed,
        "commands": commands,
        "clicks": clicks,
        "other interactions": others,
        "stop calls": stops,
        "error log lines": dict(errors.seen.most_common()),
        "seconds": round(time.perf_counter() - started, 2),
    }


def report(results: dict[str, Any]) -> str:
    groups = [results[name] for name in ("commands", "clicks", "other interactions")]

    def row(name: str, key: str) -> list[object]:
        return [name, *(figures.get(key, "-") for figures in groups)]

    rows = [
        row("cases tried", "cases"),
        ["HTTP statuses", *(_statuses(figures) for figures in groups)],
        row("5xx", "5xx"),
        row("status other than expected", "unexpected status"),
        row("unanswered", "unanswered"),
        row("ack Slack would not show", "ack Slack would not show"),
        row("handled, no answer within 0.5 s", "handled, no answer within 0.5 s"),
        row("previews still live (of 3)", "previews still live"),
        row("seconds", "seconds"),
    ]
    headers = ["", "commands", "clicks", "other interactions"]
    lines = [table(f"fuzzed inputs (seed {results['seed']})", headers, rows)]
    lines.append(f"stop calls that reached the simulator: {results['stop calls']}")
    lines.append(f"ERROR log lines: {sum(results['error log lines'].values())}")
    lines += [f"  {n:5d}  {line}" for line, n in results["error log lines"].items()]
    lines.append(f"total: {results['seconds']:.1f} s")
    return "\n".join(lines)


def _statuses(figures: dict[str, Any]) -> str:
    return " ".join(f"{status}:{n}" for status, n in figures["statuses"].items())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="commands, and as many clicks")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: random)")
    options = parser.parse_args()
    if options.seed is None:
        options.seed = random.SystemRandom().randrange(2**32)
    quiet_logs("CRITICAL")
    root = logging.getLogger()
    root.setLevel(logging.ERROR)  # ERROR records reach the counter below, not the screen
    for handler in root.handlers:
        handler.setLevel(logging.CRITICAL)
    error_lines = ErrorLines()
    root.addHandler(error_lines)
    outcome = main(options, error_lines)
    print(report(outcome))
    print(f"JSON: {write_results('fuzz_inputs', outcome)}")
