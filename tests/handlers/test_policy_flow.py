"""Who may stop what, end to end: the policy file, refusals, protected servers, two-person
approval, break glass and the audit trail, over HTTP against the fake Slack and the simulator."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.core.audit import AuditKind
from bot.core.lifecycle import RequestState
from bot.ids import ActionId, BlockId, CallbackId
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import ALICE, BOB, CHANNEL
from tests.support.bot_process import audit_verify
from tests.support.harness import Bot, running_bot, texts, value_of

CAROL, DAVE, GUEST = "U0CAROL01", "U0DAVE001", "U0GUEST01"
AUDIT_CHANNEL = "C0AUDIT01"
ONCALL, LEADS = "S0ONCALL1", "S0LEADS01"


def policy_file(tmp_path: Path, **grant: Any) -> Path:
    """The README's example policy, shaped for these tests; ``grant`` overrides grant keys."""
    keys = {
        "approval": '"above 2"',
        "break_glass": "true",
        "max_servers": "200",
        "approval_ttl": '"30m"',
    } | {k: str(v) for k, v in grant.items()}
    path = tmp_path / "policy.toml"
    path.write_text(
        f"""
[defaults]
max_servers = 1000
approval_ttl = {keys["approval_ttl"]}

[[grant]]
name = "sre-oncall"
requesters = ["@sre-oncall"]
channels = ["{CHANNEL}"]
max_servers = {keys["max_servers"]}
approval = {keys["approval"]}
approvers = ["@sre-leads"]
break_glass = {keys["break_glass"]}

[[protect]]
name = "prod-databases"
names = ["db-prod-*"]

[audit]
readers = ["@sre-leads"]
channel = "{AUDIT_CHANNEL}"
""",
        encoding="utf-8",
    )
    return path


def workspace() -> FakeSlack:
    slack = FakeSlack()
    slack.add_user(CAROL, name="carol")
    slack.add_user(DAVE, name="dave")
    slack.add_user(GUEST, name="guest", restricted=True)
    slack.add_usergroup(ONCALL, "sre-oncall", [ALICE])
    slack.add_usergroup(LEADS, "sre-leads", [BOB, DAVE])
    slack.add_channel(AUDIT_CHANNEL, name="audit")
    return slack


async def said(bot: Bot, url: str) -> str:
    answer = await bot.wait_response(url)
    return answer.text + "\n" + texts(answer.blocks)


async def state_of(bot: Bot, request_id: str) -> RequestState:
    assert bot.runtime.deps is not None
    row = await bot.runtime.deps.store.requests.get(request_id)
    assert row is not None
    return row.state


async def kinds(bot: Bot, request_id: str | None = None) -> list[AuditKind]:
    assert bot.runtime.deps is not None
    audit = bot.runtime.deps.store.audit
    entries = await (audit.for_request(request_id) if request_id else audit.recent(1000))
    return [e.event.kind for e in entries]


async def ask(bot: Bot, count: int = 3) -> str:
    """Alice previews ``count`` servers and clicks "Ask for approval": the request id."""
    ids = " ".join(s.id for s in bot.sim.seed(count))
    preview, _ = await bot.preview(f"stop {ids} reason: patching")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id, texts(preview.blocks)
    assert "Ask for approval" in texts(preview.blocks)
    await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(lambda: value_of(_root_blocks(bot), ActionId.APPROVE) == request_id)
    return request_id


def _root_blocks(bot: Bot) -> list[dict[str, Any]]:
    roots = bot.root_messages()
    return roots[0].blocks if roots else []


@pytest.fixture
async def bot(tmp_path: Path):
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=policy_file(tmp_path)) as b:
        yield b


async def test_a_guest_is_refused_without_a_policy(tmp_path: Path) -> None:
    """With no policy file, a guest's stop is refused and audited; a member's goes through."""
    async with running_bot(tmp_path, slack=workspace()) as bot:
        ids = " ".join(s.id for s in bot.sim.seed(1))
        _, url = await bot.command(f"stop {ids}", user=GUEST)
        assert "Guest accounts cannot stop servers" in await said(bot, url)
        _, request_id = await bot.preview(f"stop {ids}")
        assert request_id is not None
        assert await kinds(bot) == [AuditKind.REFUSED, AuditKind.REQUESTED]


