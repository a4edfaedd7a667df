"""The policy file: what loads, and every mistake worded with its file and key path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.policy.load import PolicyError, load_policy
from bot.policy.model import DEFAULT_APPROVAL_TTL, DEFAULT_MAX_SERVERS, Approval, Policy
from tests.bot.policy.policy_examples import DB_ID, EXAMPLE

GRANT = """
[[grant]]
name = "sre-oncall"
requesters = ["U0ALICE001"]
channels = ["C0INCIDENT"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> tuple[str, ...]:
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, text))
    return caught.value.problems


def problem(tmp_path: Path, text: str) -> str:
    [only] = problems(tmp_path, text)
    return only


# --- what loads -------------------------------------------------------------------------------


def test_the_documented_example_loads_into_typed_values(tmp_path: Path) -> None:
    """Every key of the example arrives typed: durations in seconds, approval parsed."""
    p = load_policy(write(tmp_path, EXAMPLE))
    assert p.defaults.max_servers == 500
    assert p.defaults.approval_ttl == 5400
    oncall, sandbox = p.grant
    assert oncall.name == "sre-oncall"
    assert oncall.requesters == ("@sre-oncall", "U0ALICE001")
    assert oncall.approval == Approval("above", 20)
    assert oncall.approval_for is not None
    assert oncall.approval_for.names == ("*-prod-*",)
    assert oncall.approval_for.tags == ("env=prod",)
    assert oncall.break_glass
    assert oncall.asks_approval
    assert not sandbox.asks_approval
    assert str(sandbox.approval) == "never"
    assert p.limit_of(oncall) == 200
    assert p.limit_of(sandbox) == 500
    [protect] = p.protect
    assert protect.selector.ids == (DB_ID,)
    assert protect.selector.tags == ("env=prod", "keep")
    assert p.audit.readers == ("@sre-leads",)
    assert p.audit.channel == "C0AUDIT01"
    assert p.group_refs() == {"@sre-oncall", "@sre-leads", "S0ENGINEER"}


def test_an_empty_file_is_a_policy_that_grants_nothing(tmp_path: Path) -> None:
    """An empty file loads: the defaults, no grants, no protection, no readers."""
    p = load_policy(write(tmp_path, ""))
    assert p == Policy.model_validate({})
    assert p.grant == ()
    assert p.defaults.max_servers == DEFAULT_MAX_SERVERS
    assert p.defaults.approval_ttl == DEFAULT_APPROVAL_TTL


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("never", Approval("never")),
        ("Always", Approval("always")),
        ("above 20", Approval("above", 20)),
        ("ABOVE   0", Approval("above", 0)),
    ],
)
def test_approval_strings_parse_and_print_back(text: str, parsed: Approval) -> None:
    """ "never", "always" and "above N" parse in any case and spacing, and print plainly."""
    assert Approval.parse(text) == parsed
    assert Approval.parse(str(parsed)) == parsed


def test_approval_ttl_may_be_seconds(tmp_path: Path) -> None:
    """A number for approval_ttl is seconds."""
    p = load_policy(write(tmp_path, "[defaults]\napproval_ttl = 900"))
    assert p.defaults.approval_ttl == 900


def test_the_policy_is_frozen(tmp_path: Path) -> None:
    """A loaded policy cannot be changed by the code that reads it."""
    p = load_policy(write(tmp_path, EXAMPLE))
    with pytest.raises(ValueError, match="frozen"):
        p.grant[0].max_servers = 5000  # type: ignore[misc]


# --- the file's mistakes, one line each -------------------------------------------------------


def test_an_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    """A misspelt key is named with the keys known at that place."""
    assert problem(tmp_path, GRANT + 'chanels = ["C0OTHER001"]') == (
        "grant[0] 'sre-oncall' → chanels: unknown key (known here: name, requesters, channels, "
        "max_servers, approval, approval_for, approvers, break_glass)"
    )
    assert problem(tmp_path, "grants = []") == (
        "grants: unknown key (known here: defaults, grant, protect, audit)"
    )
    assert problem(tmp_path, "[defaults]\nmax = 3") == (
        "defaults → max: unknown key (known here: max_servers, approval_ttl)"
    )


def test_an_unknown_key_inside_approval_for_lists_the_selector_keys(tmp_path: Path) -> None:
    """Nested tables name their own keys."""
    text = GRANT + 'approvers = ["@leads"]\napproval_for = { name = ["db-*"] }'
    assert problem(tmp_path, text) == (
        "grant[0] 'sre-oncall' → approval_for → name: unknown key (known here: ids, names, tags)"
    )


def test_a_bad_user_id(tmp_path: Path) -> None:
    """A requester that is a name, not an id, is refused with the forms that work."""
    text = GRANT.replace('"U0ALICE001"', '"alice"')
    assert problem(tmp_path, text) == (
        "grant[0] 'sre-oncall' → requesters[0]: 'alice' is neither a user id (U… or W…) nor a "
        "user group (@handle or S…)"
    )


