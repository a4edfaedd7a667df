"""The shapes of what a policy names: people, groups, channels, server ids, globs and tags."""

from __future__ import annotations

import pytest

from bot.policy.people import GroupIndex
from bot.policy.refs import (
    check_channel_ref,
    check_glob,
    check_member_ref,
    check_server_id,
    check_tag,
    is_group,
    is_person,
    tag_matches,
)


@pytest.mark.parametrize(
    "ref", ["U0ALICE001", "W0ENTERPRISE", "S0LEADS001", "@sre-leads", "@a.b_c"]
)
def test_member_refs_that_are_accepted(ref: str) -> None:
    """User ids (U…, W…), group ids (S…) and @handles are requesters, approvers or readers."""
    assert check_member_ref(ref) == ref


@pytest.mark.parametrize(
    "ref", ["alice", "u0alice001", "U", "@", "@Sre-Leads", "<@U0ALICE001>", "C0CHANNEL1", ""]
)
def test_member_refs_that_are_refused(ref: str) -> None:
    """Names, lower-case ids, mentions and channel ids are neither a user nor a group."""
    with pytest.raises(ValueError, match="is neither a user id"):
        check_member_ref(ref)


def test_people_and_groups_are_told_apart() -> None:
    """U…/W… are people; S… and @handle are groups."""
    assert is_person("U0ALICE001")
    assert is_person("W0ALICE001")
    assert not is_person("S0LEADS001")
    assert is_group("S0LEADS001")
    assert is_group("@sre-leads")
    assert not is_group("U0ALICE001")


@pytest.mark.parametrize("ref", ["C0INCIDENT", "G0PRIVATE1", "D0DIRECT01", "*"])
def test_channel_ids_and_star_are_channels(ref: str) -> None:
    """Public, private and direct channel ids, and "*" for anywhere."""
    assert check_channel_ref(ref) == ref


def test_a_channel_name_is_refused_with_the_id_hint() -> None:
    """'#incident' is refused with a hint to use the channel's id."""
    with pytest.raises(ValueError, match=r"use the channel's id, not its name"):
        check_channel_ref("#incident")


def test_other_bad_channels_are_refused_without_the_hint() -> None:
    """A bad channel that is not a #name gets no hint about names."""
    with pytest.raises(ValueError, match="is not a channel id") as caught:
        check_channel_ref("incident")
    assert "name" not in str(caught.value)


def test_server_ids_are_uuids_lower_cased() -> None:
    """A UUID is a server id, lower-cased; anything else is refused with an example."""
    assert check_server_id("616FB98F-46CA-475E-917E-2563E5A8CD19") == (
        "616fb98f-46ca-475e-917e-2563e5a8cd19"
    )
    for bad in ("db-prod-1", "616fb98f46ca475e917e2563e5a8cd19", "-" * 36):
        with pytest.raises(ValueError, match="is not a server id"):
            check_server_id(bad)


@pytest.mark.parametrize("glob", ["db-*", "web-?", "db-[0-9]*", "db-[!x]", "*"])
def test_globs_that_are_accepted(glob: str) -> None:
    """Shell-style globs with *, ? and closed [...] sets are name patterns."""
    assert check_glob(glob) == glob


def test_an_unclosed_bracket_is_refused() -> None:
    """A '[' that is never closed would silently match nothing; it is refused."""
    with pytest.raises(ValueError, match=r"has a '\[' that is never closed"):
        check_glob("db-[prod")


def test_an_empty_glob_is_refused() -> None:
    """A blank name pattern is refused."""
    with pytest.raises(ValueError, match="matches nothing"):
        check_glob("  ")


@pytest.mark.parametrize("tag", ["env=prod", "keep", "env=", "team=sre=core"])
def test_tags_that_are_accepted(tag: str) -> None:
    """key=value and a bare key are tags."""
    assert check_tag(tag) == tag


@pytest.mark.parametrize("tag", ["=prod", "env prod", "", "env=pr od"])
def test_tags_that_are_refused(tag: str) -> None:
    """No key, or spaces, is not a tag."""
    with pytest.raises(ValueError, match="is not a tag; write key=value or key"):
        check_tag(tag)


def test_tag_matching() -> None:
    """key=value matches exactly; a bare key matches that key with any value or none."""
    assert tag_matches("env=prod", ("a=b", "env=prod"))
    assert not tag_matches("env=prod", ("env=prod2",))
    assert tag_matches("keep", ("keep=1",))
    assert tag_matches("keep", ("keep",))
    assert not tag_matches("keep", ("keeper=1", "x=keep"))


def test_a_group_index_resolves_handles_and_lists_unknown_groups() -> None:
    """Handles resolve through the index, S-ids as given; unknown groups are listed."""
    groups = GroupIndex({"leads": "S0LEADS001"}, {"S0LEADS001": frozenset({"U0CAROL001"})}, True)
    assert groups.group_id("@leads") == "S0LEADS001"
    assert groups.group_id("@nobody") is None
    assert groups.has("@leads", "U0CAROL001")
    assert groups.has("S0LEADS001", "U0CAROL001")
    assert groups.has("U0CAROL001", "U0CAROL001")
    assert not groups.has("S0OTHER001", "U0CAROL001")
    refs = {"@leads", "@nobody", "S0OTHER001", "U0CAROL001"}
    assert groups.unknown(refs) == ["@nobody", "S0OTHER001"]
