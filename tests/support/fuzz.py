"""Fuzzed Slack input for the fuzz tests, the fault trials and ``bench/fuzz_inputs.py``.

- ``mutated_click`` / ``fuzzed_click_body``: seeded-random malformed clicks (``random.Random``).
- ``command_texts()``, ``click_forms(real_ids)``, ``junk_forms()``: Hypothesis strategies for
  ``/bms`` text (any unicode, a grammar of realistic and hostile tokens, very long text), for
  ``block_actions`` clicks (parts of the wrong kind or missing, foreign ids, real ids in the wrong
  hands or on buttons the bot has not got), and for junk where a click should be;
  ``interaction_forms()`` for the other interactions (modal submissions and the like).
- ``expected_statuses``: what the HTTP endpoint may answer a correctly signed body, as
  ``bot/slack/inbound.py`` and ``bot/http.py`` decide (400; 413 past 1 MiB) and Bolt routes it
  (200, or 404 when no listener wants it).
- ``send_command`` / ``send_click``: one case through the running bot, and what came of it.
- ``BotThread``: the running bot on its own event loop in a background thread, so that a
  synchronous caller (a Hypothesis ``@given`` test, which cannot be a coroutine) can drive it.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlencode

from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.ids import ActionId, BlockId, CallbackId
from bot.slack.inbound import MAX_BODY_BYTES, check_shape
from simulator.state import Simulator
from tests.fakes.slack_requests import ALICE, BOB, CHANNEL, block_action_payload, sign
from tests.support.harness import Bot, ack_problem, new_simulator, running_bot

FORM = "application/x-www-form-urlencoded"
JUNK: list[Any] = [None, "", 0, [], {}, "x" * 300, [1], {"id": []}, True, -1.5]
T = TypeVar("T")


class LongText(str):
    """A string whose repr is short when it is long: Hypothesis prints failing examples (and warns
    about a repr of over 30,000 characters); the request still carries every character."""

    __slots__ = ()

    def __repr__(self) -> str:
        if len(self) <= 400:
            return super().__repr__()
        return f"LongText({self[:120]!r} … {self[-40:]!r}, {len(self):,} characters)"


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


# -- the simulator's servers, fixed so that strategies can name them before any bot runs ----------

FUZZ_SERVERS = (
    ("web-001", "ACTIVE", "3f1f8a0e-5b7c-4d2a-9e61-0a4b5c6d7e01"),
    ("web-002", "ACTIVE", "3f1f8a0e-5b7c-4d2a-9e61-0a4b5c6d7e02"),
    ("db-001", "ACTIVE", "3f1f8a0e-5b7c-4d2a-9e61-0a4b5c6d7e03"),
    ("old-001", "SHUTOFF", "3f1f8a0e-5b7c-4d2a-9e61-0a4b5c6d7e04"),
)
SERVER_IDS = tuple(server_id for _, _, server_id in FUZZ_SERVERS)
UNLIMITED = 10**9


def fuzz_simulator(**kwargs: Any) -> Simulator:
    """The simulator with ``FUZZ_SERVERS``, and its per-minute limits lifted: fuzzing measures the
    bot, not the simulated gateway's throttle (tested on its own in tests/handlers)."""
    sim = new_simulator(limits={"server": UNLIMITED, "list": UNLIMITED, "job": UNLIMITED}, **kwargs)
    for name, status, server_id in FUZZ_SERVERS:
        sim.add_server(server_id, name, status)
    return sim


# -- command text ------------------------------------------------------------------------------

VERBS = ("stop", "status", "help", "audit", "approve", "STOP", "Status", "reboot", "start", "")
OPTIONS = ("--soft", "--hard", "--break-glass", "--force", "--yes", "-f", "--", "---soft",
           "\u2014soft", "\u2013hard", "--soft=yes", "--reason", "--ttl=5m", "--for",
           "2h")  # fmt: skip
MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U123|alice>", f"<@{BOB}>",
            "<@W999>", "<#C1|x>", "<#C2147483705>", "<!subteam^S123|@ops>",
            "<https://evil.example|click>", "<mailto:x@y.z|x>",
            "<!date^1392734382^{date}|x>")  # fmt: skip
ENTITIES = ("&lt;", "&gt;", "&amp;", "&amp;lt;", "&lt;!channel&gt;", "&#60;", "&quot;", "&")
# Zero-width, bidi overrides and isolates, soft hyphen, odd spaces, NUL, DEL, CR: one each.
INVISIBLES = tuple(
    "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u061c\u00ad\u00a0\u3000\x00\x7f\r"
)
MARKUP = (*"`*_~>\"'()[]{}\u201c", "```", "*bold*")
SEPARATORS = (" ", " ", " ", "  ", "\n", ",", ", ", ";", "\t", "\u00a0", "\u200b", "")
WRAPS = (("", ""), ("`", "`"), ('"', '"'), ("[", "]"), ("(", ")"), ("\u201c", "\u201d"))


