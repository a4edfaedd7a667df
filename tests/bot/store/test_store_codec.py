"""The stored JSON forms round-trip into the same dataclasses."""

from __future__ import annotations

from bot.core.models import Outcome, ServerResult, Skipped, SkipReason, Target
from bot.store.codec import (
    decode_results,
    decode_skipped,
    decode_targets,
    encode_results,
    encode_skipped,
    encode_targets,
)


def test_results_round_trip_with_names_and_job() -> None:
    """Results survive the JSON form; names and the job id come back from where they live."""
    results = {
        "a": ServerResult("a", "web-a", Outcome.STOPPED, "j1"),
        "b": ServerResult("b", "", Outcome.FAILED, "j1", "BMS.0037", "rebooting"),
    }
    assert decode_results(encode_results(results), {"a": "web-a"}, "j1") == results


def test_targets_and_skipped_round_trip() -> None:
    """Targets and skipped ids read back as they were stored."""
    targets = (Target("a", "web-a", "ACTIVE"),)
    skipped = (
        Skipped("b", SkipReason.STOPPED, "web-b", "SHUTOFF"),
        Skipped("c", SkipReason.UNKNOWN),
    )
    assert decode_targets(encode_targets(targets)) == targets
    assert decode_skipped(encode_skipped(skipped)) == skipped
