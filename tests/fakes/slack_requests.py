"""Slack's requests to the app, shaped like /work/shared/reference/slack-payloads/ and signed like
Slack signs them.

`*_payload` functions return the payload dicts (what a Socket Mode envelope carries); the
builders without the suffix return a `SignedRequest` (body bytes + headers) for Bolt's HTTP
endpoint: slash commands, clicks and view submissions form-encoded, events as JSON. Interaction
payloads carry `DEFAULT_TRIGGER_ID` unless given one; the fake Slack does not know it, so a
listener that opens a modal needs `trigger_id=fake.mint_trigger_id()`. The signature is
`v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))`, computed by slack_sdk's
SignatureVerifier so it matches what Bolt checks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "fake-signing-secret"
TEAM = {"id": "T0001", "domain": "acme"}
APP_ID = "A123456"
ALICE, BOB = "U2147483697", "U2147483698"
CHANNEL = "C2147483705"
DEFAULT_TRIGGER_ID = "13345224609.738474920.8088930838d88f008e0"
DEFAULT_VIEW_ID = "VMHU10V25"
_NAMES = {ALICE: "alice", BOB: "bob"}
FORM = "application/x-www-form-urlencoded"


class SignedRequest(NamedTuple):
    body: bytes
    headers: dict[str, str]


def sign(
    body: bytes,
    content_type: str,
    *,
    signing_secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> SignedRequest:
    """Headers Slack sends with `body`; pass an old `timestamp` to build a replayed request."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    return SignedRequest(body, headers)


def slash_command_payload(
    text: str,
    *,
    user_id: str = ALICE,
    channel_id: str = CHANNEL,
    response_url: str,
    command: str = "/bms",
    channel_name: str = "incident-42",
    trigger_id: str = DEFAULT_TRIGGER_ID,
) -> dict[str, str]:
    """The form fields of a slash command, in Slack's order."""
    return {
        "token": "legacyVerificationToken",
        "team_id": TEAM["id"],
        "team_domain": TEAM["domain"],
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": _NAMES.get(user_id, user_id.lower()),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def slash_command(
    text: str, *, signing_secret: str = SIGNING_SECRET, timestamp: int | None = None, **fields: Any
) -> SignedRequest:
    """A signed, form-encoded slash command (see `slash_command_payload` for the fields)."""
    body = urlencode(slash_command_payload(text, **fields), quote_via=quote).encode()
    return sign(body, FORM, signing_secret=signing_secret, timestamp=timestamp)


def block_action_payload(
    action_id: str,
    value: str,
    *,
    user_id: str = ALICE,
    channel_id: str = CHANNEL,
    response_url: str,
    message_ts: str,
    is_ephemeral: bool = True,
    block_id: str = "actions",
    message: dict[str, Any] | None = None,
    thread_ts: str | None = None,
    button_text: str = "Confirm",
    style: str | None = None,
    trigger_id: str = DEFAULT_TRIGGER_ID,
) -> dict[str, Any]:
    """A click on a button. Non-ephemeral clicks carry the source `message` (a minimal bot message
    unless given, e.g. `fake.messages[key].to_payload()`); ephemeral ones do not."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    if style:
        action["style"] = style
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": _NAMES.get(user_id, user_id.lower()),
            "name": _NAMES.get(user_id, user_id.lower()),
            "team_id": TEAM["id"],
        },
        "api_app_id": APP_ID,
        "token": "legacyVerificationToken",
        "container": container,
        "trigger_id": trigger_id,
        "team": dict(TEAM),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "incident-42"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if not is_ephemeral:
        payload["message"] = message or _bot_message(message_ts, thread_ts)
    return payload


def block_action(
    action_id: str,
    value: str,
    *,
    signing_secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    **fields: Any,
) -> SignedRequest:
    """A signed click: form-encoded `payload=<json>` (see `block_action_payload`)."""
    payload = block_action_payload(action_id, value, **fields)
    return _signed_payload(payload, signing_secret=signing_secret, timestamp=timestamp)


def view_submission_payload(
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, Any]],
    *,
    user_id: str = ALICE,
    team_id: str = TEAM["id"],
    view_id: str = DEFAULT_VIEW_ID,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    title: str = "Stop servers",
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A submitted modal. `values` maps block_id -> action_id -> the input's value: a string
    (or None for an empty optional field) becomes a plain_text_input state, a dict is used as
    the element state as is (e.g. a select's `selected_option`). Without `blocks`, the view
    holds one plain_text_input block per value."""
    name = _NAMES.get(user_id, user_id.lower())
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": _input_blocks(values) if blocks is None else blocks,
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": _state_values(values)},
        "hash": "1764255700.3f9a1c2b",
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "B0BOT",
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM["domain"]},
        "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "legacyVerificationToken",
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission(
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, Any]],
    *,
    signing_secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    **fields: Any,
) -> SignedRequest:
    """A signed view submission: form-encoded `payload=<json>` (see `view_submission_payload`)."""
    payload = view_submission_payload(callback_id, private_metadata, values, **fields)
    return _signed_payload(payload, signing_secret=signing_secret, timestamp=timestamp)


def _signed_payload(
    payload: dict[str, Any], *, signing_secret: str, timestamp: int | None
) -> SignedRequest:
    """Interactions travel as one form field, `payload`, holding the JSON."""
    body = urlencode({"payload": json.dumps(payload)}, quote_via=quote).encode()
    return sign(body, FORM, signing_secret=signing_secret, timestamp=timestamp)


def _state_values(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    def state(value: Any) -> dict[str, Any]:
        if isinstance(value, Mapping):
            return dict(value)
        return {"type": "plain_text_input", "value": value}

    return {
        block_id: {action_id: state(value) for action_id, value in actions.items()}
        for block_id, actions in values.items()
    }


def _input_blocks(values: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id, "emoji": True},
            "optional": False,
            "dispatch_action": False,
            "element": {"type": "plain_text_input", "action_id": action_id},
        }
        for block_id, actions in values.items()
        for action_id in actions
    ]


def app_mention_payload(
    text: str,
    *,
    user_id: str = ALICE,
    channel_id: str = CHANNEL,
    ts: str,
    thread_ts: str | None = None,
    event_id: str,
    bot_user_id: str = "U0BOT",
) -> dict[str, Any]:
    """The Events API `event_callback` body of an app_mention."""
    event: dict[str, Any] = {"type": "app_mention", "user": user_id, "text": text, "ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    event |= {"channel": channel_id, "event_ts": ts}
    return {
        "token": "legacyVerificationToken",
        "team_id": TEAM["id"],
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM["id"],
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }


def app_mention(
    text: str,
    *,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    signing_secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    **fields: Any,
) -> SignedRequest:
    """A signed JSON app_mention delivery; `retry_num` adds Slack's retry headers."""
    body = json.dumps(app_mention_payload(text, **fields)).encode()
    request = sign(body, "application/json", signing_secret=signing_secret, timestamp=timestamp)
    if retry_num is not None:
        request.headers["X-Slack-Retry-Num"] = str(retry_num)
        request.headers["X-Slack-Retry-Reason"] = retry_reason
    return request


def _bot_message(ts: str, thread_ts: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": "U0BOT",
        "bot_id": "B0BOT",
        "ts": ts,
        "text": "bms-bot message",
        "blocks": [],
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return message
