"""The local backend: simulated AWS services over one account store."""

from __future__ import annotations

import importlib
from typing import Any

from awsmon.backends.local.store import AccountStore

# boto3 client name -> "module:class" of its local implementation (imported on first use).
SERVICES: dict[str, str] = {
    "cloudtrail": "awsmon.backends.local.cloudtrail:LocalCloudTrail",
    "logs": "awsmon.backends.local.logs:LocalLogs",
    "cloudwatch": "awsmon.backends.local.cloudwatch:LocalCloudWatch",
    "sns": "awsmon.backends.local.sns:LocalSNS",
    "config": "awsmon.backends.local.config:LocalConfig",
    "events": "awsmon.backends.local.events:LocalEvents",
    "ec2": "awsmon.backends.local.ec2:LocalEC2",
    "s3": "awsmon.backends.local.s3:LocalS3",
    "iam": "awsmon.backends.local.iam:LocalIAM",
    "dynamodb": "awsmon.backends.local.dynamodb:LocalDynamoDB",
    "lambda": "awsmon.backends.local.lambda_:LocalLambda",
    "sqs": "awsmon.backends.local.sqs:LocalSQS",
    "schemas": "awsmon.backends.local.schemas:LocalSchemas",
    "service-quotas": "awsmon.backends.local.service_quotas:LocalServiceQuotas",
    "kinesis": "awsmon.backends.local.kinesis:LocalKinesis",
    "firehose": "awsmon.backends.local.firehose:LocalFirehose",
    "synthetics": "awsmon.backends.local.synthetics:LocalSynthetics",
}


class LocalBackend:
    name = "local"

    def __init__(self, store: AccountStore, region: str) -> None:
        self.store = store
        self.region = region
        self.account_id: str | None = store.account_id
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.region
        key = (service, region)
        if key not in self._clients:
            target = SERVICES.get(service)
            if target is None:
                raise KeyError(f"the local backend has no {service} service")
            module, _, cls = target.partition(":")
            self._clients[key] = getattr(importlib.import_module(module), cls)(self.store, region)
        return self._clients[key]

    def close(self) -> None:
        self.store.close()
