"""``bms-bot check`` reaches Slack and Huawei Cloud, loads the policy file, and says plainly what
is wrong."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.check import check_policy, run_check
from bot.policy.summary import NO_POLICY
from simulator.runner import start_simulator
from tests.fakes.slack_api import FakeSlack
from tests.support.harness import make_settings, new_simulator


async def check(tmp_path, capsys, **overrides) -> tuple[int, str]:
    async with FakeSlack() as slack:
        sim = new_simulator()
        sim.seed(3)
        running = await start_simulator(sim)
        try:
            api_url = overrides.pop("slack_api_url", slack.api_url)
            settings = make_settings(
                api_url, running.url, f"sqlite+aiosqlite:///{tmp_path}/c.db", **overrides
            )
            code = await run_check(settings)
        finally:
            await running.close()
    return code, capsys.readouterr().out


async def test_all_good(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """With working credentials every line says ok and the exit code is 0."""
    code, out = await check(tmp_path, capsys)
    assert code == 0
    assert "FAIL" not in out
    assert "3 servers" in out


async def test_bad_sk(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong SK is reported as rejected credentials, with what to check; exit code 1."""
    code, out = await check(tmp_path, capsys, huaweicloud_sdk_sk="wrong")
    assert code == 1
    assert "APIGW.0301" in out
    assert "HUAWEICLOUD_SDK_AK" in out or "credentials" in out.lower()
    assert "wrong" not in out


async def test_bad_slack_token(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong bot token is reported with the variable to fix."""
    code, out = await check(tmp_path, capsys, slack_bot_token="xoxb-wrong")
    assert code == 1
    assert "SLACK_BOT_TOKEN" in out
    assert "xoxb-wrong" not in out


async def test_socket_mode_token_checked(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """In Socket Mode the app-level token is tried too."""
    code, out = await check(tmp_path, capsys, slack_app_token="xapp-test")
    assert code == 0
    assert "Socket Mode" in out


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/api/", "http://no-such-host.invalid/api/"], ids=["refused", "dns"]
)
async def test_unreachable_slack_is_one_line(tmp_path, capsys, url: str) -> None:
    """Slack out of reach (refused, unknown host) is one plain FAIL line and exit code 1."""
    code, out = await check(tmp_path, capsys, slack_api_url=url)
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert "cannot reach Slack" in line
    assert url in line
    assert "Traceback" not in out


async def test_the_clock_is_compared_with_slacks_and_huaweis(tmp_path, capsys) -> None:
    """check compares this machine's clock with the Date of Slack's and Huawei's answers: in
    step it says so; 10 minutes ahead it fails naming Slack's 5-minute limit."""
    code, out = await check(tmp_path, capsys)
    assert "Clock: within 30 s of Slack's" in out
    assert "Clock: within 30 s of Huawei Cloud's" in out
    async with FakeSlack() as slack:
        sim = new_simulator()
        running = await start_simulator(sim)
        try:
            settings = make_settings(
                slack.api_url, running.url, f"sqlite+aiosqlite:///{tmp_path}/k.db"
            )
            code = await run_check(settings, clock=lambda: time.time() + 600)
        finally:
            await running.close()
    out = capsys.readouterr().out
    assert code == 1
    # The Date header counts whole seconds: 600 s ahead reads as 600 or 601.
    assert re.search(r"FAIL Clock: this machine is 60[01] s ahead of Slack's", out), out
    assert "5 minutes" in out
    assert re.search(r"ok   Clock: 60[01] s ahead of Huawei Cloud's", out), out


POLICY = """
[[grant]]
name = "sre-oncall"
requesters = ["@sre-oncall", "U0ALICE001"]
channels = ["C0INCIDENT"]
max_servers = 200
approval = "above 20"
approval_for = { names = ["*-prod-*"], tags = ["env=prod"] }
approvers = ["@sre-leads"]
break_glass = true

[[protect]]
name = "prod-databases"
names = ["db-prod-*"]
tags = ["env=prod", "keep"]

[audit]
readers = ["@sre-leads"]
channel = "C0AUDIT01"
"""


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_valid_policy_is_ok_and_summarised(tmp_path, capsys) -> None:
    """A policy that loads is an ok line, then who may do what under it; exit code 0."""
    path = policy_file(tmp_path, POLICY)
    code, out = await check(tmp_path, capsys, bms_policy_file=path)
    assert code == 0, out
    lines = out.splitlines()
    start = lines.index(f"ok   Policy: {path} is valid (1 grant, 1 protect rule).")
    assert lines[start + 1 : start + 6] == [
        "     defaults: up to 1000 servers a request; a request waiting for approval expires "
        "after 30m",
        "     grant sre-oncall: @sre-oncall, U0ALICE001 may stop up to 200 servers in C0INCIDENT; "
        "approval above 20 or for names *-prod-*, tags env=prod, by @sre-leads; "
        "break glass allowed",
        "     protect prod-databases: names db-prod-*, tags env=prod, keep",
        "     audit: readers @sre-leads; summary lines to C0AUDIT01",
        next(line for line in lines if line.startswith("ok   Slack: connected")),
    ]


async def test_each_policy_problem_is_a_fail_line(tmp_path, capsys) -> None:
    """Every mistake in the policy file is its own FAIL line naming the file and the key;
    Slack and Huawei Cloud are still checked; exit code 1."""
    bad = POLICY.replace('"C0INCIDENT"', '"#incident"').replace('"keep"', '"=keep"')
    path = policy_file(tmp_path, bad)
    code, out = await check(tmp_path, capsys, bms_policy_file=path)
    assert code == 1
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert fails == [
        f"FAIL Policy: {path}: grant[0] 'sre-oncall' → channels[0]: '#incident' is not a channel "
        'id (C…, G… or D…) or "*" (use the channel\'s id, not its name)',
        f"FAIL Policy: {path}: protect[0] 'prod-databases' → tags[1]: '=keep' is not a tag; "
        "write key=value or key",
    ]
    assert "grant sre-oncall:" not in out
    assert "ok   Slack: connected" in out
    assert "3 servers" in out
    assert "Traceback" not in out


def test_without_a_policy_file_the_default_is_said(tmp_path, capsys) -> None:
    """No BMS_POLICY_FILE is ok, and check says what the default lets whom do."""
    settings = make_settings("http://127.0.0.1:1/api/", "http://127.0.0.1:1", "sqlite://")
    assert check_policy(settings)
    assert capsys.readouterr().out.splitlines() == [
        "ok   Policy: BMS_POLICY_FILE is not set; the default holds.",
        f"     {NO_POLICY}",
    ]


def test_a_missing_policy_file_is_one_fail_line(tmp_path, capsys) -> None:
    """A policy file that cannot be read is one FAIL line, not a traceback."""
    path = tmp_path / "nope.toml"
    settings = make_settings(
        "http://127.0.0.1:1/api/", "http://127.0.0.1:1", "sqlite://", bms_policy_file=path
    )
    assert not check_policy(settings)
    assert capsys.readouterr().out.splitlines() == [
        f"FAIL Policy: {path}: cannot be read: No such file or directory"
    ]
