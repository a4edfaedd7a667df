"""Malformed Slack clicks for the fuzz tests and the fault trials: every part of the wrong kind."""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import quote, urlencode

from tests.fakes.slack_requests import block_action_payload

JUNK: list[Any] = [None, "", 0, [], {}, "x" * 300, [1], {"id": []}, True, -1.5]


def mutated_click(rng: random.Random) -> Any:
    """A click payload with one part replaced by junk or removed, or junk instead of a payload."""
    payload: dict[str, Any] = block_action_payload(
        "bms_stop_confirm", "req_x", response_url="https://hooks.slack.com/x", message_ts="1.2"
    )
    key = rng.choice([*payload, "actions", "user", "channel", "container", "team"])
    roll = rng.random()
    if roll < 0.4:
        payload[key] = rng.choice(JUNK)
    elif roll < 0.6:
        payload.pop(key, None)
    elif roll < 0.8:
        payload["actions"] = [rng.choice(JUNK)]
    else:
        return rng.choice(JUNK)
    return payload


def fuzzed_click_body(rng: random.Random) -> bytes:
    """The form body of a mutated click; one in ten is not even JSON."""
    raw = json.dumps(mutated_click(rng)) if rng.random() < 0.9 else "{not json"
    return urlencode({"payload": raw}, quote_via=quote).encode()
