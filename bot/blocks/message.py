"""The ``Message`` every builder returns, and the Block Kit pieces they are made of.

Each piece enforces Slack's per-element limits by clipping, so a builder cannot produce an invalid
block from an oversized input. The message-level limits (50 blocks, total size) are the builders'
job: they measure with ``block_size`` against ``MESSAGE_BUDGET`` and list "…and N more" when full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.blocks.text import clip, json_len, slack_len
from bot.ids import BlockId

Block = dict[str, Any]

MAX_BLOCKS = 50
SECTION_MAX = 3000
HEADER_MAX = 150
CONTEXT_MAX_ELEMENTS = 10
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
FALLBACK_MAX = 3000
# Slack rejects messages with ``msg_blocks_too_long`` near 12-13k characters; stay well below.
MESSAGE_BUDGET = 11_000
# A section's serialized size cap, so any one section fits in any message part with room to spare.
SECTION_JSON_MAX = 3_500
CONTEXT_JSON_MAX = 1_500
SIMULATOR_NOTE = "🧪 *BMS simulator*: no real servers are affected."
SIMULATOR_PREFIX = "[BMS simulator] "


@dataclass(frozen=True, slots=True)
class Message:
    """A Slack message: the ``text`` fallback (never empty), blocks and optional metadata."""

    text: str
    blocks: list[Block]
    metadata: dict[str, Any] | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``chat.postMessage``, ``chat.update`` or ``respond``."""
        kwargs: dict[str, Any] = {"text": self.text, "blocks": self.blocks}
        if self.metadata is not None:
            kwargs["metadata"] = self.metadata
        return kwargs

    def as_ack(self) -> dict[str, Any]:
        """Keyword arguments for Bolt's ``ack()`` (an ephemeral reply; no metadata there)."""
        return {"text": self.text, "blocks": self.blocks}

    def serialized_size(self) -> int:
        """Characters of the JSON Slack receives for the text and blocks."""
        return len(json.dumps({"text": self.text, "blocks": self.blocks}))


def block_size(block: Block) -> int:
    """Serialized size of one block, including the separator a list adds."""
    return len(json.dumps(block)) + 2


def blocks_size(blocks: Iterable[Block]) -> int:
    """Serialized size of several blocks inside a message."""
    return sum(block_size(b) for b in blocks)


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def section(text: str, *, block_id: str | None = None) -> Block:
    body = clip(text, SECTION_MAX, json_limit=SECTION_JSON_MAX) or " "
    block: Block = {"type": "section", "text": mrkdwn(body)}
    if block_id:
        block["block_id"] = str(block_id)
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    """Up to 10 mrkdwn elements, together no bigger than one section."""
    elements: list[dict[str, Any]] = []
    room = SECTION_JSON_MAX
    for text in [t for t in texts if t][:CONTEXT_MAX_ELEMENTS]:
        if room < 100:
            break
        clipped = clip(text, SECTION_MAX, json_limit=min(CONTEXT_JSON_MAX, room - 40))
        elements.append(mrkdwn(clipped))
        room -= json_len(clipped) + 40  # the element's own keys and separators
    block: Block = {"type": "context", "elements": elements or [mrkdwn(" ")]}
    if block_id:
        block["block_id"] = str(block_id)
    return block


def divider() -> Block:
    return {"type": "divider"}


def confirm_dialog(title: str, text: str, confirm: str, deny: str) -> dict[str, Any]:
    return {
        "title": plain(title, CONFIRM_TITLE_MAX),
        "text": plain(text, CONFIRM_TEXT_MAX),
        "confirm": plain(confirm, CONFIRM_BUTTON_MAX),
        "deny": plain(deny, CONFIRM_BUTTON_MAX),
        "style": "danger",
    }


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: Literal["primary", "danger"] | None = None,
    confirm: dict[str, Any] | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": str(action_id),
        "value": value[:BUTTON_VALUE_MAX],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": str(block_id), "elements": list(elements)}


def sections_from_lines(lines: Iterable[str]) -> list[Block]:
    """Pack lines into as few sections as fit Slack's 3000-char and our per-section size cap."""
    sections: list[Block] = []
    chunk: list[str] = []
    chars = size = 0
    for raw in lines:
        line = clip(raw, SECTION_MAX, json_limit=SECTION_JSON_MAX - 100)
        width, cost = slack_len(line) + 1, json_len(line) + 2  # "\n" serializes as two chars
        if chunk and (chars + width > SECTION_MAX or size + cost > SECTION_JSON_MAX - 100):
            sections.append(section("\n".join(chunk)))
            chunk, chars, size = [], 0, 0
        chunk.append(line)
        chars += width
        size += cost
    if chunk:
        sections.append(section("\n".join(chunk)))
    return sections


def fit_lines(lines: Sequence[str], budget: int, max_lines: int) -> tuple[list[Block], int]:
    """Sections showing the first lines that fit ``budget`` chars, and how many were left out."""
    low, high = 0, min(len(lines), max_lines)
    while low < high:  # the size only grows with the count: binary search the largest that fits
        mid = (low + high + 1) // 2
        if blocks_size(sections_from_lines(lines[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return sections_from_lines(lines[:low]), len(lines) - low


def notice(text: str, *, note: str | None = None) -> Message:
    """One section (and an optional context line); the fallback is the same words."""
    blocks = [section(text)]
    if note:
        blocks.append(context(note))
    return build(text, blocks)


def build(text: str, blocks: list[Block], *, metadata: dict[str, Any] | None = None) -> Message:
    """Finish a message: a bounded, non-empty fallback and blocks within the message budget."""
    fallback = clip(" ".join(text.split()) or "bms-bot", FALLBACK_MAX)
    return Message(
        text=fallback,
        blocks=_shrink(blocks, MESSAGE_BUDGET - json_len(fallback)),
        metadata=metadata,
    )


def with_simulator_banner(message: Message) -> Message:
    """``message`` marked as coming from the BMS simulator: a banner under the header and a
    prefixed fallback. Applied once, by the poster, to everything a stand-in backend's bot says."""
    blocks = message.blocks
    at = 1 if blocks and blocks[0].get("type") == "header" else 0
    banner = context(SIMULATOR_NOTE, block_id=BlockId.SIMULATOR_BANNER)
    return build(
        SIMULATOR_PREFIX + message.text,
        [*blocks[:at], banner, *blocks[at:]],
        metadata=message.metadata,
    )


def _shrink(blocks: list[Block], budget: int) -> list[Block]:
    """Last line of defence, unused by well-behaved builders: drop the largest sections until the
    message fits, and say so, rather than have Slack refuse it."""
    if len(blocks) <= MAX_BLOCKS and blocks_size(blocks) <= budget:
        return blocks
    kept = list(blocks)
    note = context("_(shortened to fit Slack's message limits)_")
    while kept and (len(kept) >= MAX_BLOCKS or blocks_size(kept) + block_size(note) > budget):
        sections = [i for i, b in enumerate(kept) if b["type"] == "section"] or [len(kept) - 1]
        del kept[max(sections, key=lambda i: block_size(kept[i]))]
    return [*kept, note]
