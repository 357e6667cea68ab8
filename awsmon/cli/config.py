"""awsmon config: AWS Config: configuration items and rule compliance."""

from __future__ import annotations

from awsmon.cli._common import group

app = group("config", "AWS Config: configuration items and rule compliance.")
