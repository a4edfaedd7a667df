"""Whether a click may act, from the stored request alone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.clicks import Refusal, refusal
from bot.core.lifecycle import RequestState


@dataclass(frozen=True)
class Stored:
    state: RequestState
    user_id: str = "U1"
    expires_at: float = 100.0


def test_requester_before_expiry_may_act() -> None:
    """The requester's click on a previewed request before it expires acts."""
    assert refusal(Stored(RequestState.PREVIEWED), "U1", 99.9) is None


def test_missing_request_is_gone() -> None:
    """A request that is not stored is gone."""
    assert refusal(None, "U1", 0) is Refusal.GONE


def test_someone_else_is_refused_whatever_the_state() -> None:
    """Only the requester may click, even on a request that has moved on."""
    for state in RequestState:
        assert refusal(Stored(state), "U2", 0) is Refusal.NOT_YOURS


def test_expiry_is_exact() -> None:
    """At its expiry instant a preview no longer accepts clicks."""
    assert refusal(Stored(RequestState.PREVIEWED), "U1", 100.0) is Refusal.EXPIRED


@pytest.mark.parametrize("state", [s for s in RequestState if s is not RequestState.PREVIEWED])
def test_a_request_that_moved_on_is_handled(state: RequestState) -> None:
    """A click on a confirmed, cancelled or finished request is told it was handled."""
    assert refusal(Stored(state), "U1", 0) is Refusal.HANDLED
