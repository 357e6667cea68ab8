#!/usr/bin/env python3
"""Synthetic CloudTrail logs in the real S3 layout, for the history-store benchmarks (1 M / 10 M records).

    python benchmarks/ct_generate.py /tmp/ct10m --records 10000000 [--per-file 2000] [--days 60] [--seed 1]

Writes ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<ts>_<rand>.json.gz``
(gzip level 6, ``{"Records": [...]}``) like a trail bucket, with a realistic mix: ~55 % management events (EC2/IAM/
STS/KMS/S3 bucket calls, console sign-ins, errors), ~43 % data events (S3 object calls, Lambda Invoke, DynamoDB),
~1.5 % network-activity events and a few Insights events; random UUID eventIDs and request ids (incompressible,
as in real logs), 400 users and roles, temporary keys per session. Deterministic for a seed; both cores are used.
Keep the output in /tmp, never in the repository.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

ACCOUNTS = ["111122223333", "444455556666"]
REGIONS = ["us-east-1"] * 6 + ["us-west-2"] * 3 + ["eu-west-1"] * 2 + ["ap-southeast-2"]
MGMT = [
    ("ec2.amazonaws.com", "DescribeInstances", True), ("ec2.amazonaws.com", "DescribeSecurityGroups", True),
    ("ec2.amazonaws.com", "RunInstances", False), ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False),
    ("iam.amazonaws.com", "ListRoles", True), ("iam.amazonaws.com", "GetUser", True),
    ("iam.amazonaws.com", "CreateAccessKey", False), ("iam.amazonaws.com", "AttachRolePolicy", False),
    ("sts.amazonaws.com", "AssumeRole", True), ("sts.amazonaws.com", "GetCallerIdentity", True),
    ("kms.amazonaws.com", "Decrypt", True), ("kms.amazonaws.com", "GenerateDataKey", True),
    ("s3.amazonaws.com", "ListBuckets", True), ("s3.amazonaws.com", "GetBucketPolicy", True),
    ("s3.amazonaws.com", "PutBucketPolicy", False), ("cloudtrail.amazonaws.com", "LookupEvents", True),
    ("cloudtrail.amazonaws.com", "StopLogging", False), ("logs.amazonaws.com", "CreateLogStream", False),
    ("lambda.amazonaws.com", "ListFunctions20150331", True), ("monitoring.amazonaws.com", "PutMetricAlarm", False),
    ("signin.amazonaws.com", "ConsoleLogin", False), ("secretsmanager.amazonaws.com", "GetSecretValue", True),
]
MGMT_WEIGHTS = [20, 6, 1, 1, 4, 4, 0.3, 0.5, 8, 5, 10, 8, 3, 2, 0.3, 1, 0.05, 3, 2, 0.5, 0.4, 3]
DATA = [("s3.amazonaws.com", "GetObject", True, "AWS::S3::Object"), ("s3.amazonaws.com", "PutObject", False, "AWS::S3::Object"),
        ("lambda.amazonaws.com", "Invoke", False, "AWS::Lambda::Function"),
        ("dynamodb.amazonaws.com", "GetItem", True, "AWS::DynamoDB::Table")]
DATA_WEIGHTS = [10, 5, 3, 2]
AGENTS = ["aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22", "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 "
          "os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.2", "console.amazonaws.com", "AWS Internal",
          "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux api/ec2#1.150.0", "terraform/1.7.4"]
ERRORS = [("AccessDenied", "User is not authorized to perform this action"), ("ThrottlingException", "Rate exceeded"),
          ("Client.UnauthorizedOperation", "You are not authorized to perform this operation.")]


def _rid(rng: random.Random, n: int = 16) -> str:
    return base64.b32encode(rng.getrandbits(n * 5 + 8).to_bytes(n * 5 // 8 + 2, "big")).decode()[:n]


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.users = [f"user{i:03d}" for i in range(300)]
        self.roles = [f"role-{w}-{i}" for i in range(25) for w in ("app", "ci", "ops", "data")]
        self.keys = {u: "AKIA" + _rid(rng) for u in self.users}
        self.ips = [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                    for _ in range(3000)]
        self.buckets = [f"bucket-{i}" for i in range(40)]
        self.functions = [f"fn-{i}" for i in range(30)]
        self.instances = [f"i-{rng.getrandbits(60):017x}" for _ in range(500)]

    def identity(self, account: str) -> dict:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            u = rng.choice(self.users)
            return {"type": "IAMUser", "principalId": "AIDA" + _rid(rng, 17), "arn": f"arn:aws:iam::{account}:user/{u}",
                    "accountId": account, "accessKeyId": self.keys[u], "userName": u}
        if roll < 0.93:
            role = rng.choice(self.roles)
            session = rng.choice(["botocore-session-", "i-", "GitHubActions-"]) + str(rng.randint(1000, 99999))
            pid = "AROA" + _rid(rng, 17)
            return {"type": "AssumedRole", "principalId": f"{pid}:{session}",
                    "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}", "accountId": account,
                    "accessKeyId": "ASIA" + _rid(rng),
                    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": pid,
                                                         "arn": f"arn:aws:iam::{account}:role/{role}",
                                                         "accountId": account, "userName": role},
                                       "webIdFederationData": {},
                                       "attributes": {"creationDate": "2024-01-01T00:00:00Z", "mfaAuthenticated": "false"}}}
        if roll < 0.985:
            return {"type": "AWSService", "invokedBy": rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com"])}
        return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account,
                "accessKeyId": ""}

    def record(self, account: str, region: str, when: datetime) -> dict:
        rng = self.rng
        kind = rng.random()
        ident = self.identity(account)
        rec: dict = {"eventVersion": "1.09", "userIdentity": ident,
                     "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if kind < 0.43:
            source, name, ro, rtype = rng.choices(DATA, DATA_WEIGHTS)[0]
            if rtype == "AWS::S3::Object":
                b = rng.choice(self.buckets)
                key = f"data/{rng.randint(0, 99999)}/part-{rng.randint(0, 999):04d}.parquet"
                params = {"bucketName": b, "Host": f"{b}.s3.{region}.amazonaws.com", "key": key}
                resources = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{b}/{key}"},
                             {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}]
                extra = {"additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                                 "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                                 "bytesTransferredOut": rng.randint(100, 10**7)}}
            elif rtype == "AWS::Lambda::Function":
                fn = rng.choice(self.functions)
                arn = f"arn:aws:lambda:{region}:{account}:function:{fn}"
                params, resources, extra = {"functionName": arn}, [{"accountId": account, "type": rtype, "ARN": arn}], {}
            else:
                t = f"arn:aws:dynamodb:{region}:{account}:table/orders"
                params = {"tableName": "orders", "key": {"id": {"S": str(rng.randint(1, 10**6))}}}
                resources, extra = [{"accountId": account, "type": rtype, "ARN": t}], {}
            rec.update(eventSource=source, eventName=name, awsRegion=region, sourceIPAddress=rng.choice(self.ips),
                       userAgent=rng.choice(AGENTS), requestParameters=params, responseElements=None, **extra,
                       requestID=_rid(rng), eventID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       readOnly=ro, resources=resources, eventType="AwsApiCall", managementEvent=False,
                       recipientAccountId=account, eventCategory="Data")
            return rec
        if kind < 0.445:
            rec.update(eventSource="kms.amazonaws.com", eventName="Decrypt", awsRegion=region,
                       sourceIPAddress=rng.choice(self.ips), userAgent=rng.choice(AGENTS),
                       requestID=_rid(rng), eventID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       eventType="AwsVpceEvent", recipientAccountId=account, sharedEventID=str(uuid.uuid4()),
                       vpcEndpointId=f"vpce-{rng.getrandbits(40):010x}", vpcEndpointAccountId=account,
                       eventCategory="NetworkActivity")
            return rec
        source, name, ro = rng.choices(MGMT, MGMT_WEIGHTS)[0]
        params: dict | None = None
        resources = None
        response = None
        if source == "ec2.amazonaws.com":
            inst = rng.choice(self.instances)
            params = {"instancesSet": {"items": [{"instanceId": inst}]}, "filterSet": {}}
            resources = [{"accountId": account, "type": "AWS::EC2::Instance", "ARN": f"arn:aws:ec2:{region}:{account}:instance/{inst}"}]
        elif source == "s3.amazonaws.com":
            b = rng.choice(self.buckets)
            params = {"bucketName": b, "Host": f"{b}.s3.{region}.amazonaws.com", "policy": ""}
            resources = [{"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}]
        elif source == "sts.amazonaws.com" and name == "AssumeRole":
            role = rng.choice(self.roles)
            params = {"roleArn": f"arn:aws:iam::{account}:role/{role}", "roleSessionName": f"s-{rng.randint(1, 10**6)}",
                      "durationSeconds": 3600}
            response = {"credentials": {"accessKeyId": "ASIA" + _rid(rng), "sessionToken": _rid(rng, 64),
                                        "expiration": "Jan 1, 2025, 1:00:00 AM"},
                        "assumedRoleUser": {"assumedRoleId": "AROA" + _rid(rng, 17), "arn": f"arn:aws:sts::{account}:assumed-role/{role}/s"}}
            resources = [{"accountId": account, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{account}:role/{role}"}]
        elif source == "kms.amazonaws.com":
            params = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn": "x"}}
            resources = [{"accountId": account, "type": "AWS::KMS::Key",
                          "ARN": f"arn:aws:kms:{region}:{account}:key/{uuid.UUID(int=rng.getrandbits(7), version=4)}"}]
        elif source == "signin.amazonaws.com":
            response = {"ConsoleLogin": rng.choice(["Success", "Success", "Failure"])}
        elif name == "CreateLogStream":
            params = {"logGroupName": f"/aws/lambda/{rng.choice(self.functions)}", "logStreamName": _rid(rng, 32)}
        event_region = "us-east-1" if source in ("iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com") else region
        rec.update(eventSource=source, eventName=name, awsRegion=event_region, sourceIPAddress=rng.choice(self.ips),
                   userAgent=rng.choice(AGENTS), requestParameters=params, responseElements=response,
                   requestID=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                   eventID=str(uuid.UUID(int=rng.getrandbits(128), version=4)), readOnly=ro)
        if rng.random() < 0.04:
            code, msg = rng.choice(ERRORS)
            rec.update(errorCode=code, errorMessage=msg, responseElements=None)
        if resources:
            rec["resources"] = resources
        rec.update(eventType="AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall", managementEvent=True,
                   recipientAccountId=account, eventCategory="Management",
                   tlsDetails={"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                               "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com"})
        return rec

    def insight(self, account: str, region: str, when: datetime) -> dict:
        return {"eventVersion": "1.08", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "awsRegion": region,
                "eventID": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), "eventType": "AwsCloudTrailInsight",
                "recipientAccountId": account, "sharedEventID": str(uuid.uuid4()),
                "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                                   "insightType": "ApiCallRateInsight",
                                   "insightContext": {"statistics": {"baseline": {"average": 0.01},
                                                                     "insight": {"average": 5.2}}}},
                "eventCategory": "Insight"}


def _chunk(args: tuple[str, int, int, int, int, int, int]) -> int:
    out, seed, first_file, n_files, total_files, per_file, days = args
    gen = Gen(seed * 1_000_003 + first_file)
    rng = gen.rng
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = days * 86400
    written = 0
    for f in range(first_file, first_file + n_files):
        account = ACCOUNTS[f % len(ACCOUNTS)]
        region = REGIONS[f % len(REGIONS)]
        # Files are delivered every ~5 minutes; records inside spread over the preceding 5-15 minutes, unordered.
        base = start + timedelta(seconds=(f * span) // total_files)
        recs = [gen.record(account, region, base + timedelta(seconds=rng.randint(0, 900))) for _ in range(per_file)]
        if f % 97 == 0:
            recs.append(gen.insight(account, region, base))
        rng.shuffle(recs)
        delivered = base + timedelta(minutes=15)
        folder = os.path.join(out, "AWSLogs", account, "CloudTrail", region, delivered.strftime("%Y/%m/%d"))
        os.makedirs(folder, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_{delivered.strftime('%Y%m%dT%H%MZ')}_{_rid(rng)}.json.gz"
        with gzip.open(os.path.join(folder, name), "wb", compresslevel=6) as fh:
            fh.write(_dumps({"Records": recs}))
        written += len(recs)
    return written


def _dumps(doc: dict) -> bytes:
    try:
        import orjson

        return orjson.dumps(doc)
    except ImportError:
        return json.dumps(doc, separators=(",", ":")).encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=2000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    n_files = max(1, a.records // a.per_file)
    step = max(1, n_files // (a.jobs * 8))
    tasks = [(a.out, a.seed, f, min(step, n_files - f), n_files, a.per_file, a.days) for f in range(0, n_files, step)]
    with ProcessPoolExecutor(a.jobs) as pool:
        total = sum(pool.map(_chunk, tasks))
    print(f"{total} records in {n_files} files under {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
