"""awsmon demo --lab NAME: the course's monitoring labs, each reproduced end to end on a fresh local account.

Each lab runs in its own local account of the home folder (``LAB_ACCOUNTS``; reset at every run, so a run is
always the same), with the clock pinned at ``LAB_CLOCK`` and moved forward only by the lab itself. It calls the
same operations the lab's steps make on AWS (through ``ctx.client``), and returns what happened, the checks it
made (each consequence the lab is about), and the commands to look at the result. The sample files a lab needs
ship inside the package (``awsmon/samples/labs/``).
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import AwsmonError, UsageError

LAB_CLOCK = "2026-11-20T12:00:00Z"
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "labs"
REGION = "us-east-1"
AMI = "ami-0abcdef1234567890"
CONFIRMATION_SUBJECT = "AWS Notification - Subscription Confirmation"  # the subject of SNS confirmation messages


@dataclass
class Lab:
    """One lab run: the context of its account, what happened, what to look at, and checks."""

    name: str
    ctx: AppContext
    account: str
    happened: list[str] = field(default_factory=list)
    look_next: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)

    def said(self, text: str) -> None:
        self.happened.append(f"[{self.now():%H:%M:%S}] {text}")

    def next(self, command: str, why: str) -> None:
        self.look_next.append(f"awsmon --account {self.account} {command}   # {why}")

    def now(self) -> datetime:
        return self.ctx.store().now()

    def advance(self, minutes: float) -> None:
        """Move the simulated clock forward; the work that falls due (transitions, deliveries, alarms) runs."""
        self.ctx.store().advance_clock(timedelta(minutes=minutes))
        self.ctx.run_catch_up()

    def client(self, service: str) -> Any:
        return self.ctx.client(service)

    def workdir(self) -> Path:
        path = Path(self.ctx.store().dir) / "lab"
        path.mkdir(parents=True, exist_ok=True)
        return path


# -- shared steps -------------------------------------------------------------------------------------------------
def _topic(lab: Lab, name: str, email: str = "ops@example.com", sms: str | None = None) -> str:
    sns = lab.client("sns")
    arn = sns.create_topic(Name=name)["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email, ReturnSubscriptionArn=True)["SubscriptionArn"]
    # The tutorial's reader clicks the link of the confirmation mail: confirm with the token found in the outbox.
    confirm = [r for r in _deliveries(lab, arn, confirmations=True) if r.get("SubscriptionArn") == sub][-1]
    sns.confirm_subscription(TopicArn=arn, Token=json.loads(confirm["Body"])["Token"])
    subs = f"email {email} (confirmed)"
    if sms:
        sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint=sms)
        subs += f" and SMS {sms}"
    lab.said(f"SNS topic {name} with subscriptions: {subs}")
    return str(arn)


def _deliveries(lab: Lab, topic_arn: str, confirmations: bool = False) -> list[dict[str, Any]]:
    """The topic's notifications (and, if asked, only its subscription confirmation messages), oldest first."""
    items = lab.client("sns").list_deliveries(TopicArn=topic_arn)
    rows = items.get("Deliveries") or items.get("Items") or []
    rows = [r for r in rows if (r.get("Subject") == CONFIRMATION_SUBJECT) == confirmations]
    return sorted(rows, key=lambda r: r.get("Seq", 0))


def _run_instance(lab: Lab, **extra: Any) -> str:
    res = lab.client("ec2").run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, **extra)
    iid = str(res["Instances"][0]["InstanceId"])
    lab.said(f"run-instances: {iid} (t3.micro) is pending")
    lab.advance(1)
    lab.said(f"{iid} is {_state(lab, iid)}")
    return iid


def _state(lab: Lab, iid: str) -> str:
    res = lab.client("ec2").describe_instances(InstanceIds=[iid])
    return str(res["Reservations"][0]["Instances"][0]["State"]["Name"])


def _zip_dir(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(2026, 11, 20, 12, 0, 0))
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())  # fixed dates: the same package, the same CodeSha256
    return buf.getvalue()


