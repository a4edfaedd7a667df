"""Every policy decision, as plain asserts on ``bot/policy/decide.py``."""

from __future__ import annotations

import tomllib
import uuid

import pytest

from bot.bms.models import Server
from bot.core.models import Approval
from bot.core.parser import MAX_IDS
from bot.policy.decide import (
    DEFAULT_RULE,
    ApproverDenial,
    Denial,
    approval_needed,
    approver_refusal,
    decide_request,
    may_read_audit,
    protected,
    protected_ids,
)
from bot.policy.model import Grant, Policy
from bot.policy.people import GroupIndex, Person

ALICE = Person("U0ALICE001", "alice")
BOB = Person("U0BOB00001", "bob")
CAROL = Person("U0CAROL001", "carol")
ADMIN = Person("U0ADMIN001", "admin", admin=True)
GUEST = Person("U0GUEST001", guest=True)
BOT = Person("U0BOT00001", bot=True)
GONE = Person("U0GONE0001", deactivated=True)

ONCALL, LEADS = "S0ONCALL01", "S0LEADS001"
GROUPS = GroupIndex(
    by_handle={"sre-oncall": ONCALL, "sre-leads": LEADS},
    members={ONCALL: frozenset({BOB.id, GUEST.id}), LEADS: frozenset({CAROL.id, GUEST.id})},
    loaded=True,
)
NOT_LOADED = GroupIndex()

INCIDENT, OTHER, THIRD = "C0INCIDENT", "C0OTHER001", "C0THIRD001"
DB_ID = "616fb98f-46ca-475e-917e-2563e5a8cd19"


def policy(text: str) -> Policy:
    return Policy.model_validate(tomllib.loads(text))


def grant(text: str) -> Grant:
    [only] = policy(text).grant
    return only


def server(name: str, *tags: str, server_id: str | None = None) -> Server:
    return Server(server_id or str(uuid.uuid4()), name, "ACTIVE", tags=tags)


ALICE_IN_INCIDENT = policy(
    f"""
    [[grant]]
    name = "alice"
    requesters = ["{ALICE.id}"]
    channels = ["{INCIDENT}"]
    """
)


# --- who may ask, and where -------------------------------------------------------------------


def test_a_grant_by_user_id_lets_that_user_ask_in_its_channel() -> None:
    """A user id in requesters lets exactly that user ask; the verdict names the grant."""
    verdict = decide_request(ALICE_IN_INCIDENT, ALICE, INCIDENT, 3, GROUPS)
    assert verdict.allowed
    assert verdict.rule == "alice"
    assert verdict.grant is ALICE_IN_INCIDENT.grant[0]
    assert verdict.limit == 1000
    assert verdict.named == 3


@pytest.mark.parametrize("ref", ["@sre-oncall", ONCALL], ids=["handle", "group-id"])
def test_a_grant_by_group_takes_in_its_members_only(ref: str) -> None:
    """A group named by @handle or by S-id takes in its members and nobody else."""
    p = policy(f'[[grant]]\nname = "oncall"\nrequesters = ["{ref}"]\nchannels = ["*"]')
    assert decide_request(p, BOB, INCIDENT, 1, GROUPS).rule == "oncall"
    assert decide_request(p, CAROL, INCIDENT, 1, GROUPS).denial is Denial.NOT_GRANTED


def test_an_unknown_group_handle_takes_in_nobody() -> None:
    """A handle Slack does not know lets nobody in (it is not a wildcard)."""
    p = policy('[[grant]]\nname = "typo"\nrequesters = ["@sre-oncal"]\nchannels = ["*"]')
    assert decide_request(p, BOB, INCIDENT, 1, GROUPS).denial is Denial.NOT_GRANTED


def test_the_first_matching_grant_in_file_order_decides() -> None:
    """Two grants both take in the person here: the first in the file decides, limit and all."""
    broad = """
    [[grant]]
    name = "broad"
    requesters = ["@sre-oncall"]
    channels = ["*"]
    max_servers = 10
    """
    narrow = f"""
    [[grant]]
    name = "narrow"
    requesters = ["{BOB.id}"]
    channels = ["{INCIDENT}"]
    max_servers = 500
    """
    first = decide_request(policy(broad + narrow), BOB, INCIDENT, 1, GROUPS)
    assert (first.rule, first.limit) == ("broad", 10)
    second = decide_request(policy(narrow + broad), BOB, INCIDENT, 1, GROUPS)
    assert (second.rule, second.limit) == ("narrow", 500)


