"""Whether a click on a preview's button may act, decided from the stored request alone."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from bot.core.clock import preview_expired
from bot.core.lifecycle import RequestState


class Refusal(StrEnum):
    GONE = "gone"  # no such request: long expired, or never stored
    NOT_YOURS = "not_yours"  # only the requester may confirm or cancel
    EXPIRED = "expired"  # the preview's time is up
    HANDLED = "handled"  # it has moved on: its state says how


class Clicked(Protocol):
    """What a click is judged on (a stored request row has these)."""

    @property
    def state(self) -> RequestState: ...

    @property
    def user_id(self) -> str: ...

    @property
    def expires_at(self) -> float: ...


def refusal(req: Clicked | None, clicker: str, now: float) -> Refusal | None:
    """Why a click cannot act on ``req``, or None when it may: a previewed request, clicked by its
    requester before it expires."""
    if req is None:
        return Refusal.GONE
    if req.user_id != clicker:
        return Refusal.NOT_YOURS
    if req.state is RequestState.PREVIEWED:
        return Refusal.EXPIRED if preview_expired(req.expires_at, now) else None
    return Refusal.HANDLED
