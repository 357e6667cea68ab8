"""awsmon metrics: CloudWatch metrics: put custom metrics, list them, get statistics and metric math, graph them in the terminal."""

from __future__ import annotations

from awsmon.cli._common import group

app = group("metrics", "CloudWatch metrics: put custom metrics, list them, get statistics and metric math, graph them in the terminal.")