def _wrapped(token: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda t, w: w[0] + t + w[1], token, st.sampled_from(WRAPS))


def _uuids() -> st.SearchStrategy[str]:
    uuid = st.uuids().map(str)
    return uuid | uuid.map(str.upper) | uuid.map(lambda u: u.replace("-", ""))


def _server_ids() -> st.SearchStrategy[str]:
    known = st.sampled_from(SERVER_IDS)
    return known | known.map(str.upper) | known.map(lambda i: i[:-1]) | known.map(lambda i: i + "0")


def _tokens() -> st.SearchStrategy[str]:
    """One word of a command: realistic, hostile, or any text."""
    hex32 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
    return st.one_of(
        st.sampled_from(VERBS),
        _wrapped(_server_ids()),
        _wrapped(_uuids()),
        st.sampled_from([name for name, _, _ in FUZZ_SERVERS]),
        hex32,
        st.sampled_from(OPTIONS),
        st.sampled_from(MENTIONS),
        st.sampled_from(ENTITIES),
        st.sampled_from(INVISIBLES),
        st.sampled_from(MARKUP),
        st.builds(lambda t: "reason:" + t, st.text(max_size=80)),
        st.text(max_size=12),
    )


def _sentence(words: st.SearchStrategy[str], max_words: int) -> st.SearchStrategy[str]:
    pair = st.tuples(st.sampled_from(SEPARATORS), words)
    return st.lists(pair, max_size=max_words).map(lambda ps: "".join(s + w for s, w in ps))


def _hostile_text(max_words: int) -> st.SearchStrategy[str]:
    words = st.one_of(
        st.sampled_from(MENTIONS + ENTITIES + INVISIBLES + MARKUP + OPTIONS), st.text(max_size=12)
    )
    return _sentence(words, max_words)


def _stop_commands() -> st.SearchStrategy[str]:
    """``stop`` with ids (known, unknown, mangled), maybe an option, maybe a hostile reason."""
    known = st.sampled_from(SERVER_IDS)
    ids = st.lists(st.one_of(known, st.uuids().map(str), _wrapped(_server_ids())), min_size=1,
                   max_size=8)  # fmt: skip
    return st.builds(
        lambda verb, ids, sep, option, reason: f"{verb} {sep.join(ids)}{option}{reason}",
        st.sampled_from(["stop", "STOP", "Stop", " stop"]),
        ids,
        st.sampled_from([" ", ",", ", ", "\n", ";", "\u200b"]),
        st.sampled_from(("", "--soft", "--hard", *OPTIONS)).map(lambda o: o and " " + o),
        st.just("") | _hostile_text(8).map(lambda t: " reason: " + t),
    )


def _status_commands() -> st.SearchStrategy[str]:
    job = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32) | st.text(max_size=40)
    return st.builds(lambda j, tail: f"status {j}{tail}", job, _hostile_text(3))


def _long_texts() -> st.SearchStrategy[str]:
    """Very long inputs, built by repetition (Hypothesis draws stay small)."""
    short = st.one_of(_server_ids(), st.sampled_from(MENTIONS + ENTITIES + INVISIBLES + OPTIONS))
    n = st.integers(200, 6000)
    texts = st.one_of(
        st.builds(
            lambda v, t, k, s: f"{v} " + s.join([t] * k),
            st.sampled_from(VERBS),
            short,
            n,
            st.sampled_from(SEPARATORS),
        ),
        st.builds(
            lambda i, t, k: f"stop {i} reason: " + t * k,
            st.sampled_from(SERVER_IDS),
            st.sampled_from(["x", "\u202e", "<!channel> ", "&amp;", "é", "\U0001f525"]),
            n,
        ),
        st.builds(
            lambda ids: "stop " + " ".join(ids), st.lists(_uuids(), min_size=50, max_size=120)
        ),
    )
    return texts.map(LongText)


def command_texts() -> st.SearchStrategy[str]:
    """``/bms`` text: any unicode; a grammar of realistic and hostile tokens, after a verb or not;
    a stop that often parses; a status; very long text."""
    verb_first = st.builds(
        lambda v, rest: v + rest, st.sampled_from(VERBS), _sentence(_tokens(), 24)
    )
    return st.one_of(
        st.text(max_size=300),
        verb_first,
        _sentence(_tokens(), 12),
        _stop_commands(),
        _status_commands(),
        _long_texts(),
    )


