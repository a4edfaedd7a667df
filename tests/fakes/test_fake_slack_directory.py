"""Tests of the fake's people, groups and modals, over real HTTP with slack_sdk and Bolt."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_requests
from tests.fakes.slack_api import FakeSlack
from tests.support.clock import ManualClock

ALICE = slack_requests.ALICE
GUEST, SOLO, GONE = "U0GUEST", "U0SOLO", "U0GONE"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def api_error(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return info.value


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def text_input(block_id: str = "reason") -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": "value"}
    return {"type": "input", "block_id": block_id, "label": plain("Reason"), "element": element}


def modal(**overrides: Any) -> dict[str, Any]:
    view = {
        "type": "modal",
        "callback_id": "bms_reason",
        "private_metadata": "req_1",
        "title": plain("Why stop?"),
        "submit": plain("Stop"),
        "close": plain("Cancel"),
        "blocks": [text_input()],
    }
    return view | overrides


# -- users.info -------------------------------------------------------------------------------


async def test_guests_carry_slacks_restriction_flags(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """A multi-channel guest is restricted only; a single-channel guest is restricted AND ultra."""
    slack.add_user(GUEST, name="gus", restricted=True)
    slack.add_user(SOLO, name="sol", ultra_restricted=True)
    guest = (await client.users_info(user=GUEST))["user"]
    solo = (await client.users_info(user=SOLO))["user"]
    member = (await client.users_info(user=ALICE))["user"]
    assert (guest["is_restricted"], guest["is_ultra_restricted"]) == (True, False)
    assert (solo["is_restricted"], solo["is_ultra_restricted"]) == (True, True)
    assert (member["is_restricted"], member["is_ultra_restricted"]) == (False, False)
    assert (member["is_admin"], member["is_owner"], member["is_bot"]) == (False, False, False)


async def test_time_zone_and_names_come_back_as_given(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """tz, tz_offset, tz_label and both names are answered; an unset display name is ""."""
    slack.add_user("U9", name="carol", tz="Europe/Berlin", tz_offset=7200, display_name="")
    user = (await client.users_info(user="U9"))["user"]
    assert (user["tz"], user["tz_offset"]) == ("Europe/Berlin", 7200)
    assert user["tz_label"] == "Central European Summer Time"
    assert (user["name"], user["real_name"]) == ("carol", "Carol")
    assert user["profile"]["display_name"] == ""
    assert user["profile"]["real_name"] == "Carol"


async def test_deactivated_user_keeps_only_what_slack_keeps(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """After update_user(deleted=True) users.info says deleted and drops tz and role fields."""
    slack.add_user(GONE, name="dave", tz="America/New_York", tz_offset=-18000)
    slack.update_user(GONE, deleted=True)
    user = (await client.users_info(user=GONE))["user"]
    assert user["deleted"] is True
    assert user["is_forgotten"] is False
    for absent in ("tz", "tz_offset", "tz_label", "is_restricted", "is_admin", "real_name"):
        assert absent not in user
    assert user["profile"]["display_name"] == "dave"


async def test_bots_are_marked_as_bots(slack: FakeSlack, client: AsyncWebClient) -> None:
    """The app's own bot user and added bots answer is_bot with a bot_id in the profile."""
    own = (await client.users_info(user=slack.bot_user_id))["user"]
    slack.add_user("U0OTHER", name="other-bot", is_bot=True)
    other = (await client.users_info(user="U0OTHER"))["user"]
    assert (own["is_bot"], own["profile"]["bot_id"]) == (True, slack.bot_id)
    assert other["is_bot"] is True
    assert other["profile"]["bot_id"].startswith("B")


async def test_update_user_takes_wire_names_and_rejects_unknown_fields(slack: FakeSlack) -> None:
    """update_user accepts is_restricted/is_admin and refuses a field users do not have."""
    slack.update_user(ALICE, is_restricted=True, is_admin=True)
    user = slack.workspace.users[ALICE].to_wire()
    assert (user["is_restricted"], user["is_admin"]) == (True, True)
    with pytest.raises(TypeError):
        slack.update_user(ALICE, colour="red")


