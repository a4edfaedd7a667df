"""Fault hunt on the approval path, end to end over loopback: Slack faults, directory faults,
races between deciders, the policy re-checked at the click, break glass and the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.core.audit import AuditKind
from bot.core.lifecycle import RequestState
from bot.ids import ActionId, BlockId, CallbackId
from tests.fakes.slack_api import FakeSlack, _read_args
from tests.fakes.slack_requests import ALICE, BOB, CHANNEL
from tests.handlers.test_policy_flow import (
    AUDIT_CHANNEL,
    CAROL,
    DAVE,
    LEADS,
    ONCALL,
    ask,
    kinds,
    policy_file,
    said,
    state_of,
    value_of,
    workspace,
)
from tests.support.harness import Bot, running_bot, texts

FAST = "S0FAST001"
MOVED_ON = {
    RequestState.AWAITING_APPROVAL,
    RequestState.CONFIRMED,
    RequestState.SUBMITTED,
    RequestState.REPORTING,
    RequestState.FINISHED,
    RequestState.CANCELLED,
    RequestState.REJECTED,
}


class HeldSlack(FakeSlack):
    """The workspace of ``test_policy_flow`` with one Web API call that can be held until
    released: ``hold(method, test)`` holds the next call to ``method`` whose args pass ``test``."""

    def __init__(self) -> None:
        super().__init__()
        self._hold: tuple[str, Callable[[dict[str, Any]], bool]] | None = None
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    def hold(self, method: str, test: Callable[[dict[str, Any]], bool] = lambda _: True) -> None:
        self._hold = (method, test)

    async def _api(self, request: web.Request) -> web.Response:
        if self._hold and request.match_info["method"] == self._hold[0]:
            args, _ = await _read_args(request)
            if self._hold[1](args):
                self._hold = None
                self.held.set()
                await self.release.wait()
        return await super()._api(request)


def held_workspace() -> HeldSlack:
    """``test_policy_flow.workspace()``'s people, groups and channels on a ``HeldSlack``."""
    slack = HeldSlack()
    slack.add_user(CAROL, name="carol")
    slack.add_user(DAVE, name="dave")
    slack.add_usergroup(ONCALL, "sre-oncall", [ALICE])
    slack.add_usergroup(LEADS, "sre-leads", [BOB, DAVE])
    slack.add_channel(AUDIT_CHANNEL, name="audit")
    return slack


async def wait_state(bot: Bot, request_id: str, wanted: set[RequestState]) -> RequestState:
    for _ in range(500):
        state = await state_of(bot, request_id)
        if state in wanted:
            return state
        await asyncio.sleep(0.02)
    raise AssertionError(f"still {state}\n{bot.slack.summary()}")


async def recorded_root(bot: Bot, request_id: str) -> Any:
    """The request once the bot has recorded its approval message as the root."""
    assert bot.runtime.deps is not None
    for _ in range(500):
        row = await bot.runtime.deps.store.requests.get(request_id)
        if row is not None and row.root_ts:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError("the approval request's root was never recorded")


def ephemerals_to(bot: Bot, user: str) -> str:
    return "\n".join(
        e.text + "\n" + texts(e.blocks) for e in bot.slack.ephemerals if e.user == user
    )


# -- Slack faults on the approval request -------------------------------------------------------


