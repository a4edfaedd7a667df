"""Block Kit schema checks for message surfaces, shaped like Slack's own `invalid_blocks` details.

Slack validates blocks against a strict schema: unknown keys, empty texts, over-long fields and
wrong text types are all rejected, and the reasons come back as
`"[ERROR] <reason> [json-pointer:/blocks/0/text/text]"` lines in `response_metadata.messages`.
Only the block and element types this bot could plausibly send are modelled; anything else is
rejected with a message saying the fake does not model it, so a new block type is a conscious
extension here rather than a silent pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PLAIN_KEYS = frozenset({"type", "text", "emoji"})
_MRKDWN_KEYS = frozenset({"type", "text", "verbatim"})
_STYLES = frozenset({"primary", "danger"})
_SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "overflow",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
    }
)


class BlockChecker:
    """Collects schema violations for one list of blocks."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, reason: str) -> None:
        self.errors.append(f"[ERROR] {reason} [json-pointer:{path}]")

    def keys(self, obj: dict[str, Any], path: str, allowed: frozenset[str]) -> None:
        for key in sorted(set(obj) - allowed):
            self.fail(f"{path}/{key}", "unexpected property")

    def length(self, value: object, path: str, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(path, f"must be less than {limit + 1} characters")

    def text(self, obj: object, path: str, limit: int, *, plain_only: bool = False) -> None:
        """A text object: plain_text or mrkdwn, non-empty, within `limit` characters."""
        if not isinstance(obj, dict):
            self.fail(path, "must provide an object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
            self.fail(f"{path}/type", "must be plain_text" if plain_only else "invalid text type")
            return
        self.keys(obj, path, _PLAIN_KEYS if kind == "plain_text" else _MRKDWN_KEYS)
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.fail(f"{path}/text", "must be more than 0 characters")
            return
        self.length(value, f"{path}/text", limit)

    def block_id(self, block: dict[str, Any], path: str, seen: set[str]) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        if not isinstance(block_id, str) or not block_id:
            self.fail(f"{path}/block_id", "must be a non-empty string")
            return
        self.length(block_id, f"{path}/block_id", 255)
        if block_id in seen:
            self.fail(f"{path}/block_id", f"duplicate block_id {block_id!r}")
        seen.add(block_id)

    def elements(self, block: dict[str, Any], path: str, limit: int) -> list[Any]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail(f"{path}/elements", "must provide a non-empty array")
            return []
        if len(elements) > limit:
            self.fail(f"{path}/elements", f"must contain no more than {limit} items")
        return elements


def check_blocks(blocks: list[Any]) -> list[str]:
    """Return Slack-style error lines for `blocks` (empty when the schema is satisfied)."""
    checker = BlockChecker()
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        path = f"/blocks/{index}"
        if not isinstance(block, dict):
            checker.fail(path, "must provide an object")
            continue
        check = _BLOCKS.get(block.get("type"))  # type: ignore[arg-type]
        if check is None:
            checker.fail(
                f"{path}/type", f"unsupported block type {block.get('type')!r} (not modelled)"
            )
            continue
        checker.block_id(block, path, seen_ids)
        check(checker, block, path)
    return checker.errors


def _section(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id", "text", "fields", "accessory", "expand"}))
    if "text" not in block and "fields" not in block:
        c.fail(path, "must provide text or fields")
    if "text" in block:
        c.text(block["text"], f"{path}/text", 3000)
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list) or not fields:
            c.fail(f"{path}/fields", "must provide a non-empty array")
        else:
            if len(fields) > 10:
                c.fail(f"{path}/fields", "must contain no more than 10 items")
            for i, field in enumerate(fields):
                c.text(field, f"{path}/fields/{i}", 2000)
    if "accessory" in block:
        _element(c, block["accessory"], f"{path}/accessory", allow_image=True)


def _divider(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id"}))


def _header(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id", "text"}))
    c.text(block.get("text"), f"{path}/text", 150, plain_only=True)


def _context(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id", "elements"}))
    for i, element in enumerate(c.elements(block, path, 10)):
        epath = f"{path}/elements/{i}"
        if isinstance(element, dict) and element.get("type") == "image":
            _image_element(c, element, epath)
        else:
            c.text(element, epath, 3000)


def _actions(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id", "elements"}))
    action_ids: set[str] = set()
    for i, element in enumerate(c.elements(block, path, 25)):
        _element(c, element, f"{path}/elements/{i}", allow_image=False)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in action_ids:
                c.fail(f"{path}/elements/{i}/action_id", f"duplicate action_id {action_id!r}")
            action_ids.add(action_id)


def _image(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(
        block, path, frozenset({"type", "block_id", "image_url", "slack_file", "alt_text", "title"})
    )
    _image_source(c, block, path)
    if "title" in block:
        c.text(block["title"], f"{path}/title", 2000, plain_only=True)


def _rich_text(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id", "elements"}))
    c.elements(block, path, 100)


def _markdown(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, frozenset({"type", "block_id", "text"}))
    text = block.get("text")
    if not isinstance(text, str) or not text:
        c.fail(f"{path}/text", "must be more than 0 characters")
    c.length(text, f"{path}/text", 12000)


def _image_source(c: BlockChecker, obj: dict[str, Any], path: str) -> None:
    if "image_url" not in obj and "slack_file" not in obj:
        c.fail(path, "must provide image_url or slack_file")
    c.length(obj.get("image_url"), f"{path}/image_url", 3000)
    alt = obj.get("alt_text")
    if not isinstance(alt, str) or not alt:
        c.fail(f"{path}/alt_text", "must be more than 0 characters")
    c.length(alt, f"{path}/alt_text", 2000)


def _image_element(c: BlockChecker, element: dict[str, Any], path: str) -> None:
    c.keys(element, path, frozenset({"type", "image_url", "slack_file", "alt_text"}))
    _image_source(c, element, path)


def _element(c: BlockChecker, element: object, path: str, *, allow_image: bool) -> None:
    if not isinstance(element, dict):
        c.fail(path, "must provide an object")
        return
    kind = element.get("type")
    if kind == "button":
        _button(c, element, path)
    elif kind == "image" and allow_image:
        _image_element(c, element, path)
    elif kind in _SELECTS:
        c.length(element.get("action_id"), f"{path}/action_id", 255)
        if "confirm" in element:
            _confirm(c, element["confirm"], f"{path}/confirm")
    else:
        c.fail(f"{path}/type", f"unsupported element type {kind!r} (not modelled)")


def _button(c: BlockChecker, button: dict[str, Any], path: str) -> None:
    allowed = {"type", "text", "action_id", "url", "value", "style", "confirm"}
    c.keys(button, path, frozenset(allowed | {"accessibility_label"}))
    c.text(button.get("text"), f"{path}/text", 75, plain_only=True)
    c.length(button.get("action_id"), f"{path}/action_id", 255)
    c.length(button.get("url"), f"{path}/url", 3000)
    c.length(button.get("value"), f"{path}/value", 2000)
    c.length(button.get("accessibility_label"), f"{path}/accessibility_label", 75)
    if "style" in button and button["style"] not in _STYLES:
        c.fail(f"{path}/style", "must be one of primary, danger")
    if "confirm" in button:
        _confirm(c, button["confirm"], f"{path}/confirm")


def _confirm(c: BlockChecker, confirm: object, path: str) -> None:
    if not isinstance(confirm, dict):
        c.fail(path, "must provide an object")
        return
    c.keys(confirm, path, frozenset({"title", "text", "confirm", "deny", "style"}))
    c.text(confirm.get("title"), f"{path}/title", 100, plain_only=True)
    c.text(confirm.get("text"), f"{path}/text", 300)
    c.text(confirm.get("confirm"), f"{path}/confirm", 30, plain_only=True)
    c.text(confirm.get("deny"), f"{path}/deny", 30, plain_only=True)
    if "style" in confirm and confirm["style"] not in _STYLES:
        c.fail(f"{path}/style", "must be one of primary, danger")


_BLOCKS: dict[str, Callable[[BlockChecker, dict[str, Any], str], None]] = {
    "section": _section,
    "divider": _divider,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "image": _image,
    "rich_text": _rich_text,
    "markdown": _markdown,
}
