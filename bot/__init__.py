"""bms-bot: stop Huawei Cloud Bare Metal Servers safely from Slack."""

from __future__ import annotations

__version__ = "0.1.0"
