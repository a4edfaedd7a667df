"""Shared pieces of the benchmarks: percentiles, tables, JSON results, settings, and process facts.

Benchmarks measure; they never assert on timing. Everything runs on 127.0.0.1, and unless a
benchmark runs the bot as its own process (``ack_latency.py`` does by default), the bot (aiohttp +
Bolt), the fake Slack, the BMS simulator and the load generator share one process and one event
loop, so every figure includes the cost of the fakes and the client too.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import resource
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
SHARED_CORES_NOTE = (
    "bot, fake Slack, BMS simulator and load generator all run in ONE process and ONE event loop "
    "on 127.0.0.1; figures include the fakes' and the client's own CPU time"
)

# What production runs with unless .env says otherwise; the test harness shortens these for speed.
_PRODUCTION_FIELDS = (
    "bms_poll_interval",
    "bms_progress_interval",
    "bms_retry_attempts",
    "bms_retry_max_seconds",
    "bms_retry_base_delay",
    "bms_http_timeout",
    "bms_job_timeout",
    "bms_confirm_ttl",
)


def production_overrides(**changes: Any) -> dict[str, Any]:
    """Settings defaults as ``bot/settings.py`` declares them, undoing the harness's test values."""
    values = {name: Settings.model_fields[name].default for name in _PRODUCTION_FIELDS}
    return values | changes


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear between the closest ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(values: Sequence[float]) -> dict[str, float | int]:
    """Count, min, mean, p50/p90/p99 and max of ``values`` (NaN fields when empty)."""
    return {
        "n": len(values),
        "min": min(values) if values else math.nan,
        "mean": sum(values) / len(values) if values else math.nan,
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
    }


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:,.1f}"


def secs(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds:,.2f}"


def table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(cells[0]))
    body = [line(row) for row in cells[1:]]
    return "\n".join([title, rule, line(cells[0]), rule, *body, rule])


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def environment(note: str = SHARED_CORES_NOTE) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "note": note,
    }


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (the folder is git-ignored) and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(_clean(data), indent=2, default=str, allow_nan=False) + "\n")
    return path


def _clean(value: object) -> object:
    """NaN (an empty sample) becomes null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def quiet_logs(level: str) -> None:
    """The bot's structured logs would drown the tables: show only ``level`` and above, as text."""
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
