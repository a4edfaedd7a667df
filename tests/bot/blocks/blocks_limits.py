"""Shared assertions for Block Kit messages: Slack's hard limits, and hostile-text safety.

Imported by the block tests (pytest puts this directory on ``sys.path``); not a test module itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.message import Message

MAX_TOTAL = 12_000


def _units(text: str) -> int:
    """UTF-16 code units, as Slack counts (never fewer than Python's len)."""
    return len(text.encode("utf-16-le")) // 2


def _check_text(obj: dict[str, Any], limit: int, where: str) -> None:
    text = obj["text"]
    assert isinstance(text, str), where
    assert text.strip(), f"{where}: empty text"
    assert _units(text) <= limit, f"{where}: {_units(text)} > {limit}"


def _check_button(element: dict[str, Any]) -> None:
    _check_text(element["text"], 75, "button text")
    assert len(element.get("value", "")) <= 2000, "button value"
    assert 0 < len(element["action_id"]) <= 255, "action_id"
    confirm = element.get("confirm")
    if confirm:
        _check_text(confirm["title"], 100, "confirm title")
        _check_text(confirm["text"], 300, "confirm text")
        _check_text(confirm["confirm"], 30, "confirm button")
        _check_text(confirm["deny"], 30, "deny button")


def _check_block(block: dict[str, Any]) -> None:
    kind = block["type"]
    if kind == "section":
        _check_text(block["text"], 3000, "section")
        assert len(block.get("fields", [])) <= 10
    elif kind == "header":
        _check_text(block["text"], 150, "header")
        assert block["text"]["type"] == "plain_text"
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= 10, "context elements"
        for element in block["elements"]:
            _check_text(element, 3000, "context element")
    elif kind == "actions":
        assert 1 <= len(block["elements"]) <= 25, "actions elements"
        for element in block["elements"]:
            _check_button(element)
    else:
        assert kind == "divider", f"unexpected block type {kind}"


def assert_within_slack_limits(message: Message) -> None:
    """Every limit from the brief, plus slack_sdk's own model validation."""
    assert isinstance(message, Message)
    assert message.text.strip(), "fallback text must not be empty"
    assert _units(message.text) <= 3000, "fallback text too long"
    assert 1 <= len(message.blocks) <= 50, f"{len(message.blocks)} blocks"
    block_ids = [b["block_id"] for b in message.blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "duplicate block ids"
    assert all(0 < len(i) <= 255 for i in block_ids)
    for block in message.blocks:
        _check_block(block)
    total = len(json.dumps({"text": message.text, "blocks": message.blocks}))
    assert total < MAX_TOTAL, f"serialized message is {total} chars"
    for model in Block.parse_all(message.blocks):
        model.validate_json()
        model.to_dict()  # validates nested elements too
    if message.metadata is not None:
        assert isinstance(message.metadata["event_type"], str)
        assert isinstance(message.metadata["event_payload"], dict)
        json.dumps(message.metadata)


_MRKDWN_SPECIAL = re.compile(r"<[!@#]|<(?:https?|mailto):", re.I)
_DATE = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>")


def rendered_texts(message: Message) -> list[str]:
    """Every string Slack would parse as mrkdwn (or show as text) in the message."""
    texts = [message.text]
    for block in message.blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:
                inner = element["text"]
                texts.append(inner["text"] if isinstance(inner, dict) else inner)
    return texts


def assert_no_injection(message: Message, allowed: tuple[str, ...] = ()) -> None:
    """No mention, channel link, broadcast or URL link markup except the ``allowed`` ones."""
    for rendered in rendered_texts(message):
        text = rendered
        for allow in allowed:
            text = text.replace(allow, "")
        text = _DATE.sub("", text)
        assert not _MRKDWN_SPECIAL.search(text), f"markup in {text[:200]!r}"
        assert "<" not in text, f"raw < in {text[:200]!r}"
        assert ">" not in text, f"raw > in {text[:200]!r}"
