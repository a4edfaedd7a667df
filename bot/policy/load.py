"""Read ``BMS_POLICY_FILE``: every mistake in one answer, each naming the file and the key path.

policy.toml: grant[0] "sre-oncall" → channels[0]: '#incident' is not a channel id …
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.policy.model import Policy, across_entries


class PolicyError(Exception):
    """The policy file cannot be used; ``problems`` are whole lines, the first naming the file."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the policy file {path} has {_count(len(problems))}:\n{lines}")


def load_policy(path: Path) -> Policy:
    """The validated policy in ``path``, or ``PolicyError`` naming every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(path, [f"cannot be read: {exc.strerror or exc}"]) from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PolicyError(path, ["is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(path, [f"is not valid TOML: {exc}"]) from None
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        errors = _without_echoes(exc.errors())
        lines = [line for e in errors for line in _lines(e, document)]
        lines += [p for p in across_entries(document) if not any(p in line for line in lines)]
        raise PolicyError(path, lines) from None


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """A list whose every item was bad is also "too short"; the items already say why."""
    item_parents = {e["loc"][:-1] for e in errors if e["loc"] and isinstance(e["loc"][-1], int)}
    return [e for e in errors if not (e["type"] == "too_short" and e["loc"] in item_parents)]


def _lines(error: ErrorDetails, document: Mapping[str, Any]) -> list[str]:
    """One line per problem, each with the key path: a check of a whole entry may find several."""
    where = _key_path(error["loc"], document)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown key{_known_keys(error['loc'])}"
    elif error["type"] == "missing":
        message = "is required"
    elif error["type"] == "too_short":
        message = "is empty: name at least one"
    return [f"{where}: {part}" if where else part for part in message.split("\n")]


def _key_path(loc: tuple[int | str, ...], document: Mapping[str, Any]) -> str:
    """``grant[0] "sre-oncall" → approvers[1]``: indexes with the entry's name where it has one."""
    parts: list[str] = []
    node: Any = document
    for key in loc:
        if isinstance(key, int):
            parts[-1] += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            name = node.get("name") if isinstance(node, dict) else None
            if isinstance(name, str) and len(parts) == 1:
                parts[-1] += f" {name!r}"
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
    return " → ".join(parts)


def _known_keys(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] | None = Policy
    for key in loc[:-1]:
        if isinstance(key, int) or model is None:
            continue
        field = model.model_fields.get(key)
        model = _model_of(field.annotation) if field else None
    if model is None:
        return ""
    return " (known here: " + ", ".join(model.model_fields) + ")"


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _count(n: int) -> str:
    return "a problem" if n == 1 else f"{n} problems"
