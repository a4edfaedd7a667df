"""Editing the public root message: progress while jobs run, and the outcome at the end.

All root edits share ``chat.update``'s Tier 3 budget through the progress gate. Progress edits are
best effort (a 429 skips them and pauses the rest for Retry-After); the final edit always goes
out and waits out a 429, since it is the state people will read afterwards.
"""

from __future__ import annotations

import logging

from bot.blocks.progress import RootState, root_message
from bot.deps import Deps
from bot.flow.summary import progress_of, summary_of
from bot.slack.poster import SlackFailure
from bot.store.rows import ChunkRow, RequestRow

log = logging.getLogger(__name__)


async def edit_root(
    deps: Deps,
    req: RequestRow,
    chunk_rows: list[ChunkRow],
    state: RootState,
    *,
    final: bool = False,
) -> bool:
    """Show ``state`` and the current counts on the root; True if the edit went out."""
    if not req.root_ts or not deps.progress.allow(req.id, force=final):
        return False
    done, failed = progress_of(chunk_rows)
    message = root_message(summary_of(req, chunk_rows, deps.simulated), done, failed, state)
    try:
        await deps.poster.update(req.channel_id, req.root_ts, message, best_effort=not final)
    except SlackFailure as exc:
        log.warning("root update failed", extra={"request": req.id, "error": exc.error})
        if exc.retry_after:
            deps.progress.hold(exc.retry_after)
        return False
    return True
