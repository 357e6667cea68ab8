"""Simulated EC2: instance states on the simulated clock, security groups, and every consequence (CloudTrail,
state-change events on EventBridge, AWS/EC2 metrics, alarm EC2 actions, Config items)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Cli

AMI = "ami-0123456789abcdef0"
ACCT = "123456789012"


def _run(cli: Cli, *args: str) -> list[str]:
    res = cli.json("ec2", "run-instances", "--image-id", AMI, *args)
    return [i["InstanceId"] for i in res["Instances"]]


def _instances(cli: Cli, *ids: str) -> dict[str, dict[str, Any]]:
    args = ["--instance-ids", *ids] if ids else []
    data = cli.json("ec2", "describe-instances", *args)
    return {i["InstanceId"]: i for r in data["Reservations"] for i in r["Instances"]}


def _state(cli: Cli, iid: str) -> str:
    return str(_instances(cli, iid)[iid]["State"]["Name"])


def test_run_instances_shape_and_pending_to_running(pinned: Cli) -> None:
    res = pinned.json("ec2", "run-instances", "--image-id", AMI, "--instance-type", "t3.micro", "--count", "2")
    assert res["OwnerId"] == ACCT and re.fullmatch(r"r-[0-9a-f]{17}", res["ReservationId"])
    ids = [i["InstanceId"] for i in res["Instances"]]
    assert len(ids) == 2 and all(re.fullmatch(r"i-[0-9a-f]{17}", i) for i in ids)
    first = res["Instances"][0]
    assert first["State"] == {"Code": 0, "Name": "pending"}
    assert first["InstanceType"] == "t3.micro" and first["ImageId"] == AMI
    assert first["Monitoring"] == {"State": "disabled"}
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", first["PublicIpAddress"])
    assert first["PrivateIpAddress"].startswith("172.31.") and first["VpcId"].startswith("vpc-")
    assert first["SecurityGroups"][0]["GroupName"] == "default"
    pinned.ok("account", "clock", "advance", "10s")
    assert _state(pinned, ids[0]) == "pending"
    pinned.ok("account", "clock", "advance", "10s")
    assert {i["State"]["Code"] for i in _instances(pinned).values()} == {16}


def test_stop_start_terminate_transitions_and_visibility(pinned: Cli) -> None:
    (iid,) = _run(pinned)
    res = pinned("ec2", "stop-instances", "--instance-ids", iid)
    assert res.exit_code == 1 and "IncorrectInstanceState" in res.stderr and "never reached the 'running' state" in res.stderr
    pinned.ok("account", "clock", "advance", "1m")
    out = pinned.json("ec2", "stop-instances", "--instance-ids", iid)["StoppingInstances"][0]
    assert out["PreviousState"] == {"Code": 16, "Name": "running"} and out["CurrentState"] == {"Code": 64, "Name": "stopping"}
    pinned.ok("account", "clock", "advance", "31s")
    inst = _instances(pinned, iid)[iid]
    assert inst["State"]["Name"] == "stopped" and "PublicIpAddress" not in inst
    assert inst["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert inst["StateTransitionReason"].startswith("User initiated (2026-11-20 12:01:00 GMT)")
    started = pinned.json("ec2", "start-instances", "--instance-ids", iid)["StartingInstances"][0]
    assert started["CurrentState"]["Name"] == "pending"
    pinned.ok("account", "clock", "advance", "20s")
    assert _state(pinned, iid) == "running" and _instances(pinned, iid)[iid]["PublicIpAddress"]
    pinned.ok("ec2", "terminate-instances", "--instance-ids", iid)
    assert _state(pinned, iid) == "shutting-down"
    pinned.ok("account", "clock", "advance", "1m")
    assert _state(pinned, iid) == "terminated"
    res = pinned("ec2", "start-instances", "--instance-ids", iid)
    assert res.exit_code == 1
    assert f"IncorrectInstanceState: The instance '{iid}' is not in a state from which it can be started." in res.stderr
    assert _state(pinned, iid) == "terminated"  # nothing changed
    pinned.ok("account", "clock", "advance", "59m")
    assert _state(pinned, iid) == "terminated"  # visible for about an hour
    pinned.ok("account", "clock", "advance", "2m")
    res = pinned("ec2", "describe-instances", "--instance-ids", iid)
    assert res.exit_code == 2 and f"InvalidInstanceID.NotFound: The instance ID '{iid}' does not exist" in res.stderr


def test_bad_instance_ids_and_launch_parameters(pinned: Cli) -> None:
    res = pinned("ec2", "stop-instances", "--instance-ids", "i-123")
    assert res.exit_code == 2 and 'InvalidInstanceID.Malformed: Invalid id: "i-123"' in res.stderr
    res = pinned("ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0", "i-0123456789abcdef1")
    assert "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist" in res.stderr
    res = pinned("ec2", "run-instances", "--image-id", "bad")
    assert res.exit_code == 2 and "InvalidAMIID.Malformed" in res.stderr
    res = pinned("ec2", "run-instances", "--image-id", AMI, "--security-group-ids", "sg-0123456789abcdef0")
    assert res.exit_code == 2 and "InvalidGroup.NotFound" in res.stderr
    assert pinned.json("ec2", "describe-instances") == {"Reservations": []}  # nothing stored
    events = pinned.json("trail", "lookup", "--event-name", "RunInstances")["Events"]
    assert len(events) == 2 and all(json.loads(e["CloudTrailEvent"])["errorCode"] for e in events)


def test_reboot_monitor_and_no_public_ip(pinned: Cli) -> None:
    (iid,) = _run(pinned, "--monitoring", "Enabled=true", "--no-associate-public-ip-address")
    inst = _instances(pinned, iid)[iid]
    assert inst["Monitoring"]["State"] == "enabled" and "PublicIpAddress" not in inst and inst["PublicDnsName"] == ""
    pinned.ok("account", "clock", "advance", "1m")
    assert pinned.ok("ec2", "reboot-instances", "--instance-ids", iid).stdout == ""  # empty response, as aws-cli
    assert _state(pinned, iid) == "running"
    out = pinned.json("ec2", "unmonitor-instances", "--instance-ids", iid)["InstanceMonitorings"][0]
    assert out["Monitoring"]["State"] == "disabling"
    assert _instances(pinned, iid)[iid]["Monitoring"]["State"] == "disabled"


def test_security_groups(pinned: Cli) -> None:
    groups = pinned.json("ec2", "describe-security-groups")["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    default = groups[0]
    assert default["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == default["GroupId"]
    assert default["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    gid = pinned.json("ec2", "create-security-group", "--group-name", "web", "--description", "web servers")["GroupId"]
    assert re.fullmatch(r"sg-[0-9a-f]{17}", gid)
    res = pinned("ec2", "create-security-group", "--group-name", "web", "--description", "again")
    assert res.exit_code == 2
    assert f"InvalidGroup.Duplicate: The security group 'web' already exists for VPC '{default['VpcId']}'" in res.stderr
    pinned.ok("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
              "--cidr", "0.0.0.0/0")  # fmt: skip
    perms = json.dumps([{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    pinned.ok("ec2", "authorize-security-group-ingress", "--group-id", gid, "--ip-permissions", perms)
    res = pinned("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0")  # fmt: skip
    assert res.exit_code == 2
    assert ('InvalidPermission.Duplicate: the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" '
            "already exists") in res.stderr  # fmt: skip
    g = pinned.json("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
    assert [(p["FromPort"], p["ToPort"], p["IpRanges"]) for p in g["IpPermissions"]] == [
        (22, 22, [{"CidrIp": "0.0.0.0/0"}]), (80, 443, [{"CidrIp": "10.0.0.0/8"}])]
    pinned.ok("ec2", "revoke-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
              "--cidr", "0.0.0.0/0")  # fmt: skip
    res = pinned("ec2", "revoke-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0")  # fmt: skip
    assert res.exit_code == 2 and "InvalidPermission.NotFound" in res.stderr
    res = pinned("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
                 "--cidr", "300.0.0.0/0")  # fmt: skip
    assert res.exit_code == 2 and "InvalidParameterValue" in res.stderr
    res = pinned("ec2", "describe-security-groups", "--group-ids", "sg-0123456789abcdef0")
    assert "InvalidGroup.NotFound: The security group 'sg-0123456789abcdef0' does not exist" in res.stderr


def test_cloudtrail_records_and_api_call_events_reach_rules(pinned: Cli) -> None:
    pattern = {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventName": ["StopInstances"]}}  # fmt: skip
    pinned.ok("rules", "put", "--name", "stops", "--event-pattern", json.dumps(pattern))
    pinned.ok("rules", "put-targets", "--rule", "stops", "--targets", f"Id=q,Arn=arn:aws:sqs:us-east-1:{ACCT}:q")
    (iid,) = _run(pinned)
    pinned.ok("account", "clock", "advance", "1m")
    pinned.ok("ec2", "stop-instances", "--instance-ids", iid)
    ev = pinned.json("trail", "lookup", "--event-name", "StopInstances")["Events"][0]
    record = json.loads(ev["CloudTrailEvent"])
    assert record["eventSource"] == "ec2.amazonaws.com" and record["managementEvent"] is True
    assert ev["Resources"] == [{"ResourceType": "AWS::EC2::Instance", "ResourceName": f"arn:aws:ec2:us-east-1:{ACCT}:instance/{iid}"}] \
        or any(r["ResourceName"].endswith(iid) for r in ev["Resources"])  # fmt: skip
    pinned.ok("account", "clock", "advance", "2m")
    deliveries = pinned.json("rules", "deliveries", "--rule", "stops")["Deliveries"]
    assert len(deliveries) == 1 and json.loads(deliveries[0]["Input"])["detail"]["eventName"] == "StopInstances"


def test_state_change_notifications_reach_sns_with_input_transformer(pinned: Cli) -> None:
    pinned.ok("alarms", "topics", "create", "ops")
    topic = f"arn:aws:sns:us-east-1:{ACCT}:ops"
    pattern = {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}
    pinned.ok("rules", "put", "--name", "all-states", "--event-pattern", json.dumps(pattern))
    pinned.ok("rules", "put-targets", "--rule", "all-states", "--targets", f"Id=t,Arn={topic}")
    stopped = {**pattern, "detail": {"state": ["stopped"]}}
    pinned.ok("rules", "put", "--name", "stopped", "--event-pattern", json.dumps(stopped))
    target = {"Id": "fmt", "Arn": topic, "InputTransformer": {
        "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state"},
        "InputTemplate": '"The EC2 instance <instance> has changed state to <state>."'}}  # fmt: skip
    pinned.ok("rules", "put-targets", "--rule", "stopped", "--targets", json.dumps([target]))
    (iid,) = _run(pinned)
    pinned.ok("account", "clock", "advance", "1m")
    pinned.ok("ec2", "stop-instances", "--instance-ids", iid)
    pinned.ok("account", "clock", "advance", "1m")
    events = [json.loads(d["Input"]) for d in pinned.json("rules", "deliveries", "--rule", "all-states")["Deliveries"]]
    assert [e["detail"]["state"] for e in events] == ["pending", "running", "stopping", "stopped"]
    assert all(e["detail"]["instance-id"] == iid and e["source"] == "aws.ec2" for e in events)
    assert events[1]["time"] == "2026-11-20T12:00:15Z" and events[3]["time"] == "2026-11-20T12:01:30Z"
    assert events[0]["resources"] == [f"arn:aws:ec2:us-east-1:{ACCT}:instance/{iid}"]
    (fmt,) = pinned.json("rules", "deliveries", "--rule", "stopped")["Deliveries"]
    assert fmt["Input"] == f'"The EC2 instance {iid} has changed state to stopped."'
    assert fmt["Status"] == "Delivered"


def _stats(ctx: Any, iid: str, metric: str, start: datetime, end: datetime, period: int) -> list[dict[str, Any]]:
    cw = ctx.client("cloudwatch")
    out = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName=metric,
                                   Dimensions=[{"Name": "InstanceId", "Value": iid}], StartTime=start, EndTime=end,
                                   Period=period, Statistics=["Average", "SampleCount"])["Datapoints"]  # fmt: skip
    return sorted(out, key=lambda d: d["Timestamp"])


def test_metrics_basic_and_detailed_monitoring(pinned: Cli, ctx: Any) -> None:
    (basic,) = _run(pinned)
    (detailed,) = _run(pinned, "--monitoring", "Enabled=true")
    pinned.ok("account", "clock", "advance", "1h")
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    end = start + timedelta(hours=1)
    cpu_basic = _stats(ctx, basic, "CPUUtilization", start, end, 60)
    assert len(cpu_basic) == 12 and {d["Timestamp"].minute % 5 for d in cpu_basic} == {0}
    assert all(0 <= d["Average"] <= 100 and d["Unit"] == "Percent" for d in cpu_basic)
    assert len(_stats(ctx, detailed, "CPUUtilization", start, end, 60)) == 60
    # Status checks are 1-minute metrics for every instance; they pass.
    status = _stats(ctx, basic, "StatusCheckFailed_System", start, end, 60)
    assert len(status) == 59 and {d["Average"] for d in status} == {0.0}
    names = {m["MetricName"] for m in ctx.client("cloudwatch").list_metrics(Namespace="AWS/EC2")["Metrics"]}
    assert {"CPUUtilization", "NetworkIn", "NetworkOut", "DiskReadBytes", "StatusCheckFailed",
            "StatusCheckFailed_Instance"} <= names  # fmt: skip
    assert not any("Mem" in n for n in names)  # memory needs the CloudWatch agent
    # Deterministic values: a second account gives the same series for the same instance id and times.
    from awsmon.backends.local.ec2 import _values

    assert _values(basic, "CPUUtilization", 1_000_000, 300) == _values(basic, "CPUUtilization", 1_000_000, 300)
    # A stopped instance publishes nothing more.
    pinned.ok("ec2", "stop-instances", "--instance-ids", basic)
    pinned.ok("account", "clock", "advance", "1h")
    later = _stats(ctx, basic, "CPUUtilization", end, end + timedelta(hours=1), 300)
    assert later == []


def test_alarm_stop_action_stops_the_instance(pinned: Cli) -> None:
    (iid,) = _run(pinned, "--monitoring", "Enabled=true")
    pinned.ok("alarms", "put", "--alarm-name", "cpu-any", "--namespace", "AWS/EC2", "--metric-name", "CPUUtilization",
              "--dimensions", f"InstanceId={iid}", "--statistic", "Average", "--period", "60", "--evaluation-periods", "1",
              "--threshold", "0", "--comparison-operator", "GreaterThanThreshold",
              "--alarm-actions", "arn:aws:automate:us-east-1:ec2:stop")  # fmt: skip
    pinned.ok("account", "clock", "advance", "5m")
    assert _state(pinned, iid) in ("stopping", "stopped")
    pinned.ok("account", "clock", "advance", "1m")
    assert _state(pinned, iid) == "stopped"
    actions = pinned.json("alarms", "actions")
    items = actions.get("Actions") or actions.get("AlarmActions") or next(v for v in actions.values() if isinstance(v, list))
    ec2 = [a for a in items if "automate" in json.dumps(a)]
    assert ec2 and ec2[0]["Status"] == "Succeeded"


def test_status_check_failure_and_recover_action(pinned: Cli, ctx: Any) -> None:
    (iid,) = _run(pinned)
    pinned.ok("alarms", "put", "--alarm-name", "recover", "--namespace", "AWS/EC2", "--metric-name",
              "StatusCheckFailed_System", "--dimensions", f"InstanceId={iid}", "--statistic", "Maximum", "--period", "60",
              "--evaluation-periods", "2", "--threshold", "0", "--comparison-operator", "GreaterThanThreshold",
              "--alarm-actions", "arn:aws:automate:us-east-1:ec2:recover")  # fmt: skip
    pinned.ok("account", "clock", "advance", "5m")
    assert pinned.json("alarms", "describe", "--alarm-names", "recover")["MetricAlarms"][0]["StateValue"] == "OK"
    health = pinned.json("ec2", "set-instance-health", "--instance-id", iid, "--check", "system", "--failing")
    assert health["SystemStatus"] == "impaired"
    pinned.ok("account", "clock", "advance", "5m")
    alarm = pinned.json("alarms", "describe", "--alarm-names", "recover")["MetricAlarms"][0]
    history = json.dumps(pinned.json("alarms", "history", "--alarm-name", "recover"))
    assert "ALARM" in history
    inst = _instances(pinned, iid)[iid]
    assert inst["State"]["Name"] == "running" and inst["StateTransitionReason"].startswith("Instance recovered")
    # After recovery the checks pass again: the alarm returns to OK.
    pinned.ok("account", "clock", "advance", "5m")
    alarm = pinned.json("alarms", "describe", "--alarm-names", "recover")["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK"


def test_config_records_instances_and_security_groups(pinned: Cli) -> None:
    pinned.ok("config", "put-configuration-recorder", "--all-supported")
    pinned.ok("s3", "mb", "s3://config-bucket")
    pinned.ok("config", "put-delivery-channel", "--s3-bucket-name", "config-bucket")
    pinned.ok("config", "start-recording")
    (iid,) = _run(pinned, "--instance-type", "t3.small")
    gid = pinned.json("ec2", "create-security-group", "--group-name", "web", "--description", "web")["GroupId"]
    pinned.ok("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "22",
              "--cidr", "0.0.0.0/0")  # fmt: skip
    pinned.ok("account", "clock", "advance", "15m")
    item = pinned.json("config", "get-resource", "--resource-type", "AWS::EC2::Instance",
                       "--resource-id", iid)["baseConfigurationItems"][0]  # fmt: skip
    assert item["arn"] == f"arn:aws:ec2:us-east-1:{ACCT}:instance/{iid}"
    configuration = json.loads(item["configuration"])
    assert configuration["instanceType"] == "t3.small" and configuration["instanceId"] == iid
    assert configuration["state"]["name"] in ("pending", "running")
    hist = pinned.json("config", "history", "--resource-type", "AWS::EC2::SecurityGroup", "--resource-id", gid)
    items = hist["configurationItems"]
    perms = json.loads(items[0]["configuration"])["ipPermissions"]
    assert perms[0]["ipv4Ranges"] == [{"cidrIp": "0.0.0.0/0"}] and perms[0]["ipRanges"] == ["0.0.0.0/0"]
    assert perms[0]["fromPort"] == 22 and items[0]["resourceName"] == "web"


def _ids_where(cli: Cli, cmd: str, *filters: str) -> list[str] | tuple[int, str]:
    args = [a for f in filters for a in ("--filters", f)]
    res = cli("ec2", cmd, *args, "-o", "json")
    if res.exit_code:
        return res.exit_code, res.stderr.strip()
    data = json.loads(res.stdout)
    if cmd == "describe-instances":
        return sorted(i["InstanceId"] for r in data["Reservations"] for i in r["Instances"])
    return sorted(g["GroupName"] for g in data["SecurityGroups"])


@pytest.mark.parametrize("backend_cli", ["local", "moto"], indirect=True)
def test_describe_filters_semantics(backend_cli: Cli) -> None:
    """EC2 Filters: ANDed across names, ORed across values, `*`/`?` wildcards, tag:/tag-key, unknown name refused.
    The same answers from the simulator and a moto server."""
    cli = backend_cli
    tags = '[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"web-1"},{"Key":"env","Value":"prod"}]}]'
    web = _run(cli, "--instance-type", "t3.micro", "--tag-specifications", tags)[0]
    tags2 = '[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"db-1"}]}]'
    db = _run(cli, "--instance-type", "t3.large", "--tag-specifications", tags2)[0]
    every = sorted([web, db])
    assert _ids_where(cli, "describe-instances") == every
    assert _ids_where(cli, "describe-instances", "Name=tag:Name,Values=web-*") == [web]
    assert _ids_where(cli, "describe-instances", "Name=tag:Name,Values=web-?,db-?") == every
    assert _ids_where(cli, "describe-instances", "Name=tag:Name,Values=web") == []
    assert _ids_where(cli, "describe-instances", "Name=instance-type,Values=t3.micro,m5.large",
                      "Name=tag:env,Values=prod") == [web]  # fmt: skip
    assert _ids_where(cli, "describe-instances", "Name=tag-key,Values=env") == [web]
    assert _ids_where(cli, "describe-instances", f"Name=instance-id,Values={db}") == [db]
    assert _ids_where(cli, "describe-instances", "Name=instance-state-name,Values=terminated") == []
    cli.ok("ec2", "create-security-group", "--group-name", "web-sg", "--description", "web servers")
    assert _ids_where(cli, "describe-security-groups", "Name=group-name,Values=web*") == ["web-sg"]
    assert _ids_where(cli, "describe-security-groups", "Name=description,Values=*servers") == ["web-sg"]
    assert _ids_where(cli, "describe-security-groups", "Name=group-name,Values=default,web-sg") == ["default", "web-sg"]


def test_filter_wildcards_escapes_and_numbers(pinned: Cli) -> None:
    from awsmon.backends.local.ec2 import _glob, _wildcards

    assert _glob(_wildcards("\\*x"), "*x") and not _glob(_wildcards("\\*x"), "ax")
    assert _glob(_wildcards("*a*b"), "xxaxxb") and not _glob(_wildcards("*a*b"), "xxaxxbc")
    assert _glob(_wildcards("*" * 40 + "b"), "a" * 256 + "b") and not _glob(_wildcards("*a" * 40 + "b"), "a" * 256)
    iid = _run(pinned)[0]
    # an unknown name is refused as AWS does (moto 5 answers HTTP 500 for filters it lacks)
    code, err = _ids_where(pinned, "describe-instances", "Name=public-ip,Values=1.2.3.4")  # type: ignore[misc]
    assert code == 2 and "InvalidParameterValue" in err and "The filter 'public-ip' is invalid" in err
    # wildcards hold for every filter in AWS; moto 5 honours them on tags only
    assert _ids_where(pinned, "describe-instances", "Name=instance-type,Values=m1.*") == [iid]
    pinned.ok("account", "clock", "advance", "30s")
    assert _ids_where(pinned, "describe-instances", "Name=instance-state-code,Values=16") == [iid]
    assert _ids_where(pinned, "describe-security-groups", "Name=ip-permission.protocol,Values=-1") == ["default"]
    assert _ids_where(pinned, "describe-security-groups", "Name=egress.ip-permission.cidr,Values=0.0.0.0/0") == ["default"]


# -- outside probe (issue 15's rule on the resource groups) --------------------------------------------------------
@pytest.mark.parametrize(("name", "description", "words"), [
    ("a\x01b", "d", "Invalid value 'a\\x01b' for GroupName. Valid characters: a-z, A-Z, 0-9, spaces, and "),
    ("a<b", "d", "Invalid value 'a<b' for GroupName"),
    ("ok", "caf\u00e9", "Value (caf\u00e9) for parameter GroupDescription is invalid. Character sets beyond ASCII"),
])  # fmt: skip
def test_security_group_text_is_ascii_of_aws_set(pinned: Cli, name: str, description: str, words: str) -> None:
    res = pinned("ec2", "create-security-group", "--group-name", name, "--description", description)
    assert res.exit_code == 2 and f"InvalidParameterValue: {words}" in res.stderr, res.stderr
    groups = pinned.json("ec2", "describe-security-groups")["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == ["default"]  # nothing stored


def test_security_group_names_with_aws_punctuation_are_kept(pinned: Cli) -> None:
    name = "web (prod) #1: a/b._-@[]+=&;{}!$*,"
    gid = pinned.json("ec2", "create-security-group", "--group-name", name, "--description", "ok: 10.0.0.0/8")["GroupId"]
    assert pinned.json("ec2", "describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]["GroupName"] == name


def test_instance_limit_exceeded_exits_2(pinned: Cli) -> None:
    res = pinned("ec2", "run-instances", "--image-id", AMI, "--count", "21")
    assert res.exit_code == 2 and "InstanceLimitExceeded" in res.stderr
    assert pinned.json("ec2", "describe-instances")["Reservations"] == []
