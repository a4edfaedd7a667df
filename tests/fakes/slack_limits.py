"""Message validation as Slack applies it to chat.postMessage, chat.update, chat.postEphemeral and
response_url posts.

`check_message` is pure: it returns a `Problem` (Slack's error code plus the
`response_metadata.messages` lines Slack would send) or None. It is deliberately stricter than
Slack in one place: a non-empty top-level `text` is required even when blocks are present,
because notifications and screen readers only see that fallback.

Sizes: Slack has rejected messages with `msg_blocks_too_long` at about 13k characters of text plus
blocks JSON, so the fake rejects above 12,000 to keep a margin. A `text` above 40,000 characters is
not an error: Slack cuts it and answers `ok: true` with a `message_truncated` warning
(`truncate_text`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from tests.fakes.slack_blocks import check_blocks

MAX_BLOCKS = 50
MAX_MESSAGE_CHARS = 12_000
MAX_TEXT_CHARS = 40_000


@dataclass(frozen=True)
class Problem:
    """Why Slack would reject a message: the `error` code and its detail lines."""

    error: str
    messages: tuple[str, ...] = ()


def validate_message(text: object, blocks: object) -> str | None:
    """Return Slack's error code for this message, or None when Slack would accept it."""
    problem = check_message(text, blocks)
    return None if problem is None else problem.error


def check_message(text: object, blocks: object) -> Problem | None:
    """Validate a message's `text` and already JSON-decoded `blocks` (None when absent)."""
    if not isinstance(text, str) or not text.strip():
        return Problem("no_text", ("[ERROR] a non-empty top-level text fallback is required",))
    if blocks is None:
        return None
    problem = _check_blocks(blocks)
    if problem is None and isinstance(blocks, list) and blocks:
        size = message_size(text, blocks)
        if size > MAX_MESSAGE_CHARS:
            reason = f"[ERROR] message is {size} characters; the fake allows {MAX_MESSAGE_CHARS}"
            return Problem("msg_blocks_too_long", (reason,))
    return problem


def _check_blocks(blocks: object) -> Problem | None:
    if not isinstance(blocks, list):
        return Problem("invalid_blocks_format", ("[ERROR] blocks must be an array",))
    if len(blocks) > MAX_BLOCKS:
        reason = f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
        return Problem("invalid_blocks", (reason,))
    errors = check_blocks(blocks) or _sdk_model_errors(blocks)
    return Problem("invalid_blocks", tuple(errors)) if errors else None


def message_size(text: str, blocks: list[Any]) -> int:
    """Characters of `text` plus the compact JSON of `blocks`, the size Slack's limit is about."""
    return len(text) + len(json.dumps(blocks, separators=(",", ":"), ensure_ascii=False))


def truncate_text(text: str) -> tuple[str, bool]:
    """Cut `text` to Slack's 40,000 characters; the flag says whether it was cut."""
    if len(text) <= MAX_TEXT_CHARS:
        return text, False
    return text[:MAX_TEXT_CHARS], True


def _sdk_model_errors(blocks: list[Any]) -> list[str]:
    """Second opinion from slack_sdk's own models (`Block.parse_all` + `validate_json`)."""
    errors: list[str] = []
    try:
        with warnings.catch_warnings():
            # Deprecation chatter from the models is not what this check is about.
            warnings.simplefilter("ignore")
            # parse_all yields None for blocks it does not know, despite its annotation.
            parsed: list[Block | None] = list(Block.parse_all(blocks))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        return [f"[ERROR] slack_sdk could not parse the blocks: {exc} [json-pointer:/blocks]"]
    for index, block in enumerate(parsed):
        if block is None:
            errors.append(
                f"[ERROR] slack_sdk does not know this block [json-pointer:/blocks/{index}]"
            )
            continue
        try:
            block.validate_json()
        except SlackObjectFormationError as exc:
            errors.append(f"[ERROR] {exc} [json-pointer:/blocks/{index}]")
    return errors
