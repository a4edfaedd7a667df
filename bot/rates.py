"""The one spacing rule for per-minute limits, shared by the pacer of Huawei's job queries
(``bot.bms.pace``), the turns of stop calls (``bot.store.pacing``) and the poll intervals
(``bot.core.clock``)."""

from __future__ import annotations

MARGIN = 1.02  # a little under the limit: Huawei's window and our clocks need not agree exactly


def spacing(per_minute: float) -> float:
    """Seconds between calls so that no 60-second window holds more than ``per_minute`` of them."""
    return 60.0 * MARGIN / per_minute