# -- the labs -------------------------------------------------------------------------------------------------------
def lab_ec2_stopped_sns(lab: Lab) -> None:
    """Email and SMS when an EC2 instance stops: an EventBridge rule on EC2 state changes -> SNS (three variants)."""
    topic = _topic(lab, "ec2-state-alerts", sms="+15555550100")
    iid = _run_instance(lab)
    events = lab.client("events")
    pattern = json.dumps({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
                          "detail": {"state": ["stopped"]}})  # fmt: skip
    template = '"The EC2 instance <instance> has changed state to <state>."'
    variants = {
        "ec2-stopped-full": {"Id": "sns", "Arn": topic},
        "ec2-stopped-detail": {"Id": "sns", "Arn": topic, "InputPath": "$.detail"},
        "ec2-stopped-formatted": {"Id": "sns", "Arn": topic, "InputTransformer": {
            "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state"},
            "InputTemplate": template}},
    }  # fmt: skip
    for rule, target in variants.items():
        events.put_rule(Name=rule, EventPattern=pattern)
        events.put_targets(Rule=rule, Targets=[target])
    lab.said("EventBridge rules on 'EC2 Instance State-change Notification' with state stopped -> the topic: "
             "ec2-stopped-full (the whole event), ec2-stopped-detail (InputPath $.detail), "
             "ec2-stopped-formatted (an input transformer)")  # fmt: skip
    lab.client("ec2").stop_instances(InstanceIds=[iid])
    lab.said(f"stop-instances {iid}: stopping")
    lab.advance(1)
    lab.said(f"{iid} is {_state(lab, iid)}; the stopped event matched the three rules")
    outbox = _deliveries(lab, topic)
    messages = {(d["Protocol"], d["Message"]) for d in outbox}
    lab.checks.update({
        "InstanceId": iid,
        "State": _state(lab, iid),
        "Deliveries": len(outbox),
        "Protocols": sorted({p for p, _ in messages}),
        "Messages": sorted({m for _, m in messages}),
    })  # fmt: skip
    lab.said(f"{len(outbox)} notifications in the outbox (3 rules x email and SMS)")
    lab.next("alarms topics deliveries --topic ec2-state-alerts -o json", "the email and SMS notifications")
    lab.next("rules deliveries", "what each rule delivered, after InputPath and the input transformer")
    lab.next("trail lookup --lookup-attributes EventName=StopInstances", "the StopInstances call in CloudTrail")


def lab_ec2_custom_logs(lab: Lab) -> None:
    """The CloudWatch Logs agent ships an instance's /var/log/messages into group /var/log/messages."""
    from awsmon.services.logs_push import push

    iid = _run_instance(lab)
    sample = SAMPLES / "messages"
    work = lab.workdir()
    conf = work / "awslogs.conf"
    conf.write_text(
        "[general]\n"
        f"state_file = {work / 'agent-state'}\n\n"
        "[/var/log/messages]\n"
        "datetime_format = %b %d %H:%M:%S\n"
        f"file = {sample}\n"
        "buffer_duration = 5000\n"
        "log_stream_name = {instance_id}\n"
        "initial_position = start_of_file\n"
        "log_group_name = /var/log/messages\n"
        "time_zone = UTC\n",
        encoding="utf-8",
    )
    lab.said(f"agent configuration {conf}: [/var/log/messages] -> group /var/log/messages, stream {{instance_id}}")
    result = push(lab.ctx, files=[], agent_config=str(conf), instance_id=iid)
    shipped = result["Files"][0]
    lab.said(f"logs push --agent-config: {shipped['Events']} events from {sample.name} in {shipped['Batches']} batch(es)")
    again = push(lab.ctx, files=[], agent_config=str(conf), instance_id=iid)["Files"][0]
    lab.said(f"the agent restarted: {again['Events']} new events (its state file remembers the position)")
    events = lab.client("logs").get_log_events(logGroupName="/var/log/messages", logStreamName=iid,
                                               startFromHead=True)["events"]  # fmt: skip
    lab.checks.update({"InstanceId": iid, "Events": len(events), "Shipped": shipped["Events"],
                       "ResentAfterRestart": again["Events"], "FirstMessage": events[0]["message"] if events else None,
                       "FirstTimestamp": events[0]["timestamp"] if events else None,
                       "MultiLine": [e["message"] for e in events if "\n" in e["message"]]})  # fmt: skip
    lab.next(f"logs tail /var/log/messages --log-stream-names {iid} --since 1d", "the shipped lines")
    lab.next("logs filter --group /var/log/messages --pattern sshd", "search them with a filter pattern")