async def test_users_info_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    """An unknown id is user_not_found; without users:read the answer is missing_scope."""
    assert (await api_error(client.users_info(user="U404"))).response["error"] == "user_not_found"
    async with FakeSlack(scopes=["chat:write"]) as narrow:
        other = AsyncWebClient(token=narrow.bot_token, base_url=narrow.api_url)
        error = await api_error(other.users_info(user=ALICE))
    assert (error.response["error"], error.response["needed"]) == ("missing_scope", "users:read")


# -- user groups ------------------------------------------------------------------------------


async def test_usergroups_list_shapes_groups_like_slack(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """Groups carry Slack's fields; users and user_count only when asked for."""
    slack.add_usergroup("S0OPS", "ops-oncall", [ALICE, "U0CAROL"], name="Ops on-call")
    bare = (await client.usergroups_list())["usergroups"]
    full = (await client.usergroups_list(include_users=True, include_count=True))["usergroups"]
    assert [g["handle"] for g in bare] == ["ops-oncall"]
    assert "users" not in bare[0]
    assert "user_count" not in bare[0]
    assert (full[0]["users"], full[0]["user_count"]) == ([ALICE, "U0CAROL"], "2")
    group = full[0]
    assert (group["id"], group["team_id"], group["name"]) == ("S0OPS", "T0001", "Ops on-call")
    assert (group["is_usergroup"], group["is_external"], group["date_delete"]) == (True, False, 0)
    assert group["prefs"] == {"channels": [], "groups": []}
    assert group["deleted_by"] is None


async def test_disabled_groups_are_hidden_unless_asked(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """A disabled group is left out of usergroups.list unless include_disabled is true."""
    slack.add_usergroup("S0OPS", "ops", [ALICE])
    slack.add_usergroup("S0OLD", "old-ops", [ALICE], disabled=True)
    shown = (await client.usergroups_list())["usergroups"]
    every = (await client.usergroups_list(include_disabled=True))["usergroups"]
    assert [g["id"] for g in shown] == ["S0OPS"]
    assert {g["id"]: g["date_delete"] != 0 for g in every} == {"S0OPS": False, "S0OLD": True}


async def test_usergroups_users_list_answers_members(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """usergroups.users.list gives the ids, and follows set_usergroup_users."""
    slack.add_usergroup("S0OPS", "ops", [ALICE])
    assert (await client.usergroups_users_list(usergroup="S0OPS"))["users"] == [ALICE]
    slack.set_usergroup_users("S0OPS", [slack_requests.BOB])
    assert (await client.usergroups_users_list(usergroup="S0OPS"))["users"] == [slack_requests.BOB]


async def test_usergroups_users_list_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    """No usergroup is invalid_arguments; unknown or disabled is no_such_subteam."""
    slack.add_usergroup("S0OLD", "old-ops", [ALICE], disabled=True)
    missing = await api_error(client.api_call("usergroups.users.list", http_verb="GET"))
    assert missing.response["error"] == "invalid_arguments"
    assert "usergroup" in missing.response["response_metadata"]["messages"][0]
    unknown = await api_error(client.usergroups_users_list(usergroup="S404"))
    assert unknown.response["error"] == "no_such_subteam"
    disabled = await api_error(client.usergroups_users_list(usergroup="S0OLD"))
    assert disabled.response["error"] == "no_such_subteam"
    shown = await client.usergroups_users_list(usergroup="S0OLD", include_disabled=True)
    assert shown["users"] == [ALICE]


async def test_usergroups_need_usergroups_read() -> None:
    """Both group methods answer missing_scope without usergroups:read."""
    async with FakeSlack(scopes=["users:read"]) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        listed = await api_error(client.usergroups_list())
        members = await api_error(client.usergroups_users_list(usergroup="S0OPS"))
    for error in (listed, members):
        assert (error.response["error"], error.response["needed"]) == (
            "missing_scope",
            "usergroups:read",
        )


async def test_group_lookups_are_tier_2_limited() -> None:
    """The 21st usergroups.users.list within 60 s is a 429 with Retry-After; later calls pass."""
    clock = ManualClock(1000.0)
    async with FakeSlack(clock=clock) as slack:
        slack.add_usergroup("S0OPS", "ops", [ALICE])
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        for _ in range(20):
            await client.usergroups_users_list(usergroup="S0OPS")
            clock.advance(1)
        error = await api_error(client.usergroups_users_list(usergroup="S0OPS"))
        assert (error.response.status_code, error.response["error"]) == (429, "ratelimited")
        assert error.response.headers["Retry-After"] == "40"
        assert (await client.usergroups_list())["ok"]  # each method has its own window
        clock.advance(40)
        assert (await client.usergroups_users_list(usergroup="S0OPS"))["ok"]


async def test_empty_rate_limits_lift_the_group_limits() -> None:
    """With rate_limits={} the Tier 2 group methods are not limited either."""
    async with FakeSlack(rate_limits={}) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        for _ in range(25):
            await client.usergroups_list()


# -- views.open -------------------------------------------------------------------------------


async def test_views_open_exchanges_a_fresh_trigger_once(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """A minted trigger opens one modal, echoed with id, state and hash; a second use fails."""
    trigger = slack.mint_trigger_id(ALICE)
    answer = (await client.views_open(trigger_id=trigger, view=modal()))["view"]
    assert answer["id"].startswith("V")
    assert (answer["callback_id"], answer["private_metadata"]) == ("bms_reason", "req_1")
    assert answer["state"] == {"values": {}}
    assert answer["hash"]
    assert answer["root_view_id"] == answer["id"]
    assert [(v.id, v.user, v.callback_id) for v in slack.views] == [
        (answer["id"], ALICE, "bms_reason")
    ]
    again = await api_error(client.views_open(trigger_id=trigger, view=modal()))
    assert again.response["error"] == "exchanged_trigger_id"


async def test_views_open_rejects_triggers_it_never_issued(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """The builders' default trigger id is unknown to the fake: invalid_trigger_id."""
    trigger = slack_requests.DEFAULT_TRIGGER_ID
    error = await api_error(client.views_open(trigger_id=trigger, view=modal()))
    assert error.response["error"] == "invalid_trigger_id"
    assert not slack.views


async def test_trigger_expires_after_three_seconds_of_fake_time() -> None:
    """A trigger 2.9 s old still opens a modal; one 3.1 s old is expired_trigger_id."""
    clock = ManualClock()
    async with FakeSlack(clock=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        fresh, stale = slack.mint_trigger_id(), slack.mint_trigger_id()
        clock.advance(2.9)
        assert (await client.views_open(trigger_id=fresh, view=modal()))["ok"]
        clock.advance(0.2)
        error = await api_error(client.views_open(trigger_id=stale, view=modal()))
    assert error.response["error"] == "expired_trigger_id"


async def test_the_biggest_valid_modal_is_accepted(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """24-character title and buttons, 100 blocks and full-length ids are all accepted."""
    blocks = [text_input(f"b{n}") for n in range(99)] + [{"type": "divider"}]
    view = modal(
        title=plain("t" * 24),
        submit=plain("s" * 24),
        close=plain("c" * 24),
        blocks=blocks,
        callback_id="c" * 255,
        private_metadata="m" * 3000,
    )
    answer = await client.views_open(trigger_id=slack.mint_trigger_id(), view=view)
    assert len(answer["view"]["blocks"]) == 100


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"title": plain("t" * 25)}, "/view/title/text"),
        ({"title": {"type": "mrkdwn", "text": "x"}}, "/view/title/type"),
        ({"submit": plain("s" * 25)}, "/view/submit/text"),
        ({"close": plain("c" * 25)}, "/view/close/text"),
        ({"blocks": [text_input(f"b{n}") for n in range(101)]}, "/view/blocks"),
        ({"callback_id": "c" * 256}, "/view/callback_id"),
        ({"private_metadata": "m" * 3001}, "/view/private_metadata"),
        ({"type": "home"}, "/view/type"),
        ({"submit": None}, "/view/submit"),
        ({"blocks": [text_input("x"), text_input("x")]}, "/view/blocks/1/block_id"),
        ({"blocks": [{"type": "section"}]}, "/view/blocks/0"),
        ({"blocks": [text_input() | {"label": plain("l" * 2001)}]}, "/view/blocks/0/label/text"),
    ],
)
async def test_invalid_modals_are_invalid_arguments(
    slack: FakeSlack, client: AsyncWebClient, overrides: dict[str, Any], pointer: str
) -> None:
    """Each modal limit violation is invalid_arguments with a line naming the field."""
    trigger = slack.mint_trigger_id()
    error = await api_error(client.views_open(trigger_id=trigger, view=modal(**overrides)))
    assert error.response["error"] == "invalid_arguments"
    messages = error.response["response_metadata"]["messages"]
    assert any(m.startswith("[ERROR] ") and f"[json-pointer:{pointer}]" in m for m in messages), (
        messages
    )
    assert not slack.views


async def test_a_missing_title_is_reported(slack: FakeSlack, client: AsyncWebClient) -> None:
    """A modal without a title names the missing field."""
    view = {k: v for k, v in modal().items() if k != "title"}
    error = await api_error(client.views_open(trigger_id=slack.mint_trigger_id(), view=view))
    messages = error.response["response_metadata"]["messages"]
    assert messages == ["[ERROR] missing required field: title [json-pointer:/view]"]


# -- view_submission and Bolt -----------------------------------------------------------------


def test_view_submission_is_signed_and_shaped_like_slacks() -> None:
    """The builder posts payload=<json> with the view's callback_id, metadata and input state."""
    request = slack_requests.view_submission(
        "bms_reason", "req_1", {"reason": {"value": "maintenance"}}, view_id="V0001"
    )
    assert SignatureVerifier(slack_requests.SIGNING_SECRET).is_valid_request(*request)
    payload = json.loads(parse_qs(request.body.decode())["payload"][0])
    assert payload["type"] == "view_submission"
    assert payload["user"] == {
        "id": ALICE,
        "username": "alice",
        "name": "alice",
        "team_id": "T0001",
    }
    view = payload["view"]
    assert (view["id"], view["type"], view["callback_id"]) == ("V0001", "modal", "bms_reason")
    assert view["private_metadata"] == "req_1"
    state = view["state"]["values"]["reason"]["value"]
    assert state == {"type": "plain_text_input", "value": "maintenance"}
    assert {"trigger_id", "api_app_id", "token", "team", "response_urls"} <= set(payload)


def bolt_request(signed: slack_requests.SignedRequest) -> AsyncBoltRequest:
    headers: dict[str, str | Sequence[str]] = dict(signed.headers)
    return AsyncBoltRequest(body=signed.body.decode(), headers=headers)


async def test_bolt_opens_a_modal_from_a_click_and_reads_its_submission(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """A click with a minted trigger lets a Bolt listener open a modal; its submission arrives."""
    app = AsyncApp(client=client, signing_secret=slack_requests.SIGNING_SECRET)
    submitted: list[tuple[str, str]] = []

    @app.action("bms_ask_reason")
    async def ask(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.view("bms_reason")
    async def reason(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        value = view["state"]["values"]["reason"]["value"]["value"]
        submitted.append((view["private_metadata"], value))

    click = slack_requests.block_action(
        "bms_ask_reason",
        "req_1",
        response_url=slack.new_response_url("actions"),
        message_ts="1.1",
        trigger_id=slack.mint_trigger_id(ALICE),
    )
    assert (await app.async_dispatch(bolt_request(click))).status == 200
    await slack.wait_for(lambda: bool(slack.views))
    opened = slack.views[0]
    submission = slack_requests.view_submission(
        opened.callback_id, opened.private_metadata, {"reason": {"value": "patching"}}
    )
    assert (await app.async_dispatch(bolt_request(submission))).status == 200
    await slack.wait_for(lambda: bool(submitted))
    assert submitted == [("req_1", "patching")]
