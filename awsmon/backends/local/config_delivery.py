"""Local AWS Config delivery channel: history and snapshot files in the channel's bucket, SNS notifications.

What AWS Config delivers (developer guide: ``deliver-snapshot-cli.md``, ``notifications-for-AWS-Config.md`` and the
example notifications), written into the account's simulated bucket folders (:mod:`awsmon.s3folder`):

* ``<prefix>/AWSLogs/<account>/Config/ConfigWritabilityCheckFile`` when the channel is put (AWS checks it can write);
* configuration history every 6 hours (scheduler kind ``config.history``, key the Region): one gzipped JSON file per
  resource type that has new configuration items, ``.../Config/<region>/YYYY/M/D/ConfigHistory/
  <account>_Config_<region>_ConfigHistory_<type>_<first capture>_<last capture>_<n>.json.gz``;
* configuration snapshots on DeliverConfigSnapshot and every ``configSnapshotDeliveryProperties.deliveryFrequency``
  (kind ``config.snapshot``): every current item, ``.../ConfigSnapshot/<account>_Config_<region>_ConfigSnapshot_
  <time>_<snapshot id>.json.gz``;
* notifications to the channel's topic through ``facts.deliver`` (SNS owns the ARN): ConfigurationItemChange-
  Notification, ComplianceChangeNotification, ConfigurationSnapshotDeliveryStarted / Completed and
  ConfigurationHistoryDeliveryCompleted, with AWS's message fields and subjects (SNS caps subjects at 100 chars).

Files and notifications show items in the file/notification shape (``configurationItemVersion``, ``awsAccountId``,
``ARN``, ``configurationStateMd5Hash``, relationship ``name``, configuration as an object, times in ISO 8601).
This module is the config service's own (it never imports another service); ``config.py`` calls it.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import facts

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

HISTORY_PERIOD = timedelta(hours=6)  # AWS delivers configuration history files every 6 hours
FREQUENCY_HOURS = {"One_Hour": 1, "Three_Hours": 3, "Six_Hours": 6, "Twelve_Hours": 12, "TwentyFour_Hours": 24}
SUBJECT_MAX = 100  # SNS subject length limit (AWS's own subjects end in "..." when cut)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return _dt(int(ms)).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ms) % 1000:03d}Z"


def _stamp(ms: int) -> str:
    return _dt(ms).strftime("%Y%m%dT%H%M%SZ")


def channel(store: AccountStore, region: str) -> dict[str, Any] | None:
    row = store.conn.execute("SELECT config FROM cfg_channels WHERE region = ?", (region,)).fetchone()
    return None if row is None else json.loads(row[0])


def _base(store: AccountStore, ch: Mapping[str, Any]) -> str:
    prefix = ch.get("s3KeyPrefix")
    return f"{prefix}/AWSLogs/{store.account_id}/Config" if prefix else f"AWSLogs/{store.account_id}/Config"


def _day(region: str, ms: int) -> str:
    d = _dt(ms)
    return f"{region}/{d.year}/{d.month}/{d.day}"  # AWS writes month and day without leading zeros


def file_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored configuration item in the shape of snapshot/history files and SNS notifications."""
    return {
        "configurationItemVersion": item.get("version", "1.3"),
        "configurationItemCaptureTime": iso(item.get("configurationItemCaptureTime")),
        "configurationStateId": int(item["configurationStateId"]) if str(item.get("configurationStateId", "")).isdigit() else item.get("configurationStateId"),
        "awsAccountId": item.get("accountId"),
        "configurationItemStatus": item.get("configurationItemStatus"),
        "resourceType": item.get("resourceType"),
        "resourceId": item.get("resourceId"),
        "resourceName": item.get("resourceName"),
        "ARN": item.get("arn"),
        "awsRegion": item.get("awsRegion"),
        "availabilityZone": item.get("availabilityZone"),
        "configurationStateMd5Hash": item.get("configurationItemMD5Hash", ""),
        "resourceCreationTime": iso(item.get("resourceCreationTime")),
        "tags": dict(item.get("tags") or {}),
        "relatedEvents": list(item.get("relatedEvents") or []),
        "relationships": [{"resourceId": r.get("resourceId"), "resourceName": r.get("resourceName"),
                           "resourceType": r.get("resourceType"), "name": r.get("relationshipName")}
                          for r in item.get("relationships") or []],  # fmt: skip
        "configuration": item.get("configuration"),
        "supplementaryConfiguration": dict(item.get("supplementaryConfiguration") or {}),
    }  # fmt: skip


def _subject(text: str) -> str:
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