def test_a_grant_for_another_channel_is_passed_over() -> None:
    """The first grant that takes in both the person and the channel decides, not just the
    person."""
    p = policy(
        f"""
        [[grant]]
        name = "elsewhere"
        requesters = ["{BOB.id}"]
        channels = ["{OTHER}"]
        [[grant]]
        name = "anywhere"
        requesters = ["{BOB.id}"]
        channels = ["*"]
        """
    )
    assert decide_request(p, BOB, INCIDENT, 1, GROUPS).rule == "anywhere"
    assert decide_request(p, BOB, OTHER, 1, GROUPS).rule == "elsewhere"


def test_star_covers_every_channel() -> None:
    """channels = ["*"] lets the requester ask in any channel."""
    p = policy(f'[[grant]]\nname = "all"\nrequesters = ["{ALICE.id}"]\nchannels = ["*"]')
    for channel in (INCIDENT, OTHER, "G0PRIVATE1", "D0DIRECT01"):
        assert decide_request(p, ALICE, channel, 1, GROUPS).allowed


def test_a_person_granted_elsewhere_is_told_where_they_may_ask() -> None:
    """Granted only in other channels: CHANNEL, with those channels once each, in file order."""
    p = policy(
        f"""
        [[grant]]
        name = "one"
        requesters = ["{BOB.id}"]
        channels = ["{OTHER}", "{THIRD}"]
        [[grant]]
        name = "two"
        requesters = ["@sre-oncall"]
        channels = ["{THIRD}"]
        """
    )
    verdict = decide_request(p, BOB, INCIDENT, 1, GROUPS)
    assert verdict.denial is Denial.CHANNEL
    assert verdict.channels == (OTHER, THIRD)
    assert verdict.rule == ""
    assert verdict.grant is None


def test_a_channel_no_grant_covers_is_refused_without_suggestions() -> None:
    """Granted nowhere, in a channel nobody may ask in: CHANNEL with no suggestions."""
    verdict = decide_request(ALICE_IN_INCIDENT, BOB, OTHER, 1, GROUPS)
    assert verdict.denial is Denial.CHANNEL
    assert verdict.channels == ()
    assert verdict.allowed_here == ()


def test_a_person_not_granted_is_told_who_may_ask_here() -> None:
    """Grants cover the channel but take in nobody like this person: NOT_GRANTED names who
    may ask here, each once."""
    p = policy(
        f"""
        [[grant]]
        name = "oncall"
        requesters = ["@sre-oncall", "{CAROL.id}"]
        channels = ["{INCIDENT}"]
        [[grant]]
        name = "carol"
        requesters = ["{CAROL.id}"]
        channels = ["*"]
        [[grant]]
        name = "elsewhere"
        requesters = ["{BOB.id}"]
        channels = ["{OTHER}"]
        """
    )
    verdict = decide_request(p, ALICE, INCIDENT, 1, GROUPS)
    assert verdict.denial is Denial.NOT_GRANTED
    assert verdict.allowed_here == ("@sre-oncall", CAROL.id)


def test_a_policy_with_no_grants_lets_nobody_ask() -> None:
    """With a policy, everything not granted is denied, even an empty policy."""
    verdict = decide_request(policy(""), ALICE, INCIDENT, 1, GROUPS)
    assert verdict.denial is Denial.CHANNEL


# --- limits -----------------------------------------------------------------------------------


def test_the_grants_max_servers_is_the_limit_and_equal_is_allowed() -> None:
    """max_servers = 50: 50 servers is allowed, 51 is TOO_MANY under the same rule."""
    p = policy(
        f'[[grant]]\nname = "g"\nrequesters = ["{ALICE.id}"]\nchannels = ["*"]\nmax_servers = 50'
    )
    assert decide_request(p, ALICE, INCIDENT, 50, GROUPS).allowed
    refused = decide_request(p, ALICE, INCIDENT, 51, GROUPS)
    assert refused.denial is Denial.TOO_MANY
    assert (refused.rule, refused.limit, refused.named) == ("g", 50, 51)


def test_defaults_max_servers_limits_a_grant_without_its_own() -> None:
    """A grant without max_servers is limited by [defaults] max_servers."""
    p = policy(
        f"""
        [defaults]
        max_servers = 30
        [[grant]]
        name = "g"
        requesters = ["{ALICE.id}"]
        channels = ["*"]
        """
    )
    assert decide_request(p, ALICE, INCIDENT, 30, GROUPS).limit == 30
    assert decide_request(p, ALICE, INCIDENT, 30, GROUPS).allowed
    assert decide_request(p, ALICE, INCIDENT, 31, GROUPS).denial is Denial.TOO_MANY