@pytest.mark.parametrize("error", ["not_in_channel", "internal_error"])
async def test_a_refused_approval_post_leaves_a_request_the_requester_can_click_again(
    tmp_path: Path, error: str
) -> None:
    """Slack refusing the approval request's post puts the request back to previewed, tells the
    requester, and the same button then posts exactly one approval request."""
    async with running_bot(
        tmp_path, slack=workspace(), bms_policy_file=policy_file(tmp_path)
    ) as bot:
        ids = " ".join(s.id for s in bot.sim.seed(3))
        preview, _ = await bot.preview(f"stop {ids}")
        request_id = value_of(preview.blocks, ActionId.CONFIRM)
        assert request_id
        bot.slack.fail_next("chat.postMessage", error)
        _, url = await bot.click(ActionId.CONFIRM, request_id)
        answer = await said(bot, url)
        assert "Nothing was stopped" in answer or "invite" in answer.lower(), answer
        assert await state_of(bot, request_id) is RequestState.PREVIEWED
        await bot.click(ActionId.CONFIRM, request_id)
        await bot.slack.wait_for(
            lambda: any(value_of(m.blocks, ActionId.APPROVE) for m in bot.root_messages())
        )
        assert await state_of(bot, request_id) is RequestState.AWAITING_APPROVAL
        assert len(bot.root_messages()) == 1
        await bot.click(ActionId.APPROVE, request_id, user=BOB)
        assert await bot.settled(request_id) is RequestState.FINISHED
        assert len(bot.sim.stop_calls) == 1


async def test_a_lost_answer_to_the_approval_post_gives_one_approval_request(bot: Bot) -> None:
    """Slack takes the approval request but the answer is lost: the bot finds it by its metadata,
    adopts it (no second post), and an Approve on it stops once."""
    ids = " ".join(s.id for s in bot.sim.seed(3))
    preview, _ = await bot.preview(f"stop {ids}")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id
    bot.slack.fail_next("chat.postMessage", lose_answer=True)
    _, url = await bot.click(ActionId.CONFIRM, request_id)
    assert "Approval requested" in await said(bot, url)
    assert len(bot.root_messages()) == 1
    await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert len(bot.root_messages()) == 1
    assert len(bot.sim.stop_calls) == 1
    assert "Approved by" in bot.thread_text()


async def test_a_withdrawn_approval_whose_post_went_unanswered_is_closed(bot: Bot) -> None:
    """The approval request landed but Slack answered neither the post nor the look for it;
    Withdraw then closes that message (no live buttons left) and says so in its thread."""
    ids = " ".join(s.id for s in bot.sim.seed(3))
    preview, _ = await bot.preview(f"stop {ids}")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id
    bot.slack.fail_next("chat.postMessage", lose_answer=True)
    bot.slack.fail_next("conversations.history", "internal_error", times=2)
    _, url = await bot.click(ActionId.CONFIRM, request_id)
    assert "Slack is not answering" in await said(bot, url)
    [root] = bot.root_messages()
    assert value_of(root.blocks, ActionId.APPROVE) == request_id  # it is there, with buttons
    await bot.click(ActionId.WITHDRAW, root_value(root))
    await wait_state(bot, request_id, {RequestState.CANCELLED})
    await asyncio.sleep(0.5)
    [root] = bot.root_messages()
    assert value_of(root.blocks, ActionId.APPROVE) is None, texts(root.blocks)


async def test_an_approve_while_the_approval_post_is_being_looked_for_is_said(bot: Bot) -> None:
    """Bob approves the approval message Slack took without answering, before the bot found it:
    the thread still gets "Approved by" and the stop goes out once."""
    ids = " ".join(s.id for s in bot.sim.seed(3))
    preview, _ = await bot.preview(f"stop {ids}")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id
    bot.slack.fail_next("chat.postMessage", lose_answer=True)
    await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(
        lambda: any(value_of(m.blocks, ActionId.APPROVE) for m in bot.root_messages())
    )
    await bot.click(ActionId.APPROVE, request_id, user=BOB)  # within the bot's 1 s look-again
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert len(bot.sim.stop_calls) == 1
    await bot.slack.wait_for(lambda: "Approved by" in bot.thread_text(), timeout=3)


def root_value(root: Any) -> str:
    value = value_of(root.blocks, ActionId.WITHDRAW)
    assert value
    return value


# -- the directory failing --------------------------------------------------------------------