def _status(store: AccountStore, region: str, kind: str, when_ms: int, error: tuple[str, str] | None) -> None:
    if error is None:
        store.conn.execute(
            "INSERT INTO cfg_delivery (region, kind, last_attempt_ms, last_success_ms, last_status) "
            "VALUES (?,?,?,?,'Success') ON CONFLICT (region, kind) DO UPDATE SET last_attempt_ms = excluded.last_attempt_ms, "
            "last_success_ms = excluded.last_success_ms, last_status = 'Success', last_error_code = NULL, "
            "last_error_message = NULL", (region, kind, when_ms, when_ms))  # fmt: skip
    else:
        store.conn.execute(
            "INSERT INTO cfg_delivery (region, kind, last_attempt_ms, last_status, last_error_code, last_error_message) "
            "VALUES (?,?,?,'Failure',?,?) ON CONFLICT (region, kind) DO UPDATE SET last_attempt_ms = excluded.last_attempt_ms, "
            "last_status = 'Failure', last_error_code = excluded.last_error_code, "
            "last_error_message = excluded.last_error_message", (region, kind, when_ms, *error))  # fmt: skip


def notify(store: AccountStore, region: str, message: Mapping[str, Any], subject: str, when: datetime,
           ch: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    """Send one notification to the channel's topic (if it has one); the outcome is the stream delivery status."""
    ch = channel(store, region) if ch is None else ch
    topic = (ch or {}).get("snsTopicARN")
    if not topic:
        return
    result = facts.deliver(store, topic, json.dumps(message, separators=(",", ":")), when, subject=_subject(subject))
    err = None if result.ok else (result.error_code or "AccessDenied", result.reason() or "delivery failed")
    _status(store, region, "stream", _ms(when), err)


def _put(store: AccountStore, region: str, kind: str, ch: Mapping[str, Any], key: str, body: bytes,
         when_ms: int) -> bool:  # fmt: skip
    """Write one object to the channel's bucket; a failure is the delivery status, never an exception."""
    from awsmon.s3folder import S3Folder

    try:
        S3Folder(store.s3_dir / ch["s3BucketName"]).put_object(key, body, durable=False,
                                                               content_type="application/json",
                                                               last_modified=_dt(when_ms))  # fmt: skip
    except (ValueError, OSError) as exc:
        _status(store, region, kind, when_ms, ("AccessDenied", f"awsmon: cannot write s3://{ch['s3BucketName']}/{key}: {exc}"[:1024]))
        return False
    return True


def write_check_file(store: AccountStore, region: str, ch: Mapping[str, Any], when: datetime) -> None:
    """AWS Config writes this object when the channel is put, to prove it can write to the bucket."""
    _put(store, region, "history", ch, f"{_base(store, ch)}/ConfigWritabilityCheckFile", b"", _ms(when))


def _gz(doc: Mapping[str, Any]) -> bytes:
    return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), compresslevel=6, mtime=0)


def deliver_history(store: AccountStore, region: str, when: datetime) -> list[str]:
    """Deliver the items recorded since the last history delivery: one file per resource type; returns the keys."""
    ch = channel(store, region)
    if ch is None:
        return []
    when_ms = _ms(when)
    cur = store.conn.execute("SELECT cursor FROM cfg_delivery WHERE region = ? AND kind = 'history'", (region,)).fetchone()
    last = int(cur[0]) if cur and cur[0] is not None else 0
    rows = store.conn.execute("SELECT id, resource_type, item FROM cfg_items WHERE region = ? AND id > ? AND capture_ms <= ? "
                              "ORDER BY resource_type, capture_ms, id", (region, last, when_ms)).fetchall()  # fmt: skip
    if not rows:
        return []
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_type.setdefault(r[1], []).append(json.loads(r[2]))
    keys = []
    ok = True
    for rtype, items in by_type.items():
        first, final = items[0]["configurationItemCaptureTime"], items[-1]["configurationItemCaptureTime"]
        name = f"{store.account_id}_Config_{region}_ConfigHistory_{rtype}_{_stamp(first)}_{_stamp(final)}_1.json.gz"
        key = f"{_base(store, ch)}/{_day(region, when_ms)}/ConfigHistory/{name}"
        if not _put(store, region, "history", ch, key, _gz({"fileVersion": "1.0", "configurationItems": [file_item(i) for i in items]}), when_ms):
            ok = False
            break
        keys.append(key)
        notify(store, region, {"s3ObjectKey": key, "s3Bucket": ch["s3BucketName"], "notificationCreationTime": iso(when_ms),
                               "messageType": "ConfigurationHistoryDeliveryCompleted", "recordVersion": "1.1"},
               f"[AWS Config:{region}] Configuration History Delivery Completed for Account {store.account_id}", when, ch)  # fmt: skip
    if ok:
        _status(store, region, "history", when_ms, None)
        store.conn.execute("UPDATE cfg_delivery SET cursor = ? WHERE region = ? AND kind = 'history'", (max(r[0] for r in rows), region))
    return keys


