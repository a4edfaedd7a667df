"""Modals: the trigger ids Slack hands out with interactions, and views.open that exchanges them.

Slack gives every slash command, click and view submission a `trigger_id`; views.open accepts it
once, within 3 seconds. The fake only knows the triggers a test minted (`mint`, which
`FakeSlack.mint_trigger_id` exposes and the request builders carry), and ages them by the
FakeSlack clock, so "the listener did something slow before opening the modal" is testable
with a ManualClock. Errors, as Slack documents them: `invalid_trigger_id` (never issued),
`expired_trigger_id` (older than 3 s), `exchanged_trigger_id` (already used).
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_errors import SlackError, missing_argument
from tests.fakes.slack_records import OpenedView
from tests.fakes.slack_view_checks import check_view, view_too_large

TRIGGER_LIFETIME_SECONDS = 3.0

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Trigger:
    minted: float
    user: str | None
    used: bool = False


class Views:
    """Minted triggers and the modals opened with them."""

    def __init__(
        self, *, team_id: str, app_id: str, bot_id: str, clock: Callable[[], float]
    ) -> None:
        self.team_id, self.app_id, self.bot_id = team_id, app_id, bot_id
        self._clock = clock
        self._triggers: dict[str, _Trigger] = {}
        self._serial = itertools.count(1)
        self.opened: list[OpenedView] = []

    def handlers(self) -> dict[str, Handler]:
        return {"views.open": self.views_open}

    def mint(self, user: str | None = None) -> str:
        """A new trigger id in Slack's "digits.digits.hex" form, valid for 3 s from now."""
        n = next(self._serial)
        trigger_id = f"{13345224609 + n}.738474920.{secrets.token_hex(10)}"
        self._triggers[trigger_id] = _Trigger(self._clock(), user)
        return trigger_id

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            raise missing_argument("trigger_id")
        trigger = self._usable_trigger(str(trigger_id))
        view = args.get("view")
        if view is None:
            raise missing_argument("view")
        if view_too_large(view):
            raise SlackError("view_too_large")
        if errors := check_view(view):
            raise SlackError("invalid_arguments", messages=errors)
        # Only an accepted view uses the trigger up (UNCONFIRMED: Slack may burn it on any call).
        trigger.used = True
        answer = self._answer(view)
        record = OpenedView(
            answer["id"], str(trigger_id), trigger.user, view, answer, self._clock()
        )
        self.opened.append(record)
        return {"ok": True, "view": answer}

    def _usable_trigger(self, trigger_id: str) -> _Trigger:
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self._clock() - trigger.minted > TRIGGER_LIFETIME_SECONDS:
            raise SlackError("expired_trigger_id")
        return trigger

    def _answer(self, view: dict[str, Any]) -> dict[str, Any]:
        """The view as Slack echoes it: the app's fields over Slack's defaults, plus its own."""
        view_id = f"V{next(self._serial):010d}"
        defaults: dict[str, Any] = {
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "close": None,
            "submit": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "submit_disabled": False,
        }
        own: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return defaults | view | own
