"""awsmon rules: EventBridge rules: event patterns and schedules."""

from __future__ import annotations

from awsmon.cli._common import group

app = group("rules", "EventBridge rules: event patterns and schedules.")