async def test_each_refusal_names_its_rule(bot: Bot, tmp_path: Path) -> None:
    """Outside any group, outside the grant's channels, and over its limit: each says why."""
    ids = " ".join(s.id for s in bot.sim.seed(1))
    _, url = await bot.command(f"stop {ids}", user=CAROL)
    assert "You are not in a group allowed to stop servers in" in await said(bot, url)
    bot.slack.add_channel("C0ELSEWHE", name="random")
    _, url = await bot.command(f"stop {ids}", channel="C0ELSEWHE")
    assert "is not a channel where stops are allowed" in await said(bot, url)
    many = " ".join(str(uuid.uuid4()) for _ in range(340))
    _, url = await bot.command(f"stop {many}")
    assert "This request names 340 servers; `sre-oncall` allows 200" in await said(bot, url)
    assert bot.sim.stop_calls == []
    assert await kinds(bot) == [AuditKind.REFUSED] * 3


async def test_a_protected_server_among_1000_is_never_stopped(tmp_path: Path) -> None:
    """One db-prod server hidden in 1,000 ids is listed apart, with its rule, and not stopped."""
    policy = policy_file(tmp_path, max_servers=1000, approval='"never"', break_glass="false")
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=policy) as bot:
        servers = bot.sim.seed(999)
        [db] = bot.sim.seed(1, prefix="db-prod")
        ids = " ".join(s.id for s in [*servers[:500], db, *servers[500:]])
        preview, request_id = await bot.preview(f"stop {ids}")
        shown = texts(preview.blocks)
        assert "1 server is protected by `prod-databases` and will not be stopped" in shown
        assert request_id is not None
        await bot.click(ActionId.CONFIRM, request_id)
        assert await bot.settled(request_id, within=60) is RequestState.FINISHED
        sent = [i for call in bot.sim.stop_calls for i in call]
        assert len(sent) == 999
        assert db.id not in sent


async def test_a_second_person_approves_and_exactly_one_stop_follows(bot: Bot) -> None:
    """Self-approval and a non-approver are refused; two approvers at once make one stop."""
    await approved_once(bot)


@pytest.mark.postgres
async def test_approval_on_postgresql_makes_exactly_one_stop(tmp_path: Path) -> None:
    """The same approval race on PostgreSQL (which enforces column widths SQLite ignores)."""
    from tests.conftest import fresh_engine, postgres_url

    await (await fresh_engine("postgres", tmp_path)).dispose()
    async with running_bot(
        tmp_path,
        slack=workspace(),
        db_url=postgres_url(),
        bms_policy_file=policy_file(tmp_path),
    ) as bot:
        await approved_once(bot)


async def approved_once(bot: Bot) -> None:
    request_id = await ask(bot)
    root = bot.root_messages()[0]
    assert f"<!subteam^{LEADS}>" in root.text + texts(root.blocks)
    assert await state_of(bot, request_id) is RequestState.AWAITING_APPROVAL
    _, url = await bot.click(ActionId.APPROVE, request_id)
    assert "you cannot approve or reject it yourself" in await said(bot, url)
    _, url = await bot.click(ActionId.APPROVE, request_id, user=CAROL)
    assert "may approve or reject this stop" in await said(bot, url)
    assert bot.sim.stop_calls == []
    await asyncio.gather(
        bot.click(ActionId.APPROVE, request_id, user=BOB),
        bot.click(ActionId.APPROVE, request_id, user=DAVE),
    )
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert len(bot.sim.stop_calls) == 1
    thread = bot.thread_text()
    assert "Approved by" in thread
    trail = await kinds(bot, request_id)
    assert trail.count(AuditKind.APPROVED) == 1
    for kind in (AuditKind.REQUESTED, AuditKind.APPROVAL_REQUESTED, AuditKind.SUBMITTED):
        assert kind in trail
    assert trail.count(AuditKind.REFUSED) == 2
    assert trail.count(AuditKind.SERVER_OUTCOME) == 3
    assert trail[-1] is AuditKind.FINISHED
    assert bot.runtime.deps is not None
    assert (await bot.runtime.deps.store.audit.verify()).intact
    await bot.slack.wait_for(
        lambda: any(m.channel == AUDIT_CHANNEL for m in bot.slack.messages.values())
    )


