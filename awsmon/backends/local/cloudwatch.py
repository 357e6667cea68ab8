"""The local CloudWatch service (``monitoring.amazonaws.com``): metrics, alarms and dashboards in one boto3 client."""

from __future__ import annotations

from awsmon.backends.local.base import LocalService
from awsmon.backends.local.cloudwatch_alarms import AlarmsMixin
from awsmon.backends.local.cloudwatch_anomaly import AnomalyDetectorsMixin
from awsmon.backends.local.cloudwatch_dashboards import DashboardsMixin
from awsmon.backends.local.cloudwatch_metrics import MetricsMixin


class LocalCloudWatch(AnomalyDetectorsMixin, DashboardsMixin, MetricsMixin, AlarmsMixin, LocalService):
    service_name = "cloudwatch"
    event_source = "monitoring.amazonaws.com"
