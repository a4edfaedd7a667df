"""The ``bms-bot`` console script as a person first meets it."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.audit import AuditEvent, AuditKind
from bot.settings import normalise_database_url
from bot.store import open_store

BMS_BOT = Path(sys.executable).parent / "bms-bot"


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BMS_", "HUAWEI"))}
    return subprocess.run(
        [str(BMS_BOT), *args],
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_unconfigured_run_explains_what_to_set(tmp_path: Path) -> None:
    """Without configuration it names the missing variables and the simulator, with exit code 2."""
    result = run(tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "BMS_SIMULATOR=true" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_value_named(tmp_path: Path) -> None:
    """A malformed value names the variable and the problem."""
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "BMS_SIMULATOR": "true"}
    result = run(tmp_path, env={**env, "BMS_POLL_INTERVAL": "soon"})
    assert result.returncode == 2
    assert "BMS_POLL_INTERVAL" in result.stderr
    assert "Traceback" not in result.stderr


def test_dotenv_is_read(tmp_path: Path) -> None:
    """Settings come from a .env file in the working directory too."""
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nBMS_SIMULATOR=true\n")
    result = run(tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" not in result.stderr  # found in .env
    assert "SLACK_APP_TOKEN" in result.stderr


def test_help(tmp_path: Path) -> None:
    """--help lists the subcommands."""
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for word in ("check", "simulator", "run", "migrate", "audit"):
        assert word in result.stdout


def test_bad_database_url_is_explained(tmp_path: Path) -> None:
    """An unreachable database stops start-up with a plain explanation, not a traceback."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "BMS_SIMULATOR": "true",
        "BMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    result = run(tmp_path, env=env)
    assert result.returncode == 2
    assert "cannot open the database (postgresql+psycopg)" in result.stderr
    assert "BMS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_slack_is_explained(tmp_path: Path) -> None:
    """Slack out of reach stops start-up with what to check, not a traceback."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "BMS_SIMULATOR": "true",
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
        "PORT": "0",
    }
    result = run(tmp_path, env=env)
    assert result.returncode == 2
    assert "cannot reach Slack at http://127.0.0.1:1/api/" in result.stderr
    assert "Traceback" not in result.stderr


def test_simulator_subcommand_serves_through_its_entry_point(tmp_path: Path) -> None:
    """`bms-bot simulator` finds the simulator package by its entry point and serves it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BMS_", "HUAWEI"))}
    with subprocess.Popen(
        [str(BMS_BOT), "simulator", "--port", "0", "--servers", "2"],
        cwd=tmp_path,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.startswith("BMS simulator listening on http://127.0.0.1:"), first
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_first_run_names_everything_in_one_answer(tmp_path: Path) -> None:
    """Unconfigured, one run names the Slack tokens and the cloud settings together."""
    result = run(tmp_path)
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "BMS_REGION", "HUAWEICLOUD_SDK_AK"):
        assert name in result.stderr, name
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("run", "Run the bot"),
        ("check", "Check the configuration"),
        ("simulator", "default: 8788"),
        ("migrate", "Apply the database migrations"),
        ("audit", "Check that no entry of the audit trail"),
        ("audit verify", "Check the audit trail's hash chain"),
        ("audit export", "ISO 8601 date"),
    ],
)
def test_every_subcommand_explains_itself(tmp_path: Path, command: str, said: str) -> None:
    """Each subcommand's --help says what it does and shows its defaults."""
    result = run(tmp_path, *command.split(), "--help")
    assert result.returncode == 0
    assert said in result.stdout


def test_migrate_brings_a_database_up_to_date_and_says_so(tmp_path: Path) -> None:
    """`bms-bot migrate` needs only BMS_DATABASE_URL; a second run finds nothing to do."""
    env = {"BMS_DATABASE_URL": f"sqlite:///{tmp_path}/m.db"}
    first = run(tmp_path, "migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "Migrated the database from revision none to" in first.stdout
    second = run(tmp_path, "migrate", env=env)
    assert "up to date" in second.stdout


def test_migrate_explains_an_unreachable_database(tmp_path: Path) -> None:
    """A database that cannot be opened is one plain line and exit code 2."""
    result = run(tmp_path, "migrate", env={"BMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr


AUDIT_AT = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def audit_database(tmp_path: Path, count: int = 5) -> dict[str, str]:
    """A database with ``count`` audit entries a second apart; the environment naming it."""
    url = f"sqlite:///{tmp_path}/audit.db"

    async def fill() -> None:
        store = await open_store(normalise_database_url(url))
        events = [
            AuditEvent(AuditKind.REQUESTED, AUDIT_AT + n, "U1", "ada", "C1", None, f"req_{n}")
            for n in range(count)
        ]
        await store.audit.append_many(events)
        await store.close()

    asyncio.run(fill())
    return {"BMS_DATABASE_URL": url}


def test_audit_verify_says_an_intact_chain_is_intact(tmp_path: Path) -> None:
    """`bms-bot audit verify` needs only BMS_DATABASE_URL and exits 0 on an intact chain."""
    result = run(tmp_path, "audit", "verify", env=audit_database(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("5 entries, the chain is intact.")


def test_audit_verify_names_the_first_broken_entry(tmp_path: Path) -> None:
    """A row edited behind the triggers' back makes verify exit 1 naming its seq and why."""
    env = audit_database(tmp_path)
    with sqlite3.connect(tmp_path / "audit.db") as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor_id = 'U666' WHERE seq = 3")
    result = run(tmp_path, "audit", "verify", env=env)
    assert result.returncode == 1
    assert "broken at entry 3: its contents do not match its hash" in result.stdout
    assert "Traceback" not in result.stderr


def test_audit_export_writes_json_lines_since_a_time(tmp_path: Path) -> None:
    """`bms-bot audit export --since` writes one JSON object per entry from that time on."""
    env = audit_database(tmp_path)
    result = run(tmp_path, "audit", "export", "--since", "2027-01-15T09:00:02+01:00", env=env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["seq"] for line in lines] == [3, 4, 5]
    assert lines[0]["time"] == "2027-01-15T08:00:02.000000Z"
    assert lines[0]["at"] == AUDIT_AT + 2
    assert {"kind", "actor_id", "request_id", "prev_hash", "hash"} <= set(lines[0])
    assert "Exported 3 entries" in result.stderr


def test_audit_export_to_a_file_from_a_date(tmp_path: Path) -> None:
    """--output writes the lines to a file; a bare date means midnight UTC."""
    env = audit_database(tmp_path)
    result = run(
        tmp_path, "audit", "export", "--since", "2027-01-15", "--output", "a.jsonl", env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4, 5]


def test_audit_export_explains_a_bad_date(tmp_path: Path) -> None:
    """A --since that is not ISO 8601 is one plain line and exit code 2."""
    env = audit_database(tmp_path)
    result = run(tmp_path, "audit", "export", "--since", "last tuesday", env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "'last tuesday' is not an ISO 8601 date or time" in result.stderr
    assert result.stdout == ""


def test_audit_explains_an_unreachable_database(tmp_path: Path) -> None:
    """A database that cannot be opened is one plain line and exit code 2, not a traceback."""
    env = {"BMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    result = run(tmp_path, "audit", "verify", env=env)
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr
