"""Schema migrations of the local account database, one list per component.

Each component keeps its own ordered list of SQL scripts in its own module (``MIGRATIONS``); the database stores the
number applied per component in ``schema_versions``. A database whose version for a component is higher than the
list here was written by a newer awsmon and is refused (exit 4) rather than touched.
"""

from __future__ import annotations

import importlib

# component name -> module holding MIGRATIONS; "core" must stay first.
COMPONENTS: dict[str, str] = {
    "core": "awsmon.backends.local.schema.core",
    "cloudtrail": "awsmon.backends.local.schema.cloudtrail",
    "logs": "awsmon.backends.local.schema.logs",
    "metrics": "awsmon.backends.local.schema.metrics",
    "alarms": "awsmon.backends.local.schema.alarms",
    "config": "awsmon.backends.local.schema.config",
    "events": "awsmon.backends.local.schema.events",
    "ec2": "awsmon.backends.local.schema.ec2",
    "s3": "awsmon.backends.local.schema.s3",
    "iam": "awsmon.backends.local.schema.iam",
    "dynamodb": "awsmon.backends.local.schema.dynamodb",
    "lambda": "awsmon.backends.local.schema.lambda_",
    "sqs": "awsmon.backends.local.schema.sqs",
    "schemas": "awsmon.backends.local.schema.schemas",
    "history": "awsmon.backends.local.schema.history",
    "logs_insights": "awsmon.backends.local.schema.logs_insights",
    "dashboards": "awsmon.backends.local.schema.dashboards",
    "anomaly": "awsmon.backends.local.schema.anomaly",
    "kinesis": "awsmon.backends.local.schema.kinesis",
    "firehose": "awsmon.backends.local.schema.firehose",
    "usage": "awsmon.backends.local.schema.usage",
    "synthetics": "awsmon.backends.local.schema.synthetics",
}


def migrations(component: str) -> list[str]:
    module = importlib.import_module(COMPONENTS[component])
    return list(module.MIGRATIONS)