# --- who is never let in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "denial"),
    [(GUEST, Denial.GUEST), (BOT, Denial.BOT), (GONE, Denial.DEACTIVATED)],
    ids=["guest", "bot", "deactivated"],
)
def test_guests_bots_and_deactivated_accounts_are_refused_with_or_without_a_policy(
    person: Person, denial: Denial
) -> None:
    """Guests, bots and deactivated accounts may not ask, even when a grant names them."""
    named_them = policy(f'[[grant]]\nname = "g"\nrequesters = ["{person.id}"]\nchannels = ["*"]')
    for p in (None, named_them):
        verdict = decide_request(p, person, INCIDENT, 1, GROUPS)
        assert verdict.denial is denial
        assert verdict.rule == ""


def test_a_deactivated_bot_is_refused_as_deactivated() -> None:
    """The strongest reason is the one given: deactivated before bot before guest."""
    person = Person("U0X0000001", guest=True, bot=True, deactivated=True)
    assert decide_request(None, person, INCIDENT, 1, GROUPS).denial is Denial.DEACTIVATED


def test_without_a_policy_every_full_member_may_ask_anywhere() -> None:
    """No policy file: the default rule, up to the command's own limit, in any channel."""
    verdict = decide_request(None, ALICE, "C0ANYWHERE", MAX_IDS, NOT_LOADED)
    assert verdict.allowed
    assert verdict.rule == DEFAULT_RULE
    assert verdict.limit == MAX_IDS
    assert verdict.grant is None
    assert not verdict.break_glass_allowed


def test_without_a_policy_break_glass_is_refused() -> None:
    """No policy, no approval to skip: the break-glass flag is refused."""
    verdict = decide_request(None, ALICE, INCIDENT, 1, GROUPS, break_glass=True)
    assert verdict.denial is Denial.BREAK_GLASS
    assert verdict.rule == DEFAULT_RULE


def test_an_unreadable_directory_lets_nobody_in_when_the_policy_names_groups() -> None:
    """User groups not loaded and the policy names some: DIRECTORY, even for a user named by
    id, since an earlier group grant might have decided."""
    p = policy(
        f"""
        [[grant]]
        name = "oncall"
        requesters = ["@sre-oncall", "{ALICE.id}"]
        channels = ["*"]
        """
    )
    for person in (ALICE, BOB):
        assert decide_request(p, person, INCIDENT, 1, NOT_LOADED).denial is Denial.DIRECTORY


def test_groups_named_only_as_approvers_also_need_the_directory() -> None:
    """A group among a grant's approvers is enough for DIRECTORY when groups are not loaded."""
    p = policy(
        f"""
        [[grant]]
        name = "g"
        requesters = ["{ALICE.id}"]
        channels = ["*"]
        approval = "always"
        approvers = ["@sre-leads"]
        """
    )
    assert decide_request(p, ALICE, INCIDENT, 1, NOT_LOADED).denial is Denial.DIRECTORY


def test_a_policy_of_user_ids_only_needs_no_directory() -> None:
    """Groups not loaded do not matter when the grants name only user ids."""
    assert decide_request(ALICE_IN_INCIDENT, ALICE, INCIDENT, 1, NOT_LOADED).allowed


# --- break glass ------------------------------------------------------------------------------

BREAK_GLASS = f"""
[[grant]]
name = "oncall"
requesters = ["@sre-oncall"]
channels = ["{INCIDENT}"]
max_servers = 10
approval = "always"
approvers = ["@sre-leads"]
break_glass = true
[[grant]]
name = "alice"
requesters = ["{ALICE.id}"]
channels = ["*"]
approval = "always"
approvers = ["@sre-leads"]
"""


def test_break_glass_is_allowed_where_the_grant_allows_it() -> None:
    """break_glass = true on the deciding grant lets the flag through."""
    verdict = decide_request(policy(BREAK_GLASS), BOB, INCIDENT, 2, GROUPS, break_glass=True)
    assert verdict.allowed
    assert verdict.break_glass_allowed


def test_break_glass_is_refused_where_the_grant_does_not_allow_it() -> None:
    """Without break_glass on the deciding grant the flag is refused, under that grant."""
    verdict = decide_request(policy(BREAK_GLASS), ALICE, INCIDENT, 2, GROUPS, break_glass=True)
    assert verdict.denial is Denial.BREAK_GLASS
    assert verdict.rule == "alice"
    assert not verdict.break_glass_allowed


def test_break_glass_does_not_lift_the_limit() -> None:
    """Too many servers is TOO_MANY, break glass or not."""
    verdict = decide_request(policy(BREAK_GLASS), BOB, INCIDENT, 11, GROUPS, break_glass=True)
    assert verdict.denial is Denial.TOO_MANY


