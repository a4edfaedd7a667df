"""What Slack sends over HTTP, checked before Bolt sees it: the signature, its timestamp, and the
shape of the payload. A request that fails gets a plain 401 or 400 and one log line, never a 500
or a traceback, whatever it carries.

The signature is ``v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"))`` and requests more
than five minutes old (or ahead) are refused. When the signature is right but the timestamp is
not, the usual cause is this machine's clock: the refusal says by how much it is off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

MAX_AGE_SECONDS = 300
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; refuse anything this big


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: the HTTP status to answer and a line for the log."""

    status: int
    reason: str
    skew_seconds: float | None = None  # the signature was right; the clock is off by this much


def _signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def check_signature(
    secret: str, headers: Mapping[str, str], body: bytes, now: float
) -> Refusal | None:
    """None if Slack signed ``body`` within the last five minutes; else why not (401)."""
    stamp = headers.get(TIMESTAMP_HEADER, "").strip()
    given = headers.get(SIGNATURE_HEADER, "")
    if not stamp.isdigit() or len(stamp) > 12:
        return Refusal(401, "missing or malformed X-Slack-Request-Timestamp")
    if not hmac.compare_digest(_signature(secret, stamp, body), given):
        return Refusal(401, "invalid request signature")
    skew = now - int(stamp)
    if abs(skew) > MAX_AGE_SECONDS:
        return Refusal(401, "request timestamp outside the 5-minute window", skew_seconds=skew)
    return None


def check_shape(content_type: str, body: bytes) -> Refusal | None:
    """None if ``body`` is a slash command, an interaction or an Events API callback with the
    fields the bot reads; else why not (400)."""
    if len(body) > MAX_BODY_BYTES:
        return Refusal(400, "request body too large")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return Refusal(400, "request body is not UTF-8")
    if content_type.startswith("application/json"):
        return _event_problem(_json(text))
    form = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    if "payload" in form:
        return _interaction_problem(_json(form["payload"]))
    if "command" in form:
        return _command_problem(form)
    return Refusal(400, "neither a slash command, an interaction nor an event")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _command_problem(form: Mapping[str, str]) -> Refusal | None:
    missing = [f for f in ("command", "user_id", "channel_id") if not _filled(form.get(f))]
    return Refusal(400, f"slash command without {', '.join(missing)}") if missing else None


def _at(value: Any, *keys: str) -> Any:
    """``value[k1][k2]…`` when each step is an object, else None (payloads can be anything)."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _well_formed_actions(actions: Any) -> bool:
    return (
        isinstance(actions, list)
        and bool(actions)
        and all(_filled(_at(action, "action_id")) for action in actions)
    )


def _objects_where_given(payload: dict[str, Any], *keys: str) -> bool:
    """Each of ``keys`` is absent or a JSON object, as Slack always sends them."""
    return all(payload.get(key) is None or isinstance(payload.get(key), dict) for key in keys)


Rule = tuple[Callable[[dict[str, Any]], bool], str]
# Interactions Bolt routes by their top-level callback_id (it reads it unchecked).
_NAMED_BY_CALLBACK = frozenset(
    {"shortcut", "message_action", "workflow_step_edit", "interactive_message"}
)
_PARTS = ("user", "team", "channel", "container", "message", "view", "enterprise")
_CLICK_RULES: tuple[Rule, ...] = (
    (lambda p: _objects_where_given(p, *_PARTS), "click with a part that is not an object"),
    (lambda p: _filled(_at(p, "user", "id")), "click without a user"),
    (
        lambda p: _filled(_at(p, "channel", "id")) or _filled(_at(p, "container", "channel_id")),
        "click without a channel",
    ),
    (lambda p: _well_formed_actions(p.get("actions")), "click without well-formed actions"),
    (lambda p: isinstance(p.get("response_url", ""), str), "click with a malformed response_url"),
)
_VIEW_RULES: tuple[Rule, ...] = (
    (lambda p: _objects_where_given(p, *_PARTS), "view submission with a part not an object"),
    (lambda p: _filled(_at(p, "user", "id")), "view submission without a user"),
    (lambda p: _filled(_at(p, "view", "type")), "view submission without a typed view"),
    (lambda p: isinstance(_at(p, "view", "callback_id") or "", str), "malformed callback_id"),
    (
        lambda p: isinstance(_at(p, "view", "private_metadata") or "", str),
        "malformed private_metadata",
    ),
    (
        lambda p: _at(p, "view", "state") is None or isinstance(_at(p, "view", "state"), dict),
        "malformed view state",
    ),
)
_MENTION_RULES: tuple[Rule, ...] = (
    (
        lambda e: _filled(e.get("user")) and _filled(e.get("channel")),
        "mention without a user or a channel",
    ),
    (lambda e: isinstance(e.get("text", ""), str), "mention with a malformed text"),
)


def _broken(rules: tuple[Rule, ...], value: dict[str, Any]) -> Refusal | None:
    """The first rule ``value`` breaks, as a 400."""
    for holds, reason in rules:
        if not holds(value):
            return Refusal(400, reason)
    return None


# Bolt reads these of any interaction before a listener runs (view["type"], a shortcut's
# callback_id): Slack always sends them so, and anything else is refused here, not a 500.
_INTERACTION_RULES: tuple[Rule, ...] = (
    (lambda p: _objects_where_given(p, *_PARTS), "interaction with a part that is not an object"),
    (
        # Absent, or an object with a type: Bolt reads view["type"] whenever the key is there.
        lambda p: "view" not in p or _filled(_at(p, "view", "type")),
        "interaction with a view without a type",
    ),
    (
        lambda p: p["type"] not in _NAMED_BY_CALLBACK or _filled(p.get("callback_id")),
        "interaction without the callback_id it is routed by",
    ),
)
_RULES_BY_TYPE = {"view_submission": _VIEW_RULES, "block_actions": _CLICK_RULES}


def _interaction_problem(payload: Any) -> Refusal | None:
    if not isinstance(payload, dict) or not _filled(payload.get("type")):
        return Refusal(400, "interaction payload is not a JSON object with a type")
    # Types the bot does not listen to need only what Bolt reads: Bolt answers them.
    rules = _INTERACTION_RULES + _RULES_BY_TYPE.get(payload["type"], ())
    return _broken(rules, payload)


def _event_problem(body: Any) -> Refusal | None:
    if not isinstance(body, dict) or not _filled(body.get("type")):
        return Refusal(400, "event body is not a JSON object with a type")
    if body["type"] == "url_verification":
        return None if _filled(body.get("challenge")) else Refusal(400, "challenge missing")
    if body["type"] != "event_callback":
        return None
    event = body.get("event")
    if not isinstance(event, dict) or not _filled(event.get("type")):
        return Refusal(400, "event callback without an event")
    return _broken(_MENTION_RULES, event) if event["type"] == "app_mention" else None
