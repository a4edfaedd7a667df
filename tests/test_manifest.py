"""manifest.yml declares exactly what the bot uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.ids import ActionId

MANIFEST = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())


def test_slash_command() -> None:
    """/bms is declared with a usage hint within Slack's limits."""
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/bms"
    assert len(command["command"]) <= 32
    assert command["usage_hint"]
    assert "url" not in command  # Socket Mode: no request URL


def test_scopes_and_events() -> None:
    """The bot scopes cover commands, posting, public channels, mentions, reading back the
    channels it posts in (to find its own message when Slack did not answer), who people and
    user groups are (the policy), and sharing a long report's file, nothing more."""
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "chat:write.public",
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "users:read",
        "usergroups:read",
        "files:write",
    }
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]


def test_socket_mode_and_interactivity() -> None:
    """Socket Mode is on and interactivity (the buttons) is enabled."""
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert len(MANIFEST["display_information"]["name"]) <= 35


def test_action_ids_fit() -> None:
    """Action ids are within Slack's 255-character limit."""
    assert all(len(a.value) <= 255 for a in ActionId)
