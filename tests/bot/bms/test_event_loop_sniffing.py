"""httpcore asks which event loop runs on every request: sniffio must be installed, or each ask
is a failed import (about 23 µs of the bot's CPU per Huawei call, measured here)."""

from __future__ import annotations

import importlib.util

from httpcore._synchronization import current_async_library


async def test_httpcore_finds_sniffio_and_names_asyncio() -> None:
    """sniffio is a dependency, and under our loop it says asyncio."""
    assert importlib.util.find_spec("sniffio") is not None
    assert current_async_library() == "asyncio"