async def test_a_rejection_asks_for_a_reason_and_stops_nothing(bot: Bot) -> None:
    """Reject opens a modal; its reason is shown in the thread, and nothing stops."""
    request_id = await ask(bot)
    await bot.click(ActionId.REJECT, request_id, user=BOB)
    await bot.slack.wait_for(lambda: bot.slack.views)
    assert bot.slack.views[0].private_metadata == request_id
    values = {BlockId.REJECT_REASON.value: {CallbackId.REJECT_REASON.value: "not in the window"}}
    response = await bot.submit_view(CallbackId.REJECT_REASON, request_id, values, user=BOB)
    assert response.status_code == 200
    await bot.slack.wait_for(lambda: "not in the window" in bot.thread_text())
    assert await state_of(bot, request_id) is RequestState.REJECTED
    assert bot.sim.stop_calls == []
    assert AuditKind.REJECTED in await kinds(bot, request_id)


async def test_an_approval_after_it_expired_stops_nothing(tmp_path: Path) -> None:
    """Past approval_ttl the request expires and says so; a late Approve changes nothing."""
    policy = policy_file(tmp_path, approval_ttl='"1s"')
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=policy) as bot:
        request_id = await ask(bot)
        await asyncio.sleep(1.2)
        _, url = await bot.click(ActionId.APPROVE, request_id, user=BOB)
        assert "expired" in await said(bot, url)
        assert await state_of(bot, request_id) is RequestState.APPROVAL_EXPIRED
        await bot.slack.wait_for(lambda: "expired" in bot.thread_text())
        assert bot.sim.stop_calls == []
        assert AuditKind.APPROVAL_EXPIRED in await kinds(bot, request_id)


async def test_someone_removed_from_the_group_meanwhile_is_refused(bot: Bot) -> None:
    """Alice leaves @sre-oncall after asking: the approval is refused and the thread says why."""
    request_id = await ask(bot)
    bot.slack.set_usergroup_users(ONCALL, [])
    await bot.click(ActionId.APPROVE, request_id, user=BOB)
    await bot.slack.wait_for(lambda: "Rejected by the policy" in bot.thread_text())
    assert f"<@{ALICE}> is no longer in a group allowed to stop servers" in bot.thread_text()
    assert await state_of(bot, request_id) is RequestState.REJECTED
    assert bot.sim.stop_calls == []


async def test_break_glass_stops_at_once_and_is_reviewed(bot: Bot) -> None:
    """--break-glass skips the wait; the approvers get Acknowledge and the audit channel hears."""
    ids = " ".join(s.id for s in bot.sim.seed(3))
    preview, _ = await bot.preview(f"stop {ids} --break-glass reason: db down, nobody awake")
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id is not None
    assert "break glass" in texts(preview.blocks).lower()
    await bot.click(ActionId.CONFIRM, request_id)
    assert await bot.settled(request_id) is RequestState.FINISHED
    assert len(bot.sim.stop_calls) == 1
    await bot.slack.wait_for(
        lambda: any(
            m.channel == AUDIT_CHANNEL and "BREAK GLASS" in m.text
            for m in bot.slack.messages.values()
        )
    )
    await bot.slack.wait_for(lambda: "please review" in bot.thread_text())
    _, url = await bot.click(ActionId.ACKNOWLEDGE, request_id, user=CAROL)
    assert "may approve or reject" in await said(bot, url)
    await bot.click(ActionId.ACKNOWLEDGE, request_id, user=BOB)
    await bot.slack.wait_for(lambda: "reviewed by" in bot.thread_text())
    trail = await kinds(bot, request_id)
    assert AuditKind.BREAK_GLASS in trail
    assert AuditKind.ACKNOWLEDGED in trail


async def test_break_glass_is_refused_where_the_grant_does_not_allow_it(tmp_path: Path) -> None:
    """Without break_glass = true in the deciding grant the flag is refused, and says why."""
    policy = policy_file(tmp_path, break_glass="false")
    async with running_bot(tmp_path, slack=workspace(), bms_policy_file=policy) as bot:
        ids = " ".join(s.id for s in bot.sim.seed(3))
        _, url = await bot.command(f"stop {ids} --break-glass reason: hurry")
        assert "`--break-glass` is not allowed here" in await said(bot, url)
        assert bot.sim.stop_calls == []


