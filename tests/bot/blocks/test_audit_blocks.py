"""The audit trail in Slack: within Block Kit's limits at any size, everything stored escaped."""

from __future__ import annotations

import json

import pytest
from block_factories import HOSTILE, LONG_REASON, WEIRD_NAME
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.audit import audit_line, audit_message, audit_refused_message
from bot.core.audit import AuditEvent, AuditKind, chain

AT = 1_800_000_000.0
USER = "U2147483697"


def event(n: int = 0, text: str = "disk full", **changes: object) -> AuditEvent:
    values: dict[str, object] = {
        "kind": AuditKind.SERVER_OUTCOME,
        "at": AT + n,
        "actor_id": USER,
        "actor_name": text,
        "channel_id": "C1",
        "thread_link": f"https://example.slack.com/archives/C1/p{n}|{text}",
        "request_id": f"req_{n}",
        "targets": (f"srv-{n}",),
        "count": 1,
        "stop_type": "hard",
        "reason": text,
        "rule": f"grant {text}",
        "job_ids": ("job-1",),
        "cloud_request_ids": ("x-req-1",),
        "detail": {"outcome": "stopped", "note": text, text[:20] or "k": text},
    }
    return AuditEvent(**(values | changes))  # type: ignore[arg-type]


def _blocks(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


@pytest.mark.parametrize("count", [0, 1, 12, 100, 1000])
@pytest.mark.parametrize("text", ["disk full", HOSTILE, WEIRD_NAME, LONG_REASON])
def test_any_number_of_entries_fits_and_is_escaped(count: int, text: str) -> None:
    """Any number of entries with any text is one valid message with no markup but the bot's."""
    message = audit_message(chain(event(n, text) for n in range(count)), request_id=text)
    assert_within_slack_limits(message)
    assert_no_injection(message, allowed=(f"<@{USER}>",))
    assert len(message.blocks) <= 50


def test_a_line_says_when_what_who_which_request_how_many_which_rule_and_detail() -> None:
    """One line carries the Slack date, kind, mention, request, count, rule and short detail."""
    entry = chain([event(kind=AuditKind.APPROVAL_REQUESTED, detail={"code": "BMS.0036"})])[0]
    line = audit_line(entry, {"srv-0": "web-1"})
    assert line.startswith("`#1` <!date^1800000000^{date_short_pretty} {time}|")
    assert "|2027-01-15T08:00:00Z>" in line
    for said in ("*approval requested*", f"<@{USER}>", "`req_0`", "1 server (web-1), hard"):
        assert said in line, said
    assert "rule `grant disk full`" in line
    assert "“disk full”" in line
    assert "code: BMS.0036" in line


def test_the_bot_acting_alone_is_named_so() -> None:
    """An entry without an actor says the bot did it, and needs no request or servers."""
    bare = AuditEvent(AuditKind.EXPIRED, AT, None, None, None, None, None)
    line = audit_line(chain([bare])[0], {})
    assert "*expired* by the bot" in line
    assert "server" not in line


def test_a_malformed_actor_id_is_never_a_mention() -> None:
    """An actor id that is not a Slack user id shows the escaped name instead."""
    line = audit_line(chain([event(actor_id="<!channel>", actor_name="<!here> Eve")])[0], {})
    assert "<!channel>" not in line
    assert "<!here>" not in line
    assert "&lt;!here&gt; Eve" in line


def test_many_servers_are_counted_not_listed() -> None:
    """An entry about many servers gives their number, not every name."""
    many = event(targets=tuple(f"srv-{i}" for i in range(40)), count=40)
    line = audit_line(chain([many])[0], {})
    assert "40 servers, hard" in line
    assert "srv-3" not in line


def test_when_entries_do_not_fit_the_newest_are_shown_and_the_rest_counted() -> None:
    """With more entries than fit, the newest are kept in order and the older ones counted."""
    entries = chain(event(n, LONG_REASON) for n in range(300))
    message = audit_message(entries)
    text = _blocks(message)
    assert "`#300`" in text
    assert "`#1` " not in text
    shown = [int(s.split("`")[0]) for s in text.split("`#")[1:]]
    assert shown == sorted(shown)
    assert shown[-1] == 300
    assert f"…and {300 - len(shown):,} older entries" in text
    assert "bms-bot audit export" in text


def test_a_few_entries_are_all_shown_in_few_sections() -> None:
    """A dozen entries all fit, packed into a few sections rather than one block each."""
    message = audit_message(chain(event(n) for n in range(12)), request_id="req_1")
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert len(sections) <= 3
    assert all(f"`#{n}` " in _blocks(message) for n in range(1, 13))
    assert "older entries" not in _blocks(message)
    assert message.text == "Audit trail of req_1: 12 entries"
    assert "Request `req_1`" in _blocks(message)


def test_no_entries_says_so() -> None:
    """An empty trail is a short message, not an empty one."""
    message = audit_message([])
    assert_within_slack_limits(message)
    assert "No entries." in _blocks(message)


def test_the_refusal_names_the_policy_setting() -> None:
    """Someone not allowed to read the audit is told who may, in one valid message."""
    message = audit_refused_message()
    assert_within_slack_limits(message)
    assert "Only the audit readers named in the policy (`[audit] readers`) may read the audit." in (
        message.text
    )