async def test_users_info_failing_at_approve_tells_the_approver_and_a_later_click_works(
    bot: Bot,
) -> None:
    """users.info failing for the approver (ratelimited, then internal_error) says so privately
    and changes nothing; the next Approve goes through."""
    request_id = await ask(bot)
    bot.slack.fail_next("users.info", "internal_error")
    _, url = await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert "Slack could not say" in await said(bot, url)
    assert await state_of(bot, request_id) is RequestState.AWAITING_APPROVAL
    bot.slack.fail_next("users.info", "ratelimited", status=429)  # waited out (Retry-After 1)
    await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert len(bot.sim.stop_calls) == 1


async def test_a_requester_removed_while_slack_cannot_reread_groups_is_not_approved(
    bot: Bot,
) -> None:
    """Alice leaves @sre-oncall and Slack fails the re-read of the groups: Bob's Approve stops
    nothing on the old membership; he is told Slack could not say, and the request stays open
    for when it can."""
    request_id = await ask(bot)
    bot.slack.set_usergroup_users(ONCALL, [])
    bot.slack.fail_next("usergroups.users.list", "internal_error", times=10)
    bot.slack.fail_next("usergroups.list", "internal_error", times=10)
    _, url = await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert "Slack could not say" in await said(bot, url)
    await asyncio.sleep(0.5)
    assert bot.sim.stop_calls == []
    assert await state_of(bot, request_id) is RequestState.AWAITING_APPROVAL


# -- races between deciders -------------------------------------------------------------------


async def test_a_reject_that_loses_to_an_approve_is_told_so(tmp_path: Path) -> None:
    """Dave's Reject is checked while the request is open; Bob's Approve commits first; Dave is
    told the request was already approved (it is stopped once)."""
    slack = held_workspace()
    policy = policy_file(tmp_path)
    async with running_bot(tmp_path, slack=slack, bms_policy_file=policy) as bot:
        request_id = await ask(bot)
        slack.hold("usergroups.users.list")  # Dave's reject, mid-check
        values = {BlockId.REJECT_REASON.value: {CallbackId.REJECT_REASON.value: "no"}}
        await bot.submit_view(CallbackId.REJECT_REASON, request_id, values, user=DAVE)
        await asyncio.wait_for(slack.held.wait(), 5)
        await bot.click(ActionId.APPROVE, request_id, user=BOB)
        assert await bot.settled(request_id) is RequestState.FINISHED
        slack.release.set()
        await asyncio.sleep(1)
        assert len(bot.sim.stop_calls) == 1
        assert "approved" in ephemerals_to(bot, DAVE).lower(), ephemerals_to(bot, DAVE)


async def test_approve_and_reject_at_once_decide_exactly_once(bot: Bot) -> None:
    """Bob's Approve and Dave's Reject submitted together: one decision, one audit entry for it,
    and a stop only if Approve won."""
    request_id = await ask(bot)
    values = {BlockId.REJECT_REASON.value: {CallbackId.REJECT_REASON.value: "no"}}
    await asyncio.gather(
        bot.click(ActionId.APPROVE, request_id, user=BOB),
        bot.submit_view(CallbackId.REJECT_REASON, request_id, values, user=DAVE),
    )
    state = await wait_state(bot, request_id, {RequestState.FINISHED, RequestState.REJECTED})
    trail = await kinds(bot, request_id)
    assert trail.count(AuditKind.APPROVED) + trail.count(AuditKind.REJECTED) == 1, trail
    assert len(bot.sim.stop_calls) == (1 if state is RequestState.FINISHED else 0)
    assert bot.runtime.deps is not None
    assert (await bot.runtime.deps.store.audit.verify()).intact


async def test_approvals_of_two_requests_at_once_keep_one_chain(bot: Bot) -> None:
    """Two requests approved at the same moment: each stops once and the chain verifies."""
    await two_approvals_at_once(bot)


