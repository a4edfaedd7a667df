"""The JSON forms of a request's targets, skipped ids and per-server results, as stored.

Only the store reads and writes these; above it everything is ``bot.core.models`` dataclasses.
A result is stored as ``[outcome, error code, reason]``: its name comes from the request's
targets and its job id from the chunk, so neither is written twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.core.models import Outcome, ServerResult, Skipped, SkipReason, Target

StoredResults = dict[str, list[str | None]]


def encode_targets(targets: Iterable[Target]) -> list[list[str]]:
    return [[t.id, t.name, t.status] for t in targets]


def decode_targets(raw: Iterable[Any]) -> tuple[Target, ...]:
    return tuple(Target(*t) for t in raw)


def encode_skipped(skipped: Iterable[Skipped]) -> list[list[str | None]]:
    return [[s.id, s.reason.value, s.name, s.status, s.by_request, s.rule] for s in skipped]


def decode_skipped(raw: Iterable[Any]) -> tuple[Skipped, ...]:
    """Rows of four (before requests could be taken), five, or six (with a protecting rule)."""
    return tuple(Skipped(s[0], SkipReason(s[1]), *s[2:6]) for s in raw)


def encode_results(results: Mapping[str, ServerResult]) -> StoredResults:
    return {sid: [r.outcome.value, r.error_code, r.fail_reason] for sid, r in results.items()}


def decode_results(
    raw: Mapping[str, list[str | None]] | None, names: Mapping[str, str], job_id: str | None
) -> dict[str, ServerResult]:
    if not raw:
        return {}
    return {
        sid: ServerResult(sid, names.get(sid, ""), Outcome(row[0] or "unknown"), job_id, *row[1:3])
        for sid, row in raw.items()
    }
