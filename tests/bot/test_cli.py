"""The ``bms-bot`` console script as a person first meets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    for word in ("check", "simulator", "run"):
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
    ],
)
def test_every_subcommand_explains_itself(tmp_path: Path, command: str, said: str) -> None:
    """Each subcommand's --help says what it does and shows its defaults."""
    result = run(tmp_path, command, "--help")
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