@pytest.mark.postgres
async def test_approvals_of_two_requests_at_once_keep_one_chain_on_postgresql(
    tmp_path: Path,
) -> None:
    """The same on PostgreSQL, where the audit's advisory lock is what serialises the chain."""
    from tests.conftest import fresh_engine, postgres_url

    await (await fresh_engine("postgres", tmp_path)).dispose()
    async with running_bot(
        tmp_path, slack=workspace(), db_url=postgres_url(), bms_policy_file=policy_file(tmp_path)
    ) as bot:
        await two_approvals_at_once(bot)


async def two_approvals_at_once(bot: Bot) -> None:
    first = await ask(bot)
    ids = " ".join(s.id for s in bot.sim.seed(3, prefix="api"))
    preview, _ = await bot.preview(f"stop {ids}")
    second = value_of(preview.blocks, ActionId.CONFIRM)
    assert second
    await bot.click(ActionId.CONFIRM, second)
    await wait_state(bot, second, {RequestState.AWAITING_APPROVAL})
    await asyncio.gather(
        bot.click(ActionId.APPROVE, first, user=BOB),
        bot.click(ActionId.APPROVE, second, user=DAVE),
    )
    assert await bot.settled(first) is RequestState.FINISHED
    assert await bot.settled(second) is RequestState.FINISHED
    assert len(bot.sim.stop_calls) == 2
    assert bot.runtime.deps is not None
    report = await bot.runtime.deps.store.audit.verify()
    assert report.intact, report


# -- the policy at the click ------------------------------------------------------------------


def two_grants(tmp_path: Path) -> Path:
    path = tmp_path / "two.toml"
    path.write_text(
        f"""
[[grant]]
name = "fast-lane"
requesters = ["@fast"]
channels = ["{CHANNEL}"]

[[grant]]
name = "sre-oncall"
requesters = ["@sre-oncall"]
channels = ["{CHANNEL}"]
approval = "always"
approvers = ["@sre-leads"]

[[grant]]
name = "tagged"
requesters = ["U0NOBODY1"]
channels = ["{CHANNEL}"]
approval_for = {{ tags = ["env=prod"] }}
approvers = ["@sre-leads"]
""",
        encoding="utf-8",
    )
    return path


async def test_a_requester_moved_to_a_grant_that_needs_approval_is_asked_for_one(
    tmp_path: Path,
) -> None:
    """Alice previews under `fast-lane` (no approval), leaves @fast, then clicks Stop: now only
    `sre-oncall` (approval always) takes her in, so an approval is asked, nothing stops."""
    slack = workspace()
    slack.add_usergroup(FAST, "fast", [ALICE])
    async with running_bot(tmp_path, slack=slack, bms_policy_file=two_grants(tmp_path)) as bot:
        ids = " ".join(s.id for s in bot.sim.seed(2))
        preview, request_id = await bot.preview(f"stop {ids}")
        assert request_id, texts(preview.blocks)
        assert "Ask for approval" not in texts(preview.blocks)
        slack.set_usergroup_users(FAST, [])
        await bot.click(ActionId.CONFIRM, request_id)
        await wait_state(bot, request_id, MOVED_ON)
        await asyncio.sleep(0.3)
        assert bot.sim.stop_calls == []


async def test_a_target_tagged_for_approval_after_the_preview_needs_an_approval(
    tmp_path: Path,
) -> None:
    """A server tagged env=prod between the preview and the click makes the grant's approval_for
    match: the click asks for an approval instead of stopping."""
    path = tmp_path / "tagged.toml"
    path.write_text(
        f"""
[[grant]]
name = "sre-oncall"
requesters = ["@sre-oncall"]
channels = ["{CHANNEL}"]
approval_for = {{ tags = ["env=prod"] }}
approvers = ["@sre-leads"]
""",
        encoding="utf-8",
    )
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=path) as bot:
        servers = bot.sim.seed(2)
        preview, request_id = await bot.preview(f"stop {' '.join(s.id for s in servers)}")
        assert request_id
        assert "Ask for approval" not in texts(preview.blocks)
        servers[0].tags = ("env=prod",)
        await bot.click(ActionId.CONFIRM, request_id)
        await wait_state(bot, request_id, MOVED_ON)
        await asyncio.sleep(0.3)
        assert bot.sim.stop_calls == []