def lab_s3_access_alerts(lab: Lab) -> None:
    """S3 data events -> CloudTrail -> CloudWatch Logs -> metric filter -> alarm (3 of 3) -> SNS."""
    acct = lab.account
    data_bucket, trail_bucket = f"lab-data-{acct}", f"lab-cloudtrail-{acct}"
    group = "CloudTrail/DefaultLogGroup"
    s3 = lab.client("s3")
    s3.create_bucket(Bucket=data_bucket)
    from awsmon.services.trail import new_trail_bucket

    new_trail_bucket(lab.ctx, trail_bucket)  # with CloudTrail's bucket policy, which CreateTrail checks
    lab.client("logs").create_log_group(logGroupName=group)
    ct = lab.client("cloudtrail")
    ct.create_trail(Name="lab-trail", S3BucketName=trail_bucket,
                    CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{acct}:log-group:{group}:*",
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{acct}:role/CloudTrail_CloudWatchLogs_Role")  # fmt: skip
    ct.put_event_selectors(TrailName="lab-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{data_bucket}/"]}]}])  # fmt: skip
    ct.start_logging(Name="lab-trail")
    lab.said(f"buckets {data_bucket} and {trail_bucket}; trail lab-trail logs S3 data events of {data_bucket} "
             f"to {trail_bucket} and to the log group {group}")  # fmt: skip
    pattern = ("{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutObject) || "
               "($.eventName = GetObject)) }")  # fmt: skip
    lab.client("logs").put_metric_filter(
        logGroupName=group, filterName="S3ObjectAccess", filterPattern=pattern,
        metricTransformations=[{"metricName": "S3ObjectAccessCount", "metricNamespace": "CloudTrailMetrics",
                                "metricValue": "1"}],
    )  # fmt: skip
    lab.said(f"metric filter S3ObjectAccess on {group}: {pattern} -> CloudTrailMetrics/S3ObjectAccessCount")
    topic = _topic(lab, "s3-access-alerts")
    lab.client("cloudwatch").put_metric_alarm(
        AlarmName="s3-object-access", Namespace="CloudTrailMetrics", MetricName="S3ObjectAccessCount",
        Statistic="Sum", Period=300, EvaluationPeriods=3, DatapointsToAlarm=3, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching", AlarmActions=[topic],
    )  # fmt: skip
    lab.said("alarm s3-object-access: Sum of S3ObjectAccessCount >= 1 in 3 of 3 periods of 5 minutes -> the topic")
    for i in range(3):
        key = f"uploads/report-{i + 1}.csv"
        s3.put_object(Bucket=data_bucket, Key=key, Body=f"id,value\n{i},42\n".encode())
        s3.get_object(Bucket=data_bucket, Key=key)
        lab.said(f"PutObject and GetObject s3://{data_bucket}/{key}")
        lab.advance(5)
    lab.advance(10)  # the trail delivers every 5 minutes; the alarm evaluates each minute
    alarm = lab.client("cloudwatch").describe_alarms(AlarmNames=["s3-object-access"])["MetricAlarms"][0]
    lab.said(f"alarm s3-object-access is {alarm['StateValue']}: {alarm['StateReason']}")
    outbox = _deliveries(lab, topic)
    lab.checks.update({"AlarmState": alarm["StateValue"], "Notifications": len(outbox),
                       "Subjects": [d.get("Subject") for d in outbox]})  # fmt: skip
    lab.next(f"logs filter --group {group} --pattern '{pattern}'", "the S3 data events in CloudWatch Logs")
    lab.next("alarms history --alarm-name s3-object-access", "the alarm's state changes and its SNS action")
    lab.next("alarms topics deliveries --topic s3-access-alerts -o json", "the email notification")