def test_a_channel_name_gets_the_id_hint(tmp_path: Path) -> None:
    """'#incident' is refused with a hint to use the channel id."""
    text = GRANT.replace('"C0INCIDENT"', '"#incident"')
    assert problem(tmp_path, text) == (
        "grant[0] 'sre-oncall' → channels[0]: '#incident' is not a channel id (C…, G… or D…) "
        'or "*" (use the channel\'s id, not its name)'
    )


def test_a_bad_glob(tmp_path: Path) -> None:
    """An unclosed '[' in a name pattern is refused."""
    text = '[[protect]]\nname = "db"\nnames = ["db-[prod"]'
    assert problem(tmp_path, text) == (
        "protect[0] 'db' → names[0]: 'db-[prod' has a '[' that is never closed"
    )


def test_a_bad_tag(tmp_path: Path) -> None:
    """A tag with no key is refused."""
    text = '[[protect]]\nname = "db"\ntags = ["=prod"]'
    assert problem(tmp_path, text) == (
        "protect[0] 'db' → tags[0]: '=prod' is not a tag; write key=value or key"
    )


def test_a_bad_server_id(tmp_path: Path) -> None:
    """A protected id that is not a UUID is refused in words, not as a regular expression."""
    text = '[[protect]]\nname = "db"\nids = ["db-prod-1"]'
    assert problem(tmp_path, text) == (
        "protect[0] 'db' → ids[0]: 'db-prod-1' is not a server id (a UUID like "
        "616fb98f-46ca-475e-917e-2563e5a8cd19)"
    )


def test_a_grant_with_no_requesters(tmp_path: Path) -> None:
    """Empty requesters "is empty"; missing requesters "is required"."""
    empty = GRANT.replace('["U0ALICE001"]', "[]")
    assert problem(tmp_path, empty) == (
        "grant[0] 'sre-oncall' → requesters: is empty: name at least one"
    )
    missing = '[[grant]]\nname = "g"\nchannels = ["*"]'
    assert problem(tmp_path, missing) == "grant[0] 'g' → requesters: is required"


def test_a_list_of_bad_items_is_not_also_called_empty(tmp_path: Path) -> None:
    """Each bad item is reported once; the list is not echoed as "is empty" too."""
    text = GRANT.replace('["U0ALICE001"]', '["alice", "bob"]')
    found = problems(tmp_path, text)
    assert len(found) == 2
    assert not any("is empty" in line for line in found)


def test_approvers_equal_to_the_requesters(tmp_path: Path) -> None:
    """Approvers who are exactly the requesters could only approve their own requests."""
    text = GRANT + 'approval = "always"\napprovers = ["U0ALICE001"]'
    assert problem(tmp_path, text).startswith(
        "grant[0] 'sre-oncall': approvers are exactly the requesters: nobody but the requester"
    )


@pytest.mark.parametrize(
    "condition", ['approval = "always"', 'approval = "above 5"', 'approval_for = {tags = ["x"]}']
)
def test_an_approval_asked_with_no_approvers(tmp_path: Path, condition: str) -> None:
    """Any approval condition without approvers is refused."""
    assert problem(tmp_path, GRANT + condition) == (
        "grant[0] 'sre-oncall': asks for approval but names no approvers"
    )


def test_break_glass_without_an_approval(tmp_path: Path) -> None:
    """break_glass = true on a grant that never asks for an approval is refused."""
    assert problem(tmp_path, GRANT + "break_glass = true") == (
        "grant[0] 'sre-oncall': break_glass = true means nothing without an approval to skip"
    )


def test_duplicate_names(tmp_path: Path) -> None:
    """Two grants (or two protect rules) of one name are refused: the audit records names."""
    assert problem(tmp_path, GRANT + GRANT) == (
        "two [[grant]] entries are named 'sre-oncall'; names must be unique"
    )
    rule = '[[protect]]\nname = "db"\nnames = ["db-*"]\n'
    assert problem(tmp_path, rule + rule) == (
        "two [[protect]] entries are named 'db'; names must be unique"
    )


def test_a_grant_above_the_defaults_limit(tmp_path: Path) -> None:
    """A grant's max_servers above [defaults] max_servers is refused."""
    text = "[defaults]\nmax_servers = 100\n" + GRANT + "max_servers = 200"
    assert problem(tmp_path, text) == (
        "grant 'sre-oncall' allows 200 servers, more than [defaults] max_servers = 100"
    )


@pytest.mark.parametrize("value", ["0", "10001", "true", '"10"'])
def test_max_servers_out_of_range_or_not_a_number(tmp_path: Path, value: str) -> None:
    """max_servers is a whole number from 1 to the command's limit; true and "10" are not."""
    assert problem(tmp_path, f"[defaults]\nmax_servers = {value}").startswith(
        "defaults → max_servers: "
    )


