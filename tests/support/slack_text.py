"""Reading what the bot said: the text a person would see in a message, and its metadata."""

from __future__ import annotations

from typing import Any


def texts(blocks: list[dict[str, Any]] | None) -> str:
    """Every ``text`` string in these blocks, one per line."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)


def readable(text: str | None, blocks: list[dict[str, Any]] | None) -> str:
    """The fallback text and the blocks' text together."""
    return f"{text or ''}\n{texts(blocks)}"