def lab_lambda_cli(lab: Lab) -> None:
    """Create and invoke a Lambda function from the command line; read its logs and metrics."""
    acct = lab.account
    package = _zip_dir(SAMPLES / "lambda_cli")
    work = lab.workdir()
    (work / "function.zip").write_bytes(package)
    lam = lab.client("lambda")
    lam.create_function(FunctionName="lab-hello", Runtime="python3.12", Handler="lambda_function.lambda_handler",
                        Role=f"arn:aws:iam::{acct}:role/lab-lambda-role", Code={"ZipFile": package},
                        Timeout=10, Environment={"Variables": {"GREETING": "Hello"}})  # fmt: skip
    lab.said("create-function lab-hello (python3.12, handler lambda_function.lambda_handler, timeout 10 s) from function.zip")
    ok = lam.invoke(FunctionName="lab-hello", Payload=json.dumps({"name": "SysOps"}).encode())
    body = json.loads(ok["Payload"])
    lab.said(f"invoke lab-hello {{\"name\": \"SysOps\"}} -> {json.dumps(body)}")
    bad = lam.invoke(FunctionName="lab-hello", Payload=json.dumps({"name": ""}).encode())
    err = json.loads(bad["Payload"])
    lab.said(f"invoke lab-hello {{\"name\": \"\"}} -> FunctionError {bad.get('FunctionError')}: "
             f"{err.get('errorType')}: {err.get('errorMessage')}")  # fmt: skip
    lab.advance(1)
    logs = lab.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/lab-hello")["logStreams"]
    messages = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/lab-hello")["events"]]
    reports = [m for m in messages if m.startswith("REPORT ")]
    lab.said(f"/aws/lambda/lab-hello: {len(streams)} log streams, {len(reports)} REPORT lines")
    cw = lab.client("cloudwatch")
    start, end = datetime(2026, 11, 20, 11, 0, tzinfo=UTC), datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    sums = {}
    for metric in ("Invocations", "Errors"):
        points = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName=metric, Statistics=["Sum"], Period=3600,
                                          Dimensions=[{"Name": "FunctionName", "Value": "lab-hello"}],
                                          StartTime=start, EndTime=end)["Datapoints"]  # fmt: skip
        sums[metric] = sum(p["Sum"] for p in points)
    lab.said(f"AWS/Lambda: Invocations {sums['Invocations']:g}, Errors {sums['Errors']:g}")
    lab.checks.update({"Response": body, "FunctionError": bad.get("FunctionError"), "ErrorType": err.get("errorType"),
                       "Streams": len(streams), "Reports": len(reports), "Metrics": sums,
                       "LoggedInfo": [m for m in messages if m.startswith("[INFO]")]})  # fmt: skip
    lab.next("lambda invoke --function-name lab-hello --payload '{\"name\": \"you\"}' response.json",
             "invoke it again; the response is in response.json")  # fmt: skip
    lab.next("logs tail /aws/lambda/lab-hello --since 1d", "START/END/REPORT lines, prints and the error")
    lab.next("metrics get --namespace AWS/Lambda --metric-name Invocations --dimensions FunctionName=lab-hello "
             "--statistics Sum --period 60 --start 1h", "the function's metrics")  # fmt: skip