async def test_a_bad_policy_file_stops_the_bot_at_start(tmp_path: Path) -> None:
    """A mistake in the policy names the file and the key, and the bot does not start."""
    path = tmp_path / "policy.toml"
    path.write_text('[[grant]]\nname = "x"\nrequesters = []\nchannels = ["#general"]\n')
    with pytest.raises(Exception, match=r"channels\[0\]") as caught:
        async with running_bot(tmp_path, slack=workspace(), bms_policy_file=path):
            pass
    assert str(path) in str(caught.value)
    assert "requesters: is empty" in str(caught.value)


async def test_the_audit_is_shown_to_its_readers_only(bot: Bot) -> None:
    """/bms audit answers Bob (a reader) with the entries and refuses Alice."""
    ids = " ".join(s.id for s in bot.sim.seed(1))
    await bot.preview(f"stop {ids}")
    _, url = await bot.command("audit 5", user=ALICE)
    assert "audit readers" in await said(bot, url)
    _, url = await bot.command("audit 5", user=BOB)
    assert "*requested* by" in await said(bot, url)


async def test_an_approval_asked_in_an_incident_thread_stays_in_it(bot: Bot) -> None:
    """Asked through @bms-bot in a thread: the approval request and the results go there."""
    thread = "1764255600.000100"
    ids = " ".join(s.id for s in bot.sim.seed(3))
    response = await bot.mention(
        f"<@U0BOT> stop {ids} reason: incident",
        ts="1764255700.000400",
        thread_ts=thread,
        event_id="EvApprove",
    )
    assert response.status_code == 200
    await bot.slack.wait_for(lambda: bot.slack.ephemerals)
    request_id = value_of(bot.slack.ephemerals[0].blocks, ActionId.CONFIRM)
    assert request_id is not None
    await bot.click(ActionId.CONFIRM, request_id)
    await bot.slack.wait_for(
        lambda: any(
            m.thread_ts == thread and value_of(m.blocks, ActionId.APPROVE) == request_id
            for m in bot.slack.messages.values()
        )
    )
    await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert await bot.settled(request_id) is RequestState.FINISHED
    in_thread = [m for m in bot.slack.messages.values() if m.thread_ts == thread]
    assert any("Approved by" in m.text for m in in_thread)
    assert not bot.root_messages()  # nothing landed in the channel itself


async def test_the_audit_names_huaweis_request_id_and_detects_a_hand_edit(
    bot: Bot, tmp_path: Path
) -> None:
    """The submitted entry carries the X-Request-Id of the stop call; after a row is edited
    behind the bot's back, `bms-bot audit verify` names that entry."""
    request_id = await ask(bot)
    await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert await bot.settled(request_id) is RequestState.FINISHED
    deps = bot.runtime.deps
    assert deps is not None
    entries = await deps.store.audit.for_request(request_id)
    [submitted] = [e for e in entries if e.event.kind is AuditKind.SUBMITTED]
    assert submitted.event.cloud_request_ids
    assert re.fullmatch("[0-9a-f]{32}", submitted.event.cloud_request_ids[0])  # the simulator's
    target = entries[2].seq
    async with deps.store.engine.begin() as conn:
        await conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        await conn.exec_driver_sql(
            f"UPDATE audit_log SET actor_id = 'U0MALLORY' WHERE seq = {target}"
        )
    db = tmp_path / "bot.db"
    code, said = await audit_verify(db)
    assert code == 1, said
    assert f"broken at entry {target}" in said


async def test_the_requester_can_withdraw_an_approval_request(bot: Bot) -> None:
    """Only the requester's Withdraw counts: the request is cancelled, said, and audited."""
    request_id = await ask(bot)
    _, url = await bot.click(ActionId.WITHDRAW, request_id, user=BOB)
    assert "Only <@" in await said(bot, url)
    await bot.click(ActionId.WITHDRAW, request_id)
    await bot.slack.wait_for(lambda: "Withdrawn by" in bot.thread_text())
    assert await state_of(bot, request_id) is RequestState.CANCELLED
    _, url = await bot.click(ActionId.APPROVE, request_id, user=BOB)
    assert "cancelled" in (await said(bot, url)).lower()
    assert bot.sim.stop_calls == []
    assert (await kinds(bot, request_id))[-1] is AuditKind.CANCELLED
