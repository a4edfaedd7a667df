"""The one spacing rule for per-minute limits, shared by the pacer of Huawei's job queries
(``bot.bms.pace``), the turns of stop calls (``bot.store.pacing``), the poll intervals
(``bot.core.clock``) and the posts in one Slack channel (``bot.slack.pacer``)."""

from __future__ import annotations

# A little under the limit: Huawei's window and our clocks need not agree, and a busy event loop
# sends a late call next to the one on time (1.02 let 18 of 15,000 job queries through as 429s
# with a thousand jobs in flight on two loaded cores).
MARGIN = 1.05


def spacing(per_minute: float) -> float:
    """Seconds between calls so that no 60-second window holds more than ``per_minute`` of them."""
    return 60.0 * MARGIN / per_minute