def deliver_snapshot(store: AccountStore, region: str, when: datetime, snapshot_id: str | None = None) -> tuple[str, str | None]:
    """Write a snapshot of every current item; returns (snapshot id, key or None when the write failed)."""
    ch = channel(store, region)
    assert ch is not None
    sid = snapshot_id or str(uuid.uuid4())
    when_ms = _ms(when)
    subject = f"[AWS Config:{region}] Configuration Snapshot Delivery %s for Account {store.account_id}"
    notify(store, region, {"configSnapshotId": sid, "notificationCreationTime": iso(when_ms),
                           "messageType": "ConfigurationSnapshotDeliveryStarted", "recordVersion": "1.1"},
           subject % "Started", when, ch)  # fmt: skip
    rows = store.conn.execute("SELECT i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id "
                              "WHERE r.region = ? AND r.deleted_ms IS NULL ORDER BY r.resource_type, r.resource_id",
                              (region,)).fetchall()  # fmt: skip
    doc = {"fileVersion": "1.0", "configSnapshotId": sid, "configurationItems": [file_item(json.loads(r[0])) for r in rows]}
    name = f"{store.account_id}_Config_{region}_ConfigSnapshot_{_stamp(when_ms)}_{sid}.json.gz"
    key = f"{_base(store, ch)}/{_day(region, when_ms)}/ConfigSnapshot/{name}"
    if not _put(store, region, "snapshot", ch, key, _gz(doc), when_ms):
        row = store.conn.execute("SELECT last_error_message FROM cfg_delivery WHERE region = ? AND kind = 'snapshot'",
                                 (region,)).fetchone()  # fmt: skip
        notify(store, region, {"configSnapshotId": sid, "notificationCreationTime": iso(when_ms),
                               "messageType": "ConfigurationSnapshotDeliveryFailed", "failureMessage": row[0] if row else None,
                               "recordVersion": "1.1"}, subject % "Failed", when, ch)  # fmt: skip
        return sid, None
    _status(store, region, "snapshot", when_ms, None)
    notify(store, region, {"configSnapshotId": sid, "s3ObjectKey": key, "s3Bucket": ch["s3BucketName"],
                           "notificationCreationTime": iso(when_ms), "messageType": "ConfigurationSnapshotDeliveryCompleted",
                           "recordVersion": "1.1"}, subject % "Completed", when, ch)  # fmt: skip
    return sid, key


