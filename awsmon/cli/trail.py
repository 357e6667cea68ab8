"""awsmon trail: CloudTrail: event history lookup, trails and delivery, log-file integrity (validate-digest), import of real logs."""

from __future__ import annotations

from awsmon.cli._common import group

app = group("trail", "CloudTrail: event history lookup, trails and delivery, log-file integrity (validate-digest), import of real logs.")
