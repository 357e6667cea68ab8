"""awsmon alarms: CloudWatch alarms: metric and composite alarms, evaluation, history, notifications, and CI checks."""

from __future__ import annotations

from awsmon.cli._common import group

app = group("alarms", "CloudWatch alarms: metric and composite alarms, evaluation, history, notifications, and CI checks.")
