"""One dispatch for every command: what is said at once, and what runs after the ack."""

from __future__ import annotations

import pytest

from bot.commands import answered_at_once, first_answer
from bot.core.parser import parse_command

A = "616fb98f-46ca-475e-917e-2563e5a8cd19"


@pytest.mark.parametrize(
    ("text", "expected", "done"),
    [
        ("help", "Usage:", True),
        ("", "Usage:", True),
        ("stop web-01", "I couldn't read that command", True),
        (f"stop {A}", "Looking up 1 server", False),
        ("status 2c9eb2c5544cbf61", "Checking job `2c9eb2c5544cbf61`", False),
    ],
)
def test_first_answer_for_each_command(text: str, expected: str, done: bool) -> None:
    """Help and bad commands are answered whole at once; stop and status say they are working."""
    command = parse_command(text)
    assert first_answer(command).text.startswith(expected)
    assert answered_at_once(command) is done


def test_help_lists_the_samples_it_is_given() -> None:
    """A stand-in backend's sample servers appear in the help."""
    text = str(first_answer(parse_command("help"), [("web-001", A)]).blocks)
    assert "web-001" in text
    assert A in text