def lab_dynamodb_delete_alert(lab: Lab) -> None:
    """An EventBridge rule on the CloudTrail API call DeleteTable -> SNS."""
    acct = lab.account
    _require_service(lab, "dynamodb", "DynamoDB")
    from awsmon.services.trail import new_trail_bucket

    new_trail_bucket(lab.ctx, f"lab-cloudtrail-{acct}")
    lab.client("cloudtrail").create_trail(Name="lab-trail", S3BucketName=f"lab-cloudtrail-{acct}")
    lab.client("cloudtrail").start_logging(Name="lab-trail")
    lab.said("trail lab-trail logs management events (EventBridge receives 'AWS API Call via CloudTrail' events)")
    topic = _topic(lab, "dynamodb-alerts")
    ddb = lab.client("dynamodb")
    ddb.create_table(TableName="Orders", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")  # fmt: skip
    lab.said("create-table Orders")
    events = lab.client("events")
    events.put_rule(Name="dynamodb-delete-table", EventPattern=json.dumps({
        "source": ["aws.dynamodb"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["dynamodb.amazonaws.com"], "eventName": ["DeleteTable"]}}))  # fmt: skip
    events.put_targets(Rule="dynamodb-delete-table", Targets=[{"Id": "sns", "Arn": topic}])
    lab.said("EventBridge rule dynamodb-delete-table: AWS API Call via CloudTrail, eventName DeleteTable -> topic")
    lab.advance(1)
    ddb.delete_table(TableName="Orders")
    lab.said("delete-table Orders")
    lab.advance(1)
    outbox = _deliveries(lab, topic)
    details = [json.loads(d["Message"]).get("detail", {}) for d in outbox]
    lab.checks.update({"Notifications": len(outbox), "EventNames": [d.get("eventName") for d in details],
                       "Tables": [(d.get("requestParameters") or {}).get("tableName") for d in details]})  # fmt: skip
    lab.said(f"{len(outbox)} notification(s) in the outbox: the DeleteTable call")
    lab.next("alarms topics deliveries --topic dynamodb-alerts -o json", "the notification: the CloudTrail event")
    lab.next("trail lookup --lookup-attributes EventName=DeleteTable", "the call in CloudTrail")


def lab_ec2_recover(lab: Lab) -> None:
    """A StatusCheckFailed_System alarm with the EC2 recover action."""
    iid = _run_instance(lab)
    topic = _topic(lab, "ec2-recovery")
    lab.client("cloudwatch").put_metric_alarm(
        AlarmName=f"recover-{iid}", Namespace="AWS/EC2", MetricName="StatusCheckFailed_System", Statistic="Maximum",
        Dimensions=[{"Name": "InstanceId", "Value": iid}], Period=60, EvaluationPeriods=2, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[f"arn:aws:automate:{REGION}:ec2:recover", topic],
    )  # fmt: skip
    lab.said(f"alarm recover-{iid}: StatusCheckFailed_System >= 1 for 2 minutes -> recover the instance, notify")
    lab.advance(2)
    lab.client("ec2").set_instance_health(InstanceId=iid, System=True)
    lab.said(f"the host of {iid} fails: its system status check fails (ec2 set-instance-health)")
    lab.advance(5)
    alarm = lab.client("cloudwatch").describe_alarms(AlarmNames=[f"recover-{iid}"])["MetricAlarms"][0]
    history = lab.client("cloudwatch").describe_alarm_history(AlarmName=f"recover-{iid}", HistoryItemType="Action")
    actions = [h["HistorySummary"] for h in history.get("AlarmHistoryItems") or []]
    lab.said(f"alarm recover-{iid}: {alarm['StateValue']}; actions: " + "; ".join(actions))
    inst = lab.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    lab.checks.update({"InstanceId": iid, "AlarmState": alarm["StateValue"], "Actions": actions,
                       "State": inst["State"]["Name"], "Notifications": len(_deliveries(lab, topic))})  # fmt: skip
    lab.said(f"{iid} is {inst['State']['Name']} on healthy hardware (same instance id)")
    lab.next(f"alarms history --alarm-name recover-{iid}", "the state change and the recover action")
    lab.next(f"metrics get --namespace AWS/EC2 --metric-name StatusCheckFailed_System --dimensions InstanceId={iid} "
             "--statistics Maximum --period 60 --start 1h", "the failed checks")  # fmt: skip


def lab_config_compliance(lab: Lab) -> None:
    """An open security group and a public bucket turn managed rules NON_COMPLIANT; fixing them, COMPLIANT."""
    acct = lab.account
    config = lab.client("config")
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{acct}:role/config-role",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})  # fmt: skip
    lab.client("s3").create_bucket(Bucket=f"lab-config-{acct}")
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"lab-config-{acct}"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    for rule, ident in (("restricted-ssh", "INCOMING_SSH_DISABLED"),
                        ("s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED")):  # fmt: skip
        config.put_config_rule(ConfigRule={"ConfigRuleName": rule, "Source": {"Owner": "AWS", "SourceIdentifier": ident}})
    lab.said("Config recorder on; managed rules restricted-ssh (INCOMING_SSH_DISABLED) and "
             "s3-bucket-public-read-prohibited")  # fmt: skip
    ec2 = lab.client("ec2")
    gid = ec2.create_security_group(GroupName="lab-web", Description="lab web servers")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])  # fmt: skip
    bucket = f"lab-public-{acct}"
    lab.client("s3").create_bucket(Bucket=bucket)
    lab.client("s3").delete_public_access_block(Bucket=bucket)  # new buckets block public ACLs, as on AWS
    lab.client("s3").put_bucket_acl(Bucket=bucket, ACL="public-read")
    lab.said(f"security group {gid} opens 22/tcp to 0.0.0.0/0; bucket {bucket}: Block Public Access removed, "
             "ACL public-read")
    lab.advance(1)
    before = _compliance(lab)
    offenders = _non_compliant(lab)
    lab.said("compliance: " + ", ".join(f"{k} {v}" for k, v in sorted(before.items())))
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])  # fmt: skip
    lab.client("s3").put_bucket_acl(Bucket=bucket, ACL="private")
    lab.said(f"fixed: the 0.0.0.0/0:22 rule revoked; {bucket} is private")
    lab.advance(1)
    after = _compliance(lab)
    lab.said("compliance: " + ", ".join(f"{k} {v}" for k, v in sorted(after.items())))
    lab.checks.update({"Before": before, "After": after, "GroupId": gid, "Bucket": bucket,
                       "NonCompliantBefore": offenders, "NonCompliantAfter": _non_compliant(lab)})  # fmt: skip
    lab.next("config describe-compliance", "compliance by rule")
    lab.next("config get-compliance-details --config-rule-name restricted-ssh", "each security group's result")
    lab.next(f"config history --resource-type AWS::EC2::SecurityGroup --resource-id {gid}", "the group's history")


