"""CloudWatch Logs export tasks to S3 (a mixin of the local logs service; shared/specs/logs.md §3.5).

CreateExportTask checks what AWS checks before accepting a task: the bucket exists, is in the account, and its bucket
policy lets the service principal ``logs.<region>.amazonaws.com`` call ``s3:GetBucketAcl`` on the bucket and
``s3:PutObject`` on its objects (AWS's InvalidParameterException texts otherwise); then it writes
``<prefix>/aws-logs-write-test`` as AWS does. At most one task per account is PENDING or RUNNING
(LimitExceededException). [design choice: AWS documents no timing] the task turns RUNNING 5 seconds after creation
and COMPLETED 10 seconds later on the simulated clock, writing one object per log stream with events in the range
(``from`` and ``to`` inclusive): ``<prefix>/<task-id>/<stream>/000000.gz``, gzip lines ``<ISO timestamp> <message>``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from awsmon.backends.local import facts, scheduler
from awsmon.backends.local.base import api
from awsmon.engines.resource_policy import service_allowed
from awsmon.errors import ServiceError

scheduler.register("logs.export", "awsmon.backends.local.logs_export:run_export")

PENDING_S = 5
RUNNING_S = 10
ACTIVE = ("PENDING", "RUNNING")
STATUS_CODES = ("CANCELLED", "COMPLETED", "FAILED", "PENDING", "PENDING_CANCEL", "RUNNING")
NO_BUCKET = "The given bucket does not exist. Please make sure the bucket is valid."
ACL_DENIED = ("GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted "
              "permission to perform this operation.")  # fmt: skip
PUT_DENIED = ("PutObject call on the given bucket failed. Please check if CloudWatch Logs has been granted "
              "permission to perform this operation.")  # fmt: skip
TASK_MISSING = "The specified export task does not exist."


class ExportMixin:
    """CreateExportTask / DescribeExportTasks / CancelExportTask."""

    conn: Any
    store: Any
    region: str

    def _task_dict(self, r: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"taskId": r["task_id"]}
        if r["name"]:
            out["taskName"] = r["name"]
        out.update({"logGroupName": r["group_name"], "from": r["from_ms"], "to": r["to_ms"], "destination": r["bucket"],
                    "destinationPrefix": r["prefix"], "status": {"code": r["status"]}})  # fmt: skip
        if r["message"]:
            out["status"]["message"] = r["message"]
        info: dict[str, Any] = {"creationTime": r["created_ms"]}
        if r["completed_ms"] is not None:
            info["completionTime"] = r["completed_ms"]
        out["executionInfo"] = info
        return out

    @api("CreateExportTask")
    def create_export_task(self, *, logGroupName: str, destination: str, to: int, taskName: str | None = None,
                           logStreamNamePrefix: str | None = None, destinationPrefix: str | None = None,
                           **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.logs_common import _as_ms, constraint_error, invalid, validate_group_name

        start = _as_ms(kw.get("from", kw.get("fromTime")), "from")
        end = _as_ms(to, "to")
        validate_group_name(logGroupName)
        if start is None:
            raise constraint_error(None, "from", "Member must not be null")
        if end is None or start > end:
            raise invalid(f"Specified time range of '{start}' and '{end}' is not valid. Please make sure the values "
                          "are within the retention period of the log group and from value is less than the to value")  # fmt: skip
        if not isinstance(destination, str) or not 1 <= len(destination) <= 512:
            raise constraint_error(destination, "destination", "Member must have length less than or equal to 512")
        prefix = "exportedlogs" if destinationPrefix is None else str(destinationPrefix)
        self._group(logGroupName)  # type: ignore[attr-defined]
        s3 = facts.Reader(self.store, self.region, "s3")
        try:
            s3.head_bucket(Bucket=destination)
        except ServiceError:
            raise invalid(NO_BUCKET) from None
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=destination)["Policy"])
        except (ServiceError, ValueError):
            policy = {}
        principal = f"logs.{self.region}.amazonaws.com"
        if not service_allowed(policy, principal, "s3:GetBucketAcl", f"arn:aws:s3:::{destination}"):
            raise invalid(ACL_DENIED)
        test_key = f"{prefix}/aws-logs-write-test" if prefix else "aws-logs-write-test"
        if not service_allowed(policy, principal, "s3:PutObject", f"arn:aws:s3:::{destination}/{test_key}"):
            raise invalid(PUT_DENIED)
        busy = self.conn.execute("SELECT 1 FROM log_export_tasks WHERE status IN ('PENDING', 'RUNNING') LIMIT 1").fetchone()
        if busy:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        facts.api_client(self.store, self.region, "s3").put_object(Bucket=destination, Key=test_key,
                                                                    Body=b"Permission Check Successful")  # fmt: skip
        task_id = str(uuid.uuid4())
        now = self.now()  # type: ignore[attr-defined]
        self.conn.execute(
            "INSERT INTO log_export_tasks (task_id, region, name, group_name, stream_prefix, from_ms, to_ms, bucket, "
            "prefix, status, message, created_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (task_id, self.region, taskName, logGroupName, logStreamNamePrefix, start, end, destination, prefix,
             "PENDING", "Pending", int(now.timestamp() * 1000)),  # fmt: skip
        )
        scheduler.schedule(self.store, "logs.export", task_id, now + timedelta(seconds=PENDING_S))
        return {"taskId": task_id}

    @api("DescribeExportTasks")
    def describe_export_tasks(self, *, taskId: str | None = None, statusCode: str | None = None,
                              nextToken: str | None = None, limit: int | None = None,
                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.logs_common import constraint_error

        if statusCode is not None and statusCode not in STATUS_CODES:
            raise constraint_error(statusCode, "statusCode",
                                   "Member must satisfy enum value set: [" + ", ".join(STATUS_CODES) + "]")  # fmt: skip
        sql, args = "SELECT * FROM log_export_tasks WHERE region = ?", [self.region]
        if taskId:
            sql, args = sql + " AND task_id = ?", [*args, taskId]
        if statusCode:
            sql, args = sql + " AND status = ?", [*args, statusCode]
        rows = self.conn.execute(sql + " ORDER BY created_ms DESC, task_id", args).fetchall()
        return {"exportTasks": [self._task_dict(r) for r in rows]}

    @api("CancelExportTask")
    def cancel_export_task(self, *, taskId: str, **kw: Any) -> dict[str, Any]:
        row = self.conn.execute("SELECT status FROM log_export_tasks WHERE task_id = ? AND region = ?",
                                (taskId, self.region)).fetchone()  # fmt: skip
        if row is None:
            raise ServiceError("ResourceNotFoundException", TASK_MISSING)
        if row["status"] not in ACTIVE:
            raise ServiceError("InvalidOperationException", "The specified export task has already finished")
        self.conn.execute("UPDATE log_export_tasks SET status = 'CANCELLED', message = 'Cancelled by user', "
                          "completed_ms = ? WHERE task_id = ?",
                          (int(self.now().timestamp() * 1000), taskId))  # type: ignore[attr-defined]  # fmt: skip
        scheduler.unschedule(self.store, "logs.export", taskId)
        return {}


def run_export(store: Any, key: str, due: datetime, now: datetime) -> datetime | None:
    """A task's next step on the clock: PENDING -> RUNNING, then the objects are written and it is COMPLETED."""
    conn = store.conn
    task = conn.execute("SELECT * FROM log_export_tasks WHERE task_id = ?", (key,)).fetchone()
    if task is None or task["status"] not in ACTIVE:
        return None
    if task["status"] == "PENDING":
        conn.execute("UPDATE log_export_tasks SET status = 'RUNNING', message = 'Started successfully' "
                     "WHERE task_id = ?", (key,))  # fmt: skip
        return due + timedelta(seconds=RUNNING_S)
    g = conn.execute("SELECT id FROM log_groups WHERE region = ? AND name = ?",
                     (task["region"], task["group_name"])).fetchone()  # fmt: skip
    s3 = facts.api_client(store, task["region"], "s3")
    if g is not None:
        prefix = task["stream_prefix"] or ""
        streams = conn.execute(
            "SELECT id, name FROM log_streams WHERE group_id = ? AND substr(name, 1, ?) = ? ORDER BY name",
            (g["id"], len(prefix), prefix),
        ).fetchall()
        for st in streams:
            rows = conn.execute(
                # A data protection policy masks at every egress point, export included.
                "SELECT ts, coalesce(masked, message) AS message FROM log_events WHERE group_id = ? AND stream_id = ? "
                "AND ts BETWEEN ? AND ? "
                "ORDER BY ts, seq",
                (g["id"], st["id"], task["from_ms"], task["to_ms"]),
            ).fetchall()
            if not rows:
                continue
            lines = "".join(
                f"{datetime.fromtimestamp(r['ts'] / 1000, UTC):%Y-%m-%dT%H:%M:%S.}{r['ts'] % 1000:03d}Z {r['message']}\n"
                for r in rows
            )
            obj = f"{task['prefix']}/{key}/{st['name']}/000000.gz".lstrip("/")
            try:
                s3.put_object(Bucket=task["bucket"], Key=obj, Body=_gzip(lines.encode()))
            except ServiceError as exc:
                conn.execute("UPDATE log_export_tasks SET status = 'FAILED', message = ?, completed_ms = ? "
                             "WHERE task_id = ?", (exc.message, int(due.timestamp() * 1000), key))  # fmt: skip
                return None
    conn.execute("UPDATE log_export_tasks SET status = 'COMPLETED', message = 'Completed successfully', "
                 "completed_ms = ? WHERE task_id = ?", (int(due.timestamp() * 1000), key))  # fmt: skip
    return None


def _gzip(data: bytes) -> bytes:
    import gzip  # here, not at the top: every `logs` command imports this module (start-up)

    return gzip.compress(data, mtime=0)
