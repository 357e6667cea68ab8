"""awsmon logs: CloudWatch Logs: groups, streams and events, filter patterns, tail, metric filters, import."""

from __future__ import annotations

from awsmon.cli._common import group

app = group("logs", "CloudWatch Logs: groups, streams and events, filter patterns, tail, metric filters, import.")