# --- approvals --------------------------------------------------------------------------------


def approving(condition: str) -> Grant:
    return grant(
        f"""
        [[grant]]
        name = "g"
        requesters = ["@sre-oncall"]
        channels = ["*"]
        approvers = ["@sre-leads", "{CAROL.id}"]
        {condition}
        """
    )


def test_no_grant_needs_no_approval() -> None:
    """Without a deciding grant (no policy) nothing asks for an approval."""
    assert approval_needed(None, [server("web-1")]) is None


def test_approval_never_is_never_needed() -> None:
    """approval = "never" (the default) needs no approval, however many servers."""
    targets = [server(f"web-{i}") for i in range(MAX_IDS)]
    never = grant(f'[[grant]]\nname = "g"\nrequesters = ["{ALICE.id}"]\nchannels = ["*"]')
    assert str(never.approval) == "never"
    assert approval_needed(never, targets) is None
    assert approval_needed(approving('approval = "never"'), targets) is None


def test_approval_always_is_needed_for_one_server() -> None:
    """approval = "always" asks for an approval by the grant's approvers for every stop."""
    needed = approval_needed(approving('approval = "always"'), [server("web-1")])
    assert needed == Approval("'g' asks for an approval for every stop", ("@sre-leads", CAROL.id))


def test_approval_above_n_is_needed_at_n_plus_one_only() -> None:
    """approval = "above 20": 20 servers go without, 21 need an approval saying why."""
    g = approving('approval = "above 20"')
    assert approval_needed(g, [server(f"web-{i}") for i in range(20)]) is None
    needed = approval_needed(g, [server(f"web-{i}") for i in range(21)])
    assert needed is not None
    assert needed.why == "21 servers is more than 20"
    assert needed.approvers == ("@sre-leads", CAROL.id)


def test_approval_for_names_matches_a_glob() -> None:
    """approval_for names: one target whose name matches the glob needs an approval."""
    g = approving('approval_for = { names = ["*-prod-*"] }')
    assert approval_needed(g, [server("web-dev-1"), server("web-staging-2")]) is None
    needed = approval_needed(g, [server("web-dev-1"), server("web-prod-2")])
    assert needed is not None
    assert needed.why == "web-prod-2 matches 'g''s approval_for"


def test_approval_for_globs_are_case_sensitive_shell_patterns() -> None:
    """Globs are shell-style (?, [..]) and match the name case as written."""
    g = approving('approval_for = { names = ["db-?[0-9]"] }')
    assert approval_needed(g, [server("db-a1")]) is not None
    assert approval_needed(g, [server("db-ab")]) is None
    assert approval_needed(g, [server("DB-A1")]) is None


def test_approval_for_tags_key_value_and_bare_key() -> None:
    """tags "env=prod" matches that exact tag; a bare "keep" matches the key with any value."""
    g = approving('approval_for = { tags = ["env=prod", "keep"] }')
    assert approval_needed(g, [server("a", "env=prod")]) is not None
    assert approval_needed(g, [server("a", "env=production")]) is None
    assert approval_needed(g, [server("a", "env=dev")]) is None
    assert approval_needed(g, [server("a", "keep=yes")]) is not None
    assert approval_needed(g, [server("a", "keep")]) is not None
    assert approval_needed(g, [server("a", "keeper=1")]) is None


def test_approval_for_ids() -> None:
    """approval_for ids: that exact server needs an approval, others do not."""
    g = approving(f'approval_for = {{ ids = ["{DB_ID}"] }}')
    assert approval_needed(g, [server("db", server_id=DB_ID)]) is not None
    assert approval_needed(g, [server("db")]) is None


def test_approval_above_n_or_for_a_selected_server() -> None:
    """ "above N" plus approval_for: a selected server needs an approval even under N."""
    g = approving('approval = "above 20"\napproval_for = { names = ["db-*"] }')
    assert approval_needed(g, [server("web-1"), server("web-2")]) is None
    assert approval_needed(g, [server("web-1"), server("db-1")]) is not None


# --- protection -------------------------------------------------------------------------------

PROTECT = f"""
[[protect]]
name = "by-id"
ids = ["{DB_ID}"]
[[protect]]
name = "by-name"
names = ["db-prod-*"]
[[protect]]
name = "by-tag"
tags = ["env=prod", "keep"]
"""


