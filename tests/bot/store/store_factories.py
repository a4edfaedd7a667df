"""Builders of stored requests for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.models import Preview, Skipped, SkipReason, Target
from bot.store import NewRequest

NOW = 1_800_000_000.0
IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(3)]
NAMES = {i: f"web-{n}" for n, i in enumerate(IDS)}


def new_request(request_id: str = "req_1", user: str = "U1", ttl: float = 600) -> NewRequest:
    preview = Preview(
        request_id=request_id,
        user_id=user,
        targets=tuple(Target(i, f"web-{n}", "ACTIVE") for n, i in enumerate(IDS)),
        skipped=(Skipped("ffffffff-0000-4000-8000-000000000000", SkipReason.UNKNOWN),),
        soft=False,
        reason="disk full",
        expires_at=datetime.fromtimestamp(NOW + ttl, UTC),
    )
    return NewRequest(preview, "T1", "C1", "command", None, "http://r", NOW)