def test_a_bad_approval_string(tmp_path: Path) -> None:
    """An approval that is not never/always/above N says what would be."""
    assert problem(tmp_path, GRANT + 'approval = "sometimes"') == (
        "grant[0] 'sre-oncall' → approval: 'sometimes' is not \"never\", \"always\" or "
        '"above N" (like "above 20")'
    )
    assert problem(tmp_path, GRANT + "approval = 20") == (
        'grant[0] \'sre-oncall\' → approval: write "never", "always" or "above N"'
    )


def test_a_bad_approval_ttl(tmp_path: Path) -> None:
    """approval_ttl must be a duration like 30m, and some time."""
    assert problem(tmp_path, '[defaults]\napproval_ttl = "30 minutes"') == (
        "defaults → approval_ttl: '30 minutes' is not a duration; write it like 90s, 30m, 2h, "
        "1d or 1h30m"
    )
    assert problem(tmp_path, '[defaults]\napproval_ttl = "0s"') == (
        "defaults → approval_ttl: '0s' is no time at all; write it like 30m"
    )
    assert problem(tmp_path, "[defaults]\napproval_ttl = true") == (
        'defaults → approval_ttl: write a duration like "30m"'
    )


@pytest.mark.parametrize("value", ["0", "-60", "nan", "inf"])
def test_an_approval_ttl_of_no_time_or_forever_is_refused(tmp_path: Path, value: str) -> None:
    """A number of seconds must be more than zero and finite (TOML has nan and inf)."""
    assert problem(tmp_path, f"[defaults]\napproval_ttl = {value}") == (
        f"defaults → approval_ttl: {value} seconds is not a time to wait; write it like 30m"
    )


def test_a_protect_rule_that_selects_nothing(tmp_path: Path) -> None:
    """A [[protect]] with no ids, names or tags is refused."""
    assert problem(tmp_path, '[[protect]]\nname = "db"') == (
        "protect[0] 'db': protects nothing: give ids, names or tags"
    )


def test_the_audit_channel_is_one_channel(tmp_path: Path) -> None:
    """[audit] channel = "*" is refused: summaries go to one channel."""
    assert problem(tmp_path, '[audit]\nchannel = "*"') == (
        'audit → channel: name one channel id for the audit, not "*"'
    )


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    """A TOML syntax error is one problem naming the line and column."""
    line = problem(tmp_path, GRANT + "max_servers = = 3")
    assert line.startswith("is not valid TOML: ")
    assert "line 6" in line


def test_an_unreadable_file(tmp_path: Path) -> None:
    """A missing file, or a directory, cannot be read: one plain problem."""
    with pytest.raises(PolicyError) as missing:
        load_policy(tmp_path / "nope.toml")
    assert missing.value.problems == ("cannot be read: No such file or directory",)
    with pytest.raises(PolicyError) as directory:
        load_policy(tmp_path)
    assert directory.value.problems == ("cannot be read: Is a directory",)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are one plain problem, not a traceback."""
    path = tmp_path / "policy.toml"
    path.write_bytes(b'[[grant]]\nname = "caf\xe9"\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.problems == ("is not UTF-8 text",)


def test_several_mistakes_are_reported_together(tmp_path: Path) -> None:
    """Every field mistake in the file is one line of one PolicyError, each with its key path,
    and the message names the file and the count."""
    text = """
    [defaults]
    approval_ttl = "half an hour"

    [[grant]]
    name = "sre-oncall"
    requesters = ["U0ALICE001", "bob"]
    channels = ["#incident"]

    [[protect]]
    name = "db"
    names = ["db-[prod"]
    colour = "red"
    """
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    assert error.path == path
    assert [line.split(": ")[0] for line in error.problems] == [
        "defaults → approval_ttl",
        "grant[0] 'sre-oncall' → requesters[1]",
        "grant[0] 'sre-oncall' → channels[0]",
        "protect[0] 'db' → names[0]",
        "protect[0] 'db' → colour",
    ]
    message = str(error)
    assert message.startswith(f"the policy file {path} has 5 problems:\n  - defaults → ")
    assert len(message.splitlines()) == 6


def test_one_mistake_is_a_problem(tmp_path: Path) -> None:
    """The message says "a problem" for one."""
    with pytest.raises(PolicyError, match=r"has a problem:\n  - cannot be read"):
        load_policy(tmp_path / "nope.toml")


def test_mistakes_between_entries_are_named_with_the_others(tmp_path: Path) -> None:
    """Duplicate names and a grant above the defaults are reported with every field mistake and
    every rule a grant breaks, in one answer."""
    found = problems(
        tmp_path,
        """
[defaults]
max_servers = 100
[[grant]]
name = "a"
requesters = ["U0AAA"]
channels = ["*"]
approvers = ["U0AAA"]
approval = "always"
max_servers = 200
[[grant]]
name = "a"
requesters = ["U0BBB"]
channels = ["#general"]
break_glass = true
""",
    )
    text = "\n".join(found)
    assert len(found) == 4, text
    assert "grant[0] 'a': approvers are exactly the requesters" in text
    assert "grant[1] 'a' → channels[0]" in text
    assert "two [[grant]] entries are named 'a'" in text
    assert "grant 'a' allows 200 servers, more than [defaults] max_servers = 100" in text
