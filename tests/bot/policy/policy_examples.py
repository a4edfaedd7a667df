"""The policy the model, load and summary tests share: the README's example, lightly varied."""

from __future__ import annotations

DB_ID = "616fb98f-46ca-475e-917e-2563e5a8cd19"

EXAMPLE = f"""
[defaults]
max_servers = 500
approval_ttl = "1h30m"

[[grant]]
name = "sre-oncall"
requesters = ["@sre-oncall", "U0ALICE001"]
channels = ["C0INCIDENT"]
max_servers = 200
approval = "above 20"
approval_for = {{ names = ["*-prod-*"], tags = ["env=prod"] }}
approvers = ["@sre-leads"]
break_glass = true

[[grant]]
name = "everyone-in-sandbox"
requesters = ["S0ENGINEER"]
channels = ["*"]

[[protect]]
name = "prod-databases"
ids = ["{DB_ID}"]
names = ["db-prod-*"]
tags = ["env=prod", "keep"]

[audit]
readers = ["@sre-leads"]
channel = "C0AUDIT01"
"""
