"""Slack's `ok: false` answer and the small argument rules every fake method shares.

Kept apart from the workspace so the directory (users, groups) and views modules can raise the
same error without importing the workspace that wires them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class SlackError(Exception):
    """An `ok: false` answer: Slack's error code, HTTP status, headers and extra body fields."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        messages: Iterable[str] = (),
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error, self.status = error, status
        self.headers = dict(headers or {})
        self.body: dict[str, Any] = {"ok": False, "error": error, **extra}
        if messages := list(messages):
            self.body["response_metadata"] = {"messages": messages}


def flag(value: object) -> bool:
    """Slack's reading of a boolean argument sent as JSON or as a form field."""
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def need_scope(scopes: frozenset[str], scope: str) -> None:
    """Answer `missing_scope` (with Slack's `needed` and `provided`) unless `scope` was granted."""
    if scope not in scopes:
        provided = ",".join(sorted(scopes))
        raise SlackError("missing_scope", needed=scope, provided=provided)


def missing_argument(name: str) -> SlackError:
    """What Slack's newer methods answer when a required argument is absent."""
    return SlackError("invalid_arguments", messages=[f"[ERROR] missing required field: {name}"])
