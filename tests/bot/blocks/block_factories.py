"""Builders of test data for the Block Kit tests: previews, summaries and results of any size."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from bot.blocks.message import Message, with_simulator_banner
from bot.core.models import (
    Outcome,
    Preview,
    RequestSummary,
    ServerResult,
    Skipped,
    SkipReason,
    Target,
)

USER = "U2147483697"
EXPIRES = datetime(2025, 11, 27, 15, 0, tzinfo=UTC)
# Names and reasons a hostile or careless user could produce.
HOSTILE = (
    "<!channel> <!here> <@U0ADMIN> <#C0GENERAL> <http://evil.example|click me> &amp; & < >"
    " *bold* _it_ ~s~ `code` ```fence``` \u202egnp.exe \u200b\u200d \x00\x07 "
)
WEIRD_NAME = ("💥🧨\u202e<!channel>&" * 40)[:255]
LONG_REASON = ("<!here> & 🔥 " * 60)[:500]


def ids(count: int, seed: int = 0) -> list[str]:
    """Deterministic distinct UUIDs."""
    return [str(uuid.UUID(int=(seed << 64) + i + 1)) for i in range(count)]


def preview(
    targets: int,
    *,
    unknown: int = 0,
    stopped: int = 0,
    stopping: int = 0,
    name: str = "web",
    soft: bool = False,
    reason: str | None = "disk alarm",
) -> Preview:
    """A preview with ``targets`` servers to stop and the given skipped groups."""
    return Preview(
        request_id="req_8c1e2d",
        user_id=USER,
        targets=tuple(Target(i, f"{name}-{n}", "ACTIVE") for n, i in enumerate(ids(targets))),
        skipped=(
            *(Skipped(i, SkipReason.UNKNOWN) for i in ids(unknown, 1)),
            *(Skipped(i, SkipReason.STOPPED, f"{name}-s", "SHUTOFF") for i in ids(stopped, 2)),
            *(Skipped(i, SkipReason.STOPPING, name, "ACTIVE") for i in ids(stopping, 3)),
        ),
        soft=soft,
        reason=reason,
        expires_at=EXPIRES,
    )


def summary(total: int, *, reason: str | None = "disk alarm", soft: bool = False) -> RequestSummary:
    return RequestSummary(
        request_id="req_8c1e2d",
        user_id=USER,
        total=total,
        soft=soft,
        reason=reason,
        job_ids=("2c9eb2c5544cbf6101544f0602af2b4f",),
    )


_CODES = ("BMS.0039", "BMS.0036", "BMS.0040", "XYZ.9999", None)


def results(count: int, *, failed_every: int = 7, name: str = "web") -> list[ServerResult]:
    """Mostly stopped servers, with failures of several codes and a few unknown ones."""
    out = []
    for n, server_id in enumerate(ids(count)):
        if n % failed_every == 1:
            code = _CODES[n % len(_CODES)]
            out.append(
                ServerResult(server_id, f"{name}-{n}", Outcome.FAILED, "job1", code, f"r{n}")
            )
        elif n % 50 == 3:
            out.append(ServerResult(server_id, f"{name}-{n}", Outcome.UNKNOWN, "job1"))
        else:
            out.append(ServerResult(server_id, f"{name}-{n}", Outcome.STOPPED, "job1"))
    return out


def simulated(message: Message) -> Message:
    """``message`` as the bot sends it with a stand-in backend (the poster adds the banner)."""
    return with_simulator_banner(message)
