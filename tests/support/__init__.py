"""Test support: the bot under test, wired to the fake Slack and the BMS simulator on loopback."""
