"""The one path for cross-service consequences (awsmon/backends/local/facts.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from awsmon.backends.local import facts

SEEN: list[tuple[str, dict]] = []


def react(store, region, **payload):  # a reaction registered by a test
    SEEN.append((region, payload))


def target(store, arn, payload, when, **attrs):
    return facts.Delivery("Delivered", f"{arn} got {payload}")


def test_emit_calls_registered_reactions_in_order():
    SEEN.clear()
    facts.subscribe("test-fact", f"{__name__}:react")
    try:
        facts.emit(None, "eu-west-1", "test-fact", event={"id": "1"}, bus="default")
    finally:
        facts.unsubscribe("test-fact", f"{__name__}:react")
        facts.REACTIONS.pop("test-fact")
    assert SEEN == [("eu-west-1", {"event": {"id": "1"}, "bus": "default"})]


def test_unknown_kind_is_an_error():
    with pytest.raises(KeyError):
        facts.emit(None, "us-east-1", "no-such-fact")


def test_deliver_by_arn_service():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert facts.deliver(None, "arn:aws:nothere:us-east-1:1:x", "p", when) == facts.Delivery("Recorded")
    facts.register_target("testsvc", f"{__name__}:target")
    try:
        d = facts.deliver(None, "arn:aws:testsvc:us-east-1:1:x", "p", when)
    finally:
        facts.TARGETS.pop("testsvc")
    assert d.status == "Delivered" and d.ok
    assert facts.arn_service("not-an-arn") is None


# -- the registered reactions and delivery handlers of the local services ---------------------------------------

RECEIVED: list[tuple[str, str, dict]] = []


def queue_target(store, arn, payload, when, **attrs):  # stands in for a queue service's delivery handler
    RECEIVED.append((arn, payload, attrs))
    return facts.Delivery("Delivered", message_id="m-1") if arn.endswith(":ok") else facts.Delivery(
        "Failed", "The specified queue does not exist.", error_code="AWS.SimpleQueueService.NonExistentQueue")


def _store(ctx):
    store = ctx.store()
    store.conn.execute("SELECT 1")
    return store


def test_sns_fans_out_to_arn_endpoints_through_deliver(ctx):
    from awsmon.backends.local.sns import LocalSNS

    store = _store(ctx)
    sns = LocalSNS(store, "us-east-1")
    topic = sns.create_topic(Name="t")["TopicArn"]
    queue = f"arn:aws:sqs:us-east-1:{store.account_id}:"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue + "ok")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue + "gone")
    RECEIVED.clear()
    real = facts.TARGETS["sqs"]
    facts.register_target("sqs", f"{__name__}:queue_target")  # stands in for the queues: sees what SNS delivers
    try:
        message_id = sns.publish(TopicArn=topic, Message="hi", Subject="s")["MessageId"]
    finally:
        facts.register_target("sqs", real)
    assert sorted(arn.rsplit(":", 1)[-1] for arn, _, _ in RECEIVED) == ["gone", "ok"]
    envelope = json.loads(RECEIVED[0][1])
    assert envelope["Message"] == "hi" and envelope["MessageId"] == message_id and envelope["Subject"] == "s"
    assert RECEIVED[0][2]["topic_arn"] == topic
    rows = {d["Endpoint"].rsplit(":", 1)[-1]: d for d in sns.list_deliveries()["Deliveries"]}
    assert rows["ok"]["Status"] == "Delivered"
    assert rows["gone"]["Status"] == "Failed" and "NonExistentQueue" in rows["gone"]["Detail"]


def test_datapoints_fact_stores_metric_data(ctx):
    from awsmon.backends.local.cloudwatch import LocalCloudWatch

    store = _store(ctx)
    when = store.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    with store.transaction():
        facts.emit(store, "us-east-1", "datapoints", namespace="App", metric_name="Hits", dimensions={"a": "1"},
                   timestamp=when, values=[2.0, 5.0], counts=[3.0, 1.0], unit="Count", storage_resolution=60)
    cw = LocalCloudWatch(store, "us-east-1")
    got = cw.get_metric_statistics(Namespace="App", MetricName="Hits", Dimensions=[{"Name": "a", "Value": "1"}],
                                   StartTime=when, EndTime=when + timedelta(minutes=1), Period=60,
                                   Statistics=["Sum", "SampleCount"])
    assert [(d["Sum"], d["SampleCount"]) for d in got["Datapoints"]] == [(11.0, 4.0)]


def test_deliver_to_log_group(ctx):
    from awsmon.backends.local.logs import LocalLogs

    store = _store(ctx)
    logs = LocalLogs(store, "us-east-1")
    when = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    arn = f"arn:aws:logs:us-east-1:{store.account_id}:log-group:/g"
    with store.transaction():
        missing = facts.deliver(store, arn, "hello", when, stream="s1")
    assert missing.status == "Failed" and missing.error_code == "ResourceNotFoundException"
    logs.create_log_group(logGroupName="/g")
    with store.transaction():
        one = facts.deliver(store, arn, "hello", when, stream="s1")
        two = facts.deliver(store, arn + ":*", "", when, stream="s1", events=[(2000, "b"), (1000, "a")])
    assert one.ok and two.ok and one.detail == "log stream s1"
    got = logs.get_log_events(logGroupName="/g", logStreamName="s1", startFromHead=True)["events"]
    assert [(e["timestamp"], e["message"]) for e in got] == [(1000, "a"), (2000, "b"), (int(when.timestamp() * 1000), "hello")]
    assert all(e["ingestionTime"] == int(when.timestamp() * 1000) for e in got)


def test_reader_reads_unrecorded_and_refuses_writes(ctx):
    from awsmon.backends.local.sns import LocalSNS

    store = _store(ctx)
    LocalSNS(store, "us-east-1").create_topic(Name="t")
    before = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    reader = facts.Reader(store, "us-east-1", "sns")
    assert [t["TopicArn"].rsplit(":", 1)[-1] for t in reader.list_topics()["Topics"]] == ["t"]
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == before
    with pytest.raises(AttributeError, match="not a read operation"):
        reader.create_topic(Name="u")


def test_resource_changed_fact_makes_configuration_items(ctx):
    from awsmon.backends.local.config import LocalConfig

    store = _store(ctx)
    cfg = LocalConfig(store, "us-east-1")
    rtype = "AWS::EFS::FileSystem"  # a type no local service records from CloudTrail
    t0 = store.now()

    def changed(configuration, when):
        with store.transaction():
            facts.emit(store, "us-east-1", "resource_changed", resource_type=rtype, resource_id="i-1",
                       resource_name="web", arn="arn:aws:elasticfilesystem:us-east-1:1:file-system/i-1", configuration=configuration,
                       tags={"env": "prod"}, relationships=[], when=when)

    changed({"state": {"name": "running"}}, t0)  # before recording: kept, discovered when recording starts
    cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::1:role/c",
                                                          "recordingGroup": {"allSupported": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    changed({"state": {"name": "running"}}, t0 + timedelta(minutes=5))  # same state: no new item
    changed({"state": {"name": "stopped"}}, t0 + timedelta(minutes=10))
    changed(None, t0 + timedelta(minutes=20))
    items = cfg.get_resource_config_history(resourceType=rtype, resourceId="i-1", laterTime=t0 + timedelta(hours=1),
                                            chronologicalOrder="Forward")["configurationItems"]
    assert [i["configurationItemStatus"] for i in items] == ["ResourceDiscovered", "OK", "ResourceDeleted"]
    assert json.loads(items[1]["configuration"]) == {"state": {"name": "stopped"}}
    assert items[0]["tags"] == {"env": "prod"} and items[0]["resourceName"] == "web"
    gone = cfg.list_discovered_resources(resourceType=rtype, includeDeletedResources=True)["resourceIdentifiers"]
    assert [(r["resourceId"], "resourceDeletionTime" in r) for r in gone] == [("i-1", True)]