def _compliance(lab: Lab) -> dict[str, str]:
    res = lab.client("config").describe_compliance_by_config_rule()
    return {r["ConfigRuleName"]: r["Compliance"]["ComplianceType"] for r in res.get("ComplianceByConfigRules") or []}


def _non_compliant(lab: Lab) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rule in ("restricted-ssh", "s3-bucket-public-read-prohibited"):
        res = lab.client("config").get_compliance_details_by_config_rule(ConfigRuleName=rule,
                                                                           ComplianceTypes=["NON_COMPLIANT"])  # fmt: skip
        out[rule] = sorted(r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]
                           for r in res.get("EvaluationResults") or [])  # fmt: skip
    return out


def _require_service(lab: Lab, service: str, label: str) -> None:
    try:
        lab.client(service)
    except (KeyError, ModuleNotFoundError):
        raise UsageError(f"lab {lab.name} needs the local {label} service, which this awsmon does not have") from None


LABS: dict[str, tuple[str, Callable[[Lab], None]]] = {
    "ec2-stopped-sns": ("EventBridge rule on EC2 state change -> SNS email and SMS (3 input variants)", lab_ec2_stopped_sns),
    "ec2-custom-logs": ("The CloudWatch Logs agent ships /var/log/messages (stream = instance id)", lab_ec2_custom_logs),
    "s3-access-alerts": ("S3 data events -> CloudTrail -> Logs metric filter -> alarm 3 of 3 -> SNS", lab_s3_access_alerts),
    "lambda-cli": ("Create and invoke a Lambda function from the CLI; its logs and metrics", lab_lambda_cli),
    "dynamodb-delete-alert": ("EventBridge rule on the CloudTrail API call DeleteTable -> SNS", lab_dynamodb_delete_alert),
    "ec2-recover": ("StatusCheckFailed_System alarm with the EC2 recover action", lab_ec2_recover),
    "config-compliance": ("Open SSH and a public bucket: Config rules NON_COMPLIANT, then COMPLIANT", lab_config_compliance),
}  # fmt: skip
# One account per lab, always the same (reset at each run): labs never touch the user's own accounts.
LAB_ACCOUNTS: dict[str, str] = {name: f"1000000000{i + 1:02d}" for i, name in enumerate(LABS)}


def list_labs() -> dict[str, Any]:
    return {"Labs": [{"Name": name, "Account": LAB_ACCOUNTS[name], "Description": desc}
                     for name, (desc, _fn) in LABS.items()]}  # fmt: skip


def run_lab(ctx: AppContext, name: str) -> dict[str, Any]:
    """Run one lab on its own fresh account (same home folder) and return what happened and what to look at."""
    if not ctx.is_local:
        raise UsageError("awsmon demo --lab runs on a local simulated account: use --backend local")
    if name not in LABS:
        raise UsageError(f"unknown lab {name!r}: choose one of {', '.join(LABS)} (awsmon demo --list)")
    from awsmon.backends.local.store import AccountStore

    started = time.perf_counter()
    account = LAB_ACCOUNTS[name]
    home = ctx.home_obj()
    if home.exists(account):
        _reset(home, account)
    with AccountStore.open(home, account, create=True, region=REGION) as store:
        store.set_clock(datetime.fromisoformat(LAB_CLOCK.replace("Z", "+00:00")))
    lab_ctx = AppContext.create(backend="local", home=str(home.root), account=account, region=REGION, output="json")
    lab = Lab(name, lab_ctx, account)
    try:
        LABS[name][1](lab)
        clock = lab.now()
    except AwsmonError:
        raise
    finally:
        lab_ctx.close()
    return {
        "Lab": name,
        "Description": LABS[name][0],
        "AccountId": account,
        "Clock": clock,
        "Happened": lab.happened,
        "LookNext": lab.look_next,
        "Checks": lab.checks,
        "Seconds": round(time.perf_counter() - started, 2),
    }


def _reset(home: Any, account: str) -> None:
    import os
    import shutil

    adir = home.account_dir(account)
    trash = adir.with_name(f".trash-{account}-{os.getpid()}-{int(time.time() * 1000)}")
    os.replace(adir, trash)
    shutil.rmtree(trash, ignore_errors=True)
