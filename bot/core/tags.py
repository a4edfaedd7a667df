"""Server tags as a selector names them, ``key=value`` or ``key``: one rule for the policy's
protected servers and grants and for ``/bms stop tag:…``."""

from __future__ import annotations

import re

_TAG = re.compile(r"[^\s=]{1,128}(?:=[^\s]{0,255})?")


def is_tag(selector: str) -> bool:
    """A key of 1 to 128 characters, optionally ``=value`` (up to 255), no spaces."""
    return _TAG.fullmatch(selector) is not None


def tag_matches(wanted: str, tags: tuple[str, ...]) -> bool:
    """``key=value`` matches that exact tag; ``key`` matches the key with any value (or none).
    Keys and values are case-sensitive, as Huawei keeps them."""
    if "=" in wanted:
        return wanted in tags
    return any(t == wanted or t.startswith(wanted + "=") for t in tags)