# -- clicks ------------------------------------------------------------------------------------

_json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
JSON_JUNK = st.recursive(
    _json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
HUGE_SIZES = (10_000, 100_000, 1_100_000)  # the last is over the 1 MiB body limit
FOREIGN_IDS = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=12, max_size=12).map(lambda h: "req_" + h),
    st.sampled_from(
        ["req_x", "req_", "", " ", "req_000000000000", "../../etc/passwd", "' OR 1=1 --"]
    ),
    st.text(max_size=40),
)
# A click's response_url: the fake Slack's (``FAKE_RESPONSE_URL``, swapped for a fresh one when
# sent), or ones the bot must never post to. Never Slack's real hooks: the bot would go online.
FAKE_RESPONSE_URL = "http://fake-slack.invalid/response"
RESPONSE_URLS = (FAKE_RESPONSE_URL, "", "x", "file:///etc/passwd", "http://127.0.0.1:1/internal",
                 "https://hooks.slack.com.evil.invalid/x")  # fmt: skip
KNOWN_ACTIONS = tuple(a.value for a in ActionId)
UNKNOWN_ACTIONS = st.one_of(
    st.sampled_from(KNOWN_ACTIONS).map(lambda a: a.upper()),
    st.sampled_from(KNOWN_ACTIONS).map(lambda a: a + " "),
    st.sampled_from(
        [a for a in ("bms_approve", "bms_reject", "bms_retry", "", " ") if a not in KNOWN_ACTIONS]
    ),
    st.text(max_size=30).filter(lambda a: a not in KNOWN_ACTIONS),
)
NOT_ALICE = st.sampled_from(
    [
        BOB,
        "U0BOT",
        "UOTHER",
        ALICE.lower(),
        f" {ALICE}",
        f"{ALICE} ",
        f"{ALICE}\u200b",
        f"<@{ALICE}>",
    ]
)
# Parts of a click to break, as dotted paths into the payload ("actions.0.value"): the ones the
# inbound checks look at, and the ones only the listeners read.
_CHECKED = "type user user.id channel.id container.channel_id response_url actions actions.0"
_UNCHECKED = (
    "user.name channel container container.message_ts container.is_ephemeral container.thread_ts "
    "team team.id actions.0.value actions.0.type actions.0.block_id actions.0.action_ts message "
    "state api_app_id trigger_id enterprise is_enterprise_install token"
)


def _paths(parts: str) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        tuple(int(step) if step.isdigit() else step for step in part.split("."))
        for part in parts.split()
    )


CHECKED_PATHS, UNCHECKED_PATHS = _paths(_CHECKED), _paths(_UNCHECKED)


def _values(real_ids: Sequence[str]) -> st.SearchStrategy[Any]:
    """A button's ``value``: foreign ids, junk of any JSON type, huge strings, JSON in a string."""
    ids = FOREIGN_IDS | st.sampled_from(real_ids) if real_ids else FOREIGN_IDS
    return st.one_of(
        FOREIGN_IDS,
        JSON_JUNK,
        st.builds(
            lambda c, n: c * n,
            st.sampled_from(["x", "é", "\u202e", "%"]),
            st.sampled_from(HUGE_SIZES),
        ),
        st.builds(lambda i: json.dumps({"request_id": i, "action": "confirm"}), ids),
        st.builds(lambda i: json.dumps([i]), ids),
    )


def _set(payload: Any, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    """Set (or delete) ``payload[path]`` where every step exists and is of the right kind."""
    *parents, last = path
    node = payload
    for step in parents:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict) or (
        isinstance(node, list) and isinstance(last, int) and last < len(node)
    ):
        if delete and isinstance(node, dict):
            node.pop(last, None)
        else:
            node[last] = value


