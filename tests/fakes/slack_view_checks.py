"""Modal schema checks for views.open, shaped like Slack's `invalid_arguments` details.

Slack answers a bad view with `invalid_arguments` and lines such as
`"[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"`. The modal limits:
`title`, `submit` and `close` are plain_text of at most 24 characters; at most 100 blocks;
`callback_id` and `external_id` at most 255 characters; `private_metadata` at most 3000; `submit`
is required once an input block is present; the whole view at most 250 kB (`view_too_large`).
Non-input blocks are checked by the message rules of slack_blocks; input blocks, which only
modals have, are checked here.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.slack_blocks import BlockChecker, check_blocks

MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000
_VIEW_KEYS = frozenset(
    {
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
        "submit_disabled",
    }
)
_INPUT_KEYS = frozenset(
    {"type", "block_id", "label", "element", "hint", "optional", "dispatch_action"}
)
_TEXT_INPUT_KEYS = frozenset(
    {
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "multiline",
        "min_length",
        "max_length",
        "dispatch_action_config",
        "focus_on_load",
    }
)
# Elements an input block may hold; only plain_text_input is checked key by key.
_INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
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
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
    }
)


def view_too_large(view: object) -> bool:
    encoded = json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode()
    return len(encoded) > MAX_VIEW_BYTES


def check_view(view: object) -> list[str]:
    """Slack-style error lines for a views.open `view` (empty when Slack would accept it)."""
    c = BlockChecker()
    if not isinstance(view, dict):
        c.fail("/view", "must provide an object")
        return c.errors
    c.keys(view, "/view", _VIEW_KEYS)
    if view.get("type") != "modal":
        c.fail("/view/type", "must be modal (views.open opens modals)")
    for name in ("title", "blocks"):
        if name not in view:
            c.fail("/view", f"missing required field: {name}")
    if "title" in view:
        c.text(view["title"], "/view/title", 24, plain_only=True)
    for name in ("submit", "close"):
        if view.get(name) is not None:
            c.text(view[name], f"/view/{name}", 24, plain_only=True)
    c.length(view.get("callback_id"), "/view/callback_id", 255)
    c.length(view.get("external_id"), "/view/external_id", 255)
    c.length(view.get("private_metadata"), "/view/private_metadata", 3000)
    if "blocks" in view:
        _check_view_blocks(c, view)
    return c.errors


def _check_view_blocks(c: BlockChecker, view: dict[str, Any]) -> None:
    blocks = view["blocks"]
    if not isinstance(blocks, list):
        c.fail("/view/blocks", "must provide an array")
        return
    if len(blocks) > MAX_VIEW_BLOCKS:
        c.fail("/view/blocks", f"no more than {MAX_VIEW_BLOCKS} items allowed")
    _duplicate_block_ids(c, blocks)
    has_input = False
    for index, block in enumerate(blocks):
        path = f"/view/blocks/{index}"
        if isinstance(block, dict) and block.get("type") == "input":
            has_input = True
            _input(c, block, path)
        else:
            # Message rules, one block at a time so the pointers can be re-rooted at /view.
            c.errors += [
                e.replace("[json-pointer:/blocks/0", f"[json-pointer:{path}")
                for e in check_blocks([block])
            ]
    if has_input and view.get("submit") is None:
        c.fail("/view/submit", "must provide submit when the view has input blocks")


def _duplicate_block_ids(c: BlockChecker, blocks: list[Any]) -> None:
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str) and block_id in seen:
            c.fail(f"/view/blocks/{index}/block_id", f"duplicate block_id {block_id!r}")
        if isinstance(block_id, str):
            seen.add(block_id)


def _input(c: BlockChecker, block: dict[str, Any], path: str) -> None:
    c.keys(block, path, _INPUT_KEYS)
    c.block_id(block, path, set())
    c.text(block.get("label"), f"{path}/label", 2000, plain_only=True)
    if "hint" in block:
        c.text(block["hint"], f"{path}/hint", 2000, plain_only=True)
    element = block.get("element")
    epath = f"{path}/element"
    if not isinstance(element, dict):
        c.fail(epath, "must provide an object")
        return
    kind = element.get("type")
    if kind not in _INPUT_ELEMENTS:
        c.fail(f"{epath}/type", f"unsupported input element type {kind!r} (not modelled)")
        return
    c.length(element.get("action_id"), f"{epath}/action_id", 255)
    if "placeholder" in element:
        c.text(element["placeholder"], f"{epath}/placeholder", 150, plain_only=True)
    if kind == "plain_text_input":
        c.keys(element, epath, _TEXT_INPUT_KEYS)
        c.length(element.get("initial_value"), f"{epath}/initial_value", 3000)
