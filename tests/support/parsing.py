"""Shared helpers for the parser tests: parse, insist on the kind of result, read the problems."""

from __future__ import annotations

from bot.blocks.problems import problem_lines
from bot.core.parser import ParseError, StopCommand, parse_command

A = "616fb98f-46ca-475e-917e-2563e5a8cd19"
B = "726fb98f-46ca-475e-917e-2563e5a8cd20"
C = "836fb98f-46ca-475e-917e-2563e5a8cd21"
# 100k characters of junk of every kind: the parser must stay fast and its answer short.
HUGE_INPUTS = [
    "stop " + "a" * 100_000,
    "stop " + "x " * 50_000,
    "stop " + ("<@U1>" * 20_000),
    "stop " + "\u200b" * 100_000,
    "stop " + "🔥" * 100_000,
    f"stop {A} reason: " + "y" * 100_000,
    "status " + "z" * 100_000,
    "x" * 100_000,
]


def stop(text: str) -> StopCommand:
    command = parse_command(text)
    assert isinstance(command, StopCommand), command
    return command


def error(text: str) -> ParseError:
    command = parse_command(text)
    assert isinstance(command, ParseError), command
    return command


def said(text: str) -> tuple[str, ...]:
    """The problems with ``text`` as the person reads them."""
    return problem_lines(error(text))