@st.composite
def _mutated(draw: st.DrawFn, real_ids: Sequence[str]) -> Any:
    """A click with a drawn action id, value and clicker; then up to three parts the inbound checks
    do not look at broken, and maybe one they do."""
    # One of the bot's buttons half the time (st.one_of would give it one branch in five).
    action_id = draw(st.sampled_from(KNOWN_ACTIONS) if draw(st.booleans()) else UNKNOWN_ACTIONS)
    if real_ids and draw(st.booleans()):  # a real preview's id, never in its requester's hands
        value: Any = draw(st.sampled_from(real_ids))
        user = draw(NOT_ALICE)
        if not draw(st.booleans()):  # or in the requester's, on a button the bot has not got
            action_id = draw(UNKNOWN_ACTIONS)
            user = ALICE
    else:
        value = draw(_values(real_ids))
        user = draw(st.sampled_from([ALICE, BOB, "U0BOT", "W0ENTERPRISE"]) | st.text(max_size=12))
    payload = block_action_payload(
        "placeholder",
        "placeholder",
        user_id=user,
        channel_id=draw(st.sampled_from([CHANNEL, "C0OTHER", "D0DM", ""])),
        response_url=draw(st.sampled_from(RESPONSE_URLS)),
        message_ts=draw(st.sampled_from(["1764255601.000200", "", "nan", "1e400"])),
        is_ephemeral=draw(st.booleans()),
    )
    payload["actions"][0]["action_id"] = action_id
    payload["actions"][0]["value"] = value
    junk = JSON_JUNK | st.text(max_size=20)
    for _ in range(draw(st.integers(0, 3))):
        _set(payload, draw(st.sampled_from(UNCHECKED_PATHS)), draw(junk), draw(st.booleans()))
    # A real id keeps its clicker as drawn: junk there is no test of who may click.
    if not (real_ids and value in real_ids) and draw(st.booleans()):
        _set(payload, draw(st.sampled_from(CHECKED_PATHS)), draw(junk), draw(st.booleans()))
    return payload


def click_forms(real_ids: Sequence[str] = ()) -> st.SearchStrategy[dict[str, str]]:
    """The form of a click, ``payload=<JSON>``, with parts of the wrong kind or missing.
    ``real_ids`` are previews that must survive every click."""
    return _mutated(real_ids).map(lambda p: {"payload": LongText(json.dumps(p))})


def junk_forms() -> st.SearchStrategy[dict[str, str]]:
    """Junk where a click's form should be: JSON of any kind or no JSON as the payload, or a form
    without one."""
    junk = st.one_of(JSON_JUNK.map(json.dumps), st.text(max_size=60))
    fields = st.sampled_from(["payload", "command", "type", "x", ""])
    return junk.map(lambda p: {"payload": p}) | st.dictionaries(fields, st.text(max_size=20))


INTERACTION_TYPES = ("view_submission", "view_closed", "block_suggestion", "shortcut",
                     "message_action", "interactive_message", "workflow_step_edit")  # fmt: skip
_VIEW_PARTS = _paths(
    "type user user.id team view view.type view.callback_id view.private_metadata view.state "
    "view.state.values view.id view.hash trigger_id"
)


@st.composite
def _interaction(draw: st.DrawFn) -> Any:
    """A modal submission (the bot's reject-reason modal, or another) or another interaction
    type, with up to three parts broken."""
    reason = {"type": "plain_text_input", "value": draw(st.text(max_size=40))}
    view = {
        "id": "V0123456789",
        "type": "modal",
        "callback_id": draw(st.sampled_from([*(c.value for c in CallbackId), "other"])),
        "private_metadata": draw(FOREIGN_IDS),  # no real preview: a reject cannot stop anyway
        "state": {
            "values": {BlockId.REJECT_REASON.value: {CallbackId.REJECT_REASON.value: reason}}
        },
        "hash": "1764255601.abcdef",
    }
    payload = {
        "type": draw(st.sampled_from(INTERACTION_TYPES)),
        "user": {"id": draw(st.sampled_from([ALICE, BOB]))},
        "team": {"id": "T0001", "domain": "acme"},
        "api_app_id": "A123456",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "view": view,
    }
    for _ in range(draw(st.integers(0, 3))):
        _set(payload, draw(st.sampled_from(_VIEW_PARTS)), draw(JSON_JUNK), draw(st.booleans()))
    return payload


def interaction_forms() -> st.SearchStrategy[dict[str, str]]:
    """The form of an interaction other than a click: a modal submitted, closed, a shortcut…"""
    return _interaction().map(lambda p: {"payload": LongText(json.dumps(p))})


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields, quote_via=quote).encode()


def _first_action_id(body: bytes) -> Any:
    form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    try:
        payload = json.loads(form.get("payload", "null"))
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first.get("action_id") if isinstance(first, dict) else None


def _listened(body: bytes) -> bool:
    """A ``/bms`` command, or a click on a button the bot has: a listener must answer 200."""
    form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    if "payload" not in form and form.get("command") == "/bms":
        return True
    return _first_action_id(body) in KNOWN_ACTIONS


def _bolt_cannot_read(body: bytes, content_type: str) -> bool:
    """Bolt's own parsing fails on it (``"channel": false``, say): ``bot/http.py`` answers 400."""
    try:
        AsyncBoltRequest(body=body.decode(), headers={"content-type": [content_type]})
    except Exception:  # whatever Bolt raises is the point
        return True
    return False


