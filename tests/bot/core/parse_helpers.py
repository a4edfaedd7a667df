"""Shared helpers for the parser tests: parse and insist on the kind of result."""

from __future__ import annotations

from bot.core.parser import ParseError, StopCommand, parse_command

A = "616fb98f-46ca-475e-917e-2563e5a8cd19"
B = "726fb98f-46ca-475e-917e-2563e5a8cd20"
C = "836fb98f-46ca-475e-917e-2563e5a8cd21"


def stop(text: str) -> StopCommand:
    command = parse_command(text)
    assert isinstance(command, StopCommand), command
    return command


def error(text: str) -> ParseError:
    command = parse_command(text)
    assert isinstance(command, ParseError), command
    return command