def _changed(old: Any, new: Any, path: str, out: dict[str, Any]) -> None:
    """AWS's changedProperties: one entry per changed leaf ("Configuration.retentionInDays"); lists compared whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _changed(old.get(k), new.get(k), f"{path}.{k}", out)
        return
    if old == new:
        return
    kind = "CREATE" if old is None else "DELETE" if new is None else "UPDATE"
    out[path] = {"previousValue": old, "updatedValue": new, "changeType": kind}


def item_changed(store: AccountStore, region: str, item: Mapping[str, Any], previous: Mapping[str, Any] | None,
                 ch: Mapping[str, Any] | None) -> None:  # fmt: skip
    """ConfigurationItemChangeNotification for a new item (only when the channel has a topic)."""
    if not (ch or {}).get("snsTopicARN"):
        return
    status = item.get("configurationItemStatus")
    change = "DELETE" if status == "ResourceDeleted" else "CREATE" if previous is None or status == "ResourceDiscovered" else "UPDATE"
    changed: dict[str, Any] = {}
    if change == "UPDATE" and previous is not None:
        _changed(previous.get("configuration"), item.get("configuration"), "Configuration", changed)
        for rel in ("relationships", "tags", "supplementaryConfiguration"):
            if previous.get(rel) != item.get(rel):
                _changed(previous.get(rel), item.get(rel), rel[0].upper() + rel[1:], changed)
    when = store.now()
    verb = {"CREATE": "Created", "UPDATE": "Changed", "DELETE": "Deleted"}[change]
    msg = {"configurationItemDiff": {"changedProperties": changed, "changeType": change},
           "configurationItem": file_item(item), "notificationCreationTime": iso(_ms(when)),
           "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}  # fmt: skip
    notify(store, region, msg, f"[AWS Config:{region}] {item['resourceType']} {item['resourceId']} {verb} in Account "
                               f"{store.account_id}", when, ch)  # fmt: skip


def _result(rule_name: str, rtype: str, rid: str, compliance: str, annotation: str | None, ordering_ms: int,
            recorded_ms: int, invoked_ms: int) -> dict[str, Any]:  # fmt: skip
    return {"evaluationResultIdentifier": {"evaluationResultQualifier": {"configRuleName": rule_name, "resourceType": rtype,
                                                                       "resourceId": rid},
                                           "orderingTimestamp": iso(ordering_ms)},
            "complianceType": compliance, "resultRecordedTime": iso(recorded_ms), "configRuleInvokedTime": iso(invoked_ms),
            "annotation": annotation, "resultToken": None}  # fmt: skip


def compliance_changed(store: AccountStore, region: str, rule_name: str, rtype: str, rid: str,
                       new: tuple[str, str | None, int, int], old: tuple[str, str | None, int, int] | None,
                       ch: Mapping[str, Any] | None) -> None:  # fmt: skip
    """ComplianceChangeNotification when a resource's result for a rule changes compliance type.

    ``new`` / ``old``: (compliance, annotation, ordering ms, recorded ms)."""
    if not (ch or {}).get("snsTopicARN"):
        return
    row = store.conn.execute("SELECT arn FROM cfg_rules WHERE region = ? AND name = ?", (region, rule_name)).fetchone()
    when = store.now()
    msg = {"awsAccountId": store.account_id, "configRuleName": rule_name, "configRuleARN": row[0] if row else None,
           "resourceType": rtype, "resourceId": rid, "awsRegion": region,
           "newEvaluationResult": _result(rule_name, rtype, rid, new[0], new[1], new[2], new[3], new[3]),
           "oldEvaluationResult": None if old is None else _result(rule_name, rtype, rid, old[0], old[1], old[2], old[3], old[3]),
           "notificationCreationTime": iso(_ms(when)), "messageType": "ComplianceChangeNotification",
           "recordVersion": "1.0"}  # fmt: skip
    notify(store, region, msg, f"[AWS Config:{region}] {rtype} {rid} is {new[0]} with {rule_name} in Account "
                               f"{store.account_id}", when, ch)  # fmt: skip


def snapshot_hours(ch: Mapping[str, Any] | None) -> int | None:
    freq = ((ch or {}).get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency")
    return FREQUENCY_HOURS.get(freq) if freq else None


def _recording(store: AccountStore, region: str) -> bool:
    return store.conn.execute("SELECT 1 FROM cfg_recorders WHERE region = ? AND recording = 1", (region,)).fetchone() is not None


def run_history(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Every 6 hours: the items recorded since the last delivery, stamped at the last period due (one run however
    many periods passed: the files cover everything new)."""
    if channel(store, key) is None:
        return None
    periods = int((now - due) / HISTORY_PERIOD)
    deliver_history(store, key, due + periods * HISTORY_PERIOD)
    return due + (periods + 1) * HISTORY_PERIOD


def run_snapshot(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    hours = snapshot_hours(channel(store, key))
    if hours is None:
        return None
    step = timedelta(hours=hours)
    periods = int((now - due) / step)
    if _recording(store, key):
        deliver_snapshot(store, key, due + periods * step)
    return due + (periods + 1) * step


def status(store: AccountStore, region: str, name: str, ch: Mapping[str, Any]) -> dict[str, Any]:
    """One DeliveryChannelStatus (DescribeDeliveryChannelStatus)."""
    from awsmon.backends.local import scheduler

    rows = {r["kind"]: r for r in store.conn.execute("SELECT * FROM cfg_delivery WHERE region = ?", (region,))}

    def info(kind: str, job: str | None) -> dict[str, Any]:
        r = rows.get(kind)
        out: dict[str, Any] = {"lastStatus": "Not_Applicable" if r is None or r["last_status"] is None else r["last_status"]}
        if r is not None:
            if r["last_error_code"]:
                out["lastErrorCode"] = r["last_error_code"]
                out["lastErrorMessage"] = r["last_error_message"]
            if r["last_attempt_ms"] is not None:
                out["lastAttemptTime"] = _dt(r["last_attempt_ms"])
            if r["last_success_ms"] is not None:
                out["lastSuccessfulTime"] = _dt(r["last_success_ms"])
        if job:
            nxt = scheduler.next_due(store, job, region)
            if nxt is not None:
                out["nextDeliveryTime"] = nxt
        return out

    stream = rows.get("stream")
    stream_info: dict[str, Any] = {"lastStatus": "Not_Applicable" if stream is None else stream["last_status"]}
    if stream is not None:
        if stream["last_error_code"]:
            stream_info["lastErrorCode"] = stream["last_error_code"]
            stream_info["lastErrorMessage"] = stream["last_error_message"]
        stream_info["lastStatusChangeTime"] = _dt(stream["last_attempt_ms"])
    return {"name": name, "configSnapshotDeliveryInfo": info("snapshot", "config.snapshot"),
            "configHistoryDeliveryInfo": info("history", "config.history"), "configStreamDeliveryInfo": stream_info}