def expected_statuses(body: bytes, content_type: str = FORM) -> set[int]:
    """What a correctly signed ``body`` may be answered: 400 when the inbound checks refuse it
    (413 from aiohttp's own 1 MiB limit, which comes first) or Bolt cannot read what passed them;
    else 200, or 404 when no listener wants it (Bolt's answer for a button the bot has not got)."""
    if len(body) > MAX_BODY_BYTES:
        return {400, 413}
    if check_shape(content_type, body) is not None or _bolt_cannot_read(body, content_type):
        return {400}
    return {200} if _listened(body) else {200, 404}


# -- driving the bot ---------------------------------------------------------------------------

ANSWER_WITHIN = 5.0  # seconds; Slack's ack budget is 3 s, the follow-up is a lookup away


@dataclass(frozen=True)
class CommandOutcome:
    status: int
    expected: frozenset[int]
    ack_problem: str | None  # the ack as Slack would show it is no valid message
    answered: bool  # an ack with a message, and the follow-up if one is due

    @property
    def ok(self) -> bool:
        return self.status in self.expected and (self.status != 200 or self._fine)

    @property
    def _fine(self) -> bool:
        return self.ack_problem is None and self.answered


async def send_command(bot: Bot, text: str) -> CommandOutcome:
    """Send ``/bms <text>`` and wait (up to ``ANSWER_WITHIN``) for its answer."""
    from bot.commands import answered_at_once  # the handler's own rule: is a follow-up due?
    from bot.core.parser import parse_command

    ephemerals, messages = len(bot.slack.ephemerals), len(bot.slack.messages)
    response, url = await bot.command(text)
    expected = frozenset(expected_statuses(response.request.content))
    problem = ack_problem(response) if response.content else "empty ack"
    if response.status_code != 200 or answered_at_once(parse_command(text)):
        return CommandOutcome(response.status_code, expected, problem, problem is None)

    def followed_up() -> bool:
        return (
            bool(bot.responses(url))
            or len(bot.slack.ephemerals) > ephemerals
            or (len(bot.slack.messages) > messages)
        )

    try:
        await bot.slack.wait_for(followed_up, timeout=ANSWER_WITHIN)
    except AssertionError:
        return CommandOutcome(response.status_code, expected, problem, False)
    return CommandOutcome(response.status_code, expected, problem, True)


@dataclass(frozen=True)
class ClickOutcome:
    status: int
    expected: frozenset[int]
    handled: bool  # a 200 for a button the bot has: one of its listeners took it
    answered: bool  # and the bot then called Slack (informative: not every click can be answered)

    @property
    def ok(self) -> bool:
        return self.status in self.expected


async def send_click(bot: Bot, fields: dict[str, str], settle: float = 0.5) -> ClickOutcome:
    """Post a correctly signed click; when the bot handles it, wait (up to ``settle``) for its
    answer, so whatever it set off has happened before the next case."""
    url = bot.slack.new_response_url("actions")
    body = form_body({k: v.replace(FAKE_RESPONSE_URL, url) for k, v in fields.items()})
    seen = len(bot.slack.calls)
    response = await bot.post(body, dict(sign(body, FORM).headers))
    expected = frozenset(expected_statuses(body))
    handled = response.status_code == 200 and _first_action_id(body) in KNOWN_ACTIONS
    answered = False
    if handled:
        try:
            await bot.slack.wait_for(lambda: len(bot.slack.calls) > seen, timeout=settle)
            answered = True
        except AssertionError:
            pass
    return ClickOutcome(response.status_code, expected, handled, answered)


class BotThread:
    """``running_bot`` on an event loop of its own, in a background thread.

    ``run(coro)`` runs a coroutine on the bot's loop and waits for its result, so synchronous code
    can drive the bot: Hypothesis runs ``@given`` tests synchronously, one example at a time.

        with BotThread(tmp_path) as running:
            running.run(running.bot.command("help"))
    """

    def __init__(self, tmp_path: Path, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bot", daemon=True)
        self._context: AbstractAsyncContextManager[Bot] = running_bot(tmp_path, **kwargs)
        self.bot: Bot

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def __enter__(self) -> BotThread:
        self._thread.start()
        try:
            self.bot = self.run(self._context.__aenter__())
        except BaseException:
            self._close_loop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.run(self._context.__aexit__(exc_type, exc, tb))
            self.run(_cancel_the_rest())
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        try:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        finally:
            self._loop.close()


async def _cancel_the_rest() -> None:
    """What ``asyncio.run`` does before closing its loop: cancel and await every other task."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