def test_each_protect_selector_keeps_its_servers() -> None:
    """ids, names globs and tags each protect their servers; the rest are not protected."""
    by_id = server("anything", server_id=DB_ID)
    by_name = server("db-prod-7")
    by_tag = server("web-1", "env=prod")
    by_key = server("web-2", "keep=forever")
    free = [server("db-dev-1"), server("web-3", "env=dev")]
    found = protected(policy(PROTECT), [by_id, by_name, by_tag, by_key, *free])
    assert found == {
        by_id.id: "by-id",
        by_name.id: "by-name",
        by_tag.id: "by-tag",
        by_key.id: "by-tag",
    }


def test_the_first_protect_rule_is_the_one_named() -> None:
    """A server several rules select is reported under the first in the file."""
    both = server("db-prod-1", "env=prod", server_id=DB_ID)
    assert protected(policy(PROTECT), [both]) == {DB_ID: "by-id"}


def test_nothing_is_protected_without_a_policy() -> None:
    """No policy file, no protected servers."""
    assert protected(None, [server("db-prod-1")]) == {}
    assert protected_ids(None, [DB_ID]) == {}


def test_a_protected_server_hidden_among_a_thousand_is_found() -> None:
    """One protected server among 1,000 ordinary ones is found, and only it."""
    servers = [server(f"web-{i:04d}", "env=dev") for i in range(1000)]
    hidden = server("db-prod-0500")
    servers.insert(500, hidden)
    assert protected(policy(PROTECT), servers) == {hidden.id: "by-name"}


def test_unknown_ids_are_protected_by_id_only() -> None:
    """For ids the project lacks only ``ids`` can match; names and tags need the server."""
    other = str(uuid.uuid4())
    assert protected_ids(policy(PROTECT), [other, DB_ID]) == {DB_ID: "by-id"}


def test_an_id_written_in_capitals_still_protects() -> None:
    """Server ids are case-blind: an id typed in capitals in the file protects the server."""
    p = policy(f'[[protect]]\nname = "caps"\nids = ["{DB_ID.upper()}"]')
    assert protected(p, [server("db", server_id=DB_ID)]) == {DB_ID: "caps"}
    assert protected_ids(p, [DB_ID]) == {DB_ID: "caps"}


# --- approvers --------------------------------------------------------------------------------

APPROVERS = ("@sre-leads", ADMIN.id)


def test_a_member_of_the_approvers_may_approve() -> None:
    """A full member in the approvers, by group or by user id, may approve."""
    assert approver_refusal(APPROVERS, CAROL, BOB.id, GROUPS) is None
    assert approver_refusal(APPROVERS, ADMIN, BOB.id, GROUPS) is None


def test_the_requester_may_not_approve_their_own_request() -> None:
    """SELF, even when the requester is also an approver."""
    assert approver_refusal(APPROVERS, CAROL, CAROL.id, GROUPS) is ApproverDenial.SELF


def test_someone_outside_the_approvers_may_not_approve() -> None:
    """NOT_APPROVER for a full member in none of the approvers."""
    assert approver_refusal(APPROVERS, ALICE, BOB.id, GROUPS) is ApproverDenial.NOT_APPROVER


def test_a_guest_in_the_approver_group_may_not_approve() -> None:
    """NOT_A_MEMBER for a guest, bot or deactivated account, group membership or not."""
    for person in (GUEST, BOT, GONE):
        refusal = approver_refusal((*APPROVERS, BOT.id, GONE.id), person, BOB.id, GROUPS)
        assert refusal is ApproverDenial.NOT_A_MEMBER


def test_approvers_by_group_need_the_directory() -> None:
    """Groups not loaded: DIRECTORY when the approvers name a group; user ids still work."""
    assert approver_refusal(APPROVERS, CAROL, BOB.id, NOT_LOADED) is ApproverDenial.DIRECTORY
    assert approver_refusal((ADMIN.id,), ADMIN, BOB.id, NOT_LOADED) is None


# --- the audit --------------------------------------------------------------------------------


def test_audit_readers_decide_who_reads_the_audit() -> None:
    """[audit] readers may read it; others may not, workspace admins included."""
    p = policy('[audit]\nreaders = ["@sre-leads"]')
    assert may_read_audit(p, CAROL, GROUPS)
    assert not may_read_audit(p, ALICE, GROUPS)
    assert not may_read_audit(p, ADMIN, GROUPS)
    assert not may_read_audit(p, GUEST, GROUPS)


def test_without_readers_workspace_admins_read_the_audit() -> None:
    """No policy, or a policy without readers: admins and owners who are full members."""
    for p in (None, policy("")):
        assert may_read_audit(p, ADMIN, GROUPS)
        assert not may_read_audit(p, ALICE, GROUPS)
        assert not may_read_audit(p, Person("U0OWNER001", admin=True, guest=True), GROUPS)
