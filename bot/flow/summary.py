"""Views of a stored request that the messages need: its summary, results and overall state."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.progress import RootState
from bot.core.lifecycle import ChunkState
from bot.core.models import Outcome, RequestSummary, ServerResult
from bot.core.results import Verdict, count_settled, to_results
from bot.store.rows import ChunkRow, RequestRow


def summary_of(req: RequestRow, chunks: Sequence[ChunkRow], simulated: bool) -> RequestSummary:
    return RequestSummary(
        request_id=req.id,
        user_id=req.user_id,
        total=len(req.targets),
        soft=req.soft,
        reason=req.reason,
        job_ids=tuple(c.job_id for c in chunks if c.job_id),
        simulated=simulated,
    )


def verdicts_of(chunks: Sequence[ChunkRow]) -> dict[str, Verdict]:
    merged: dict[str, Verdict] = {}
    for chunk in chunks:
        merged.update(chunk.verdicts)
    return merged


def results_of(req: RequestRow, chunks: Sequence[ChunkRow]) -> list[ServerResult]:
    names = req.names
    results: list[ServerResult] = []
    for chunk in chunks:
        results.extend(to_results(chunk.verdicts, names, chunk.job_id))
    return results


def progress_of(chunks: Sequence[ChunkRow]) -> tuple[int, int]:
    """(servers settled, servers failed) across every chunk."""
    return count_settled(verdicts_of(chunks))


def final_state(chunks: Sequence[ChunkRow]) -> RootState:
    verdicts = verdicts_of(chunks).values()
    if any(c.state is ChunkState.UNCERTAIN for c in chunks):
        return "uncertain"
    stopped = sum(1 for v in verdicts if v.outcome is Outcome.STOPPED)
    if stopped == len(verdicts):
        return "done"
    return "failed" if stopped == 0 else "partial"