async def test_a_server_protected_between_preview_and_approval_is_left_out_and_said(
    tmp_path: Path,
) -> None:
    """A db-prod tag rule matching after the preview: Approve leaves that server out, the thread
    names the rule, the others stop."""
    path = policy_file(tmp_path)
    path.write_text(
        path.read_text() + '\n[[protect]]\nname = "keep-tagged"\ntags = ["keep"]\n',
    )
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=path) as bot:
        request_id = await ask(bot)
        row = await recorded_root(bot, request_id)
        keep = bot.sim.servers[row.targets[0].id]
        keep.tags = ("keep",)
        await bot.click(ActionId.APPROVE, request_id, user=BOB)
        assert await bot.settled(request_id) is RequestState.FINISHED
        sent = [i for call in bot.sim.stop_calls for i in call]
        assert keep.id not in sent
        assert len(sent) == 2
        await bot.slack.wait_for(lambda: "keep-tagged" in bot.thread_text())


# -- break glass and the audit ----------------------------------------------------------------


async def test_a_break_glass_alert_the_audit_channel_cannot_take_is_said(tmp_path: Path) -> None:
    """[audit] channel is a private channel the bot is not in: the break-glass stop goes out and
    somebody (the thread or the requester) hears that the audit channel did not get the alert."""
    slack = workspace()
    slack.add_channel(AUDIT_CHANNEL, name="audit", private=True, member=False)
    async with running_bot(tmp_path, slack=slack, bms_policy_file=policy_file(tmp_path)) as bot:
        ids = " ".join(s.id for s in bot.sim.seed(3))
        preview, _ = await bot.preview(f"stop {ids} --break-glass reason: db down")
        request_id = value_of(preview.blocks, ActionId.CONFIRM)
        assert request_id
        await bot.click(ActionId.CONFIRM, request_id)
        assert await bot.settled(request_id) is RequestState.FINISHED
        await bot.slack.wait_for(lambda: "please review" in bot.thread_text())
        told = bot.thread_text() + ephemerals_to(bot, ALICE)
        told += "\n".join(r.text for r in bot.slack.responses)
        assert "audit channel" in told.lower(), told


async def test_every_entry_after_the_request_links_its_thread(bot: Bot) -> None:
    """A break-glass stop: its BREAK_GLASS entry (the one reviewers look up) links the thread,
    as every later entry does."""
    ids = " ".join(s.id for s in bot.sim.seed(3))
    preview, _ = await bot.preview(f"stop {ids} --break-glass reason: db down")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id
    await bot.click(ActionId.CONFIRM, request_id)
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert bot.runtime.deps is not None
    entries = await bot.runtime.deps.store.audit.for_request(request_id)
    later = [e.event for e in entries if e.event.kind is not AuditKind.REQUESTED]
    [root] = bot.root_messages()
    assert all(e.thread_link and root.ts.replace(".", "") in e.thread_link for e in later), [
        (e.kind.value, e.thread_link) for e in later
    ]


@pytest.mark.parametrize("count", ["0", "101", "-1", "abc", "1e3", "\uff15"])
async def test_odd_audit_counts_are_refused_plainly(bot: Bot, count: str) -> None:
    """`/bms audit` with 0, over 100, negative, words, exponents or non-ASCII digits names the
    bad count and shows no entries."""
    response, _ = await bot.command(f"audit {count}", user=BOB)
    answer = response.text  # a bad command is answered in the ack
    assert "*requested* by" not in answer
    assert "100" in answer, answer


@pytest.fixture
async def bot(tmp_path: Path):
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=policy_file(tmp_path)) as b:
        yield b
