"""The local CloudWatch Synthetics service (``synthetics.amazonaws.com``): canaries, their lifecycle and runs.

Lifecycle on the simulated clock (one scheduler item ``synthetics.canary`` per canary): CreateCanary answers
CREATING and the canary is READY (or ERROR with a StateReason when its code cannot be fetched or its role does not
exist) at the next catch-up; StartCanary -> STARTING -> RUNNING; StopCanary -> STOPPING -> STOPPED. A run-once
canary (``rate(0 minute)``) and one whose ``DurationInSeconds`` has elapsed stop by themselves.

Runs: each due run requests the canary's URL(s) for real (urllib, the run-config timeout, capped) when the script is
one the local account understands (:func:`awsmon.engines.canary.plan_from_script`); a custom script's runs are
FAILED with a StateReason saying it is not executed. A catch-up probes each step once and records the due runs from
that probe, at most ``MAX_RUNS_PER_CATCH_UP`` of them and none older than ``CATCH_UP_WINDOW`` (the rest are not
recorded): advancing the clock a month never requests a URL thousands of times. The probe never runs inside a
write transaction: the scheduler's transaction claims the due runs (RUNNING runs with a lease), the probe runs
after it commits with no lock held, and a second short transaction completes them (see :func:`_claim_runs`). Each run publishes
CloudWatchSynthetics metrics (a ``datapoints`` fact) and writes its HAR-like request log and run report into the
artifact bucket through the local S3 service, as the canary's execution role. State changes and completed runs
are ``aws.synthetics`` EventBridge events (``event`` facts).
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from awsmon.backends.local import facts, scheduler
from awsmon.backends.local.base import LocalService, api, named_resource
from awsmon.engines import canary as eng
from awsmon.errors import ServiceError

JOB = "synthetics.canary"
MAX_RUNS_PER_CATCH_UP = 60
CATCH_UP_WINDOW = timedelta(hours=24)
PROBE_TIMEOUT_CAP = 30.0  # seconds per step
LEASE_MARGIN_S = 60.0  # a claim outlives its probe by this much before another catch-up may take the runs over
ROLE_ARN_RE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
NOT_EXECUTED = ("The local awsmon account does not execute custom canary scripts (only awsmon's heartbeat and api "
                "blueprints and AWS's heartbeat blueprint run locally); no request was made.")  # fmt: skip

scheduler.register(JOB, "awsmon.backends.local.synthetics:run_canary")


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _input_error(exc: eng.CanaryInputError) -> ServiceError:
    return validation(exc.message)


def _not_found(name: str) -> ServiceError:
    # [design choice] wording unverified: AWS answers ResourceNotFoundException for an unknown canary.
    return ServiceError("ResourceNotFoundException", f"Canary {name} does not exist.")


def _conflict(name: str, state: str, action: str) -> ServiceError:
    # AWS's DeleteCanary text is "Canary is in a state that can't be deleted: RUNNING" (quoted by aws-cdk's
    # integration tests and retried on by tools); start/stop/update follow the same pattern [approximation].
    return ServiceError("ConflictException", f"Canary is in a state that can't be {action}: {state}")


RESOURCE_ARN_RE = re.compile(r"arn:(aws[a-zA-Z-]*)?:synthetics:[a-z]{2,4}(-[a-z]{2,4})?-[a-z]+-\d{1}:\d{12}:"
                             r"(canary|group):[0-9a-z_\-]+")  # fmt: skip
TAG_KEY_RE = re.compile(r"^(?!aws:)[a-zA-Z+-=._:/]+$")  # botocore's TagKey pattern


def _bad_request(value: Any, param: str, rule: str) -> ServiceError:
    """The tagging calls' model-validation error (their model lists BadRequestException, not ValidationException)."""
    return ServiceError("BadRequestException", eng.constraint(value, param, rule).message)


def _check_tags(tags: Any) -> dict[str, str]:
    """A TagMap as botocore's model constrains it (1-50 entries, key 1-128 not aws:, value up to 256)."""
    if not isinstance(tags, dict) or not 1 <= len(tags) <= 50:
        raise _bad_request(tags, "tags", "Member must have length less than or equal to 50")  # fmt: skip
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not TAG_KEY_RE.match(key):
            raise _bad_request(key, "tags.key", "Member must satisfy regular expression pattern: "
                               + TAG_KEY_RE.pattern)  # fmt: skip
        if not isinstance(value, str) or len(value) > 256:
            raise _bad_request(value, f"tags.{key}", "Member must have length less than or equal to 256")  # fmt: skip
    return dict(tags)


def _int_in(value: Any, param: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(eng.constraint(value, param, "Member must be an integer").message)
    if not lo <= value <= hi:
        rule = f"Member must have value {'greater' if value < lo else 'less'} than or equal to {lo if value < lo else hi}"
        raise validation(eng.constraint(value, param, rule).message)
    return value


class LocalSynthetics(LocalService):
    service_name = "synthetics"
    event_source = "synthetics.amazonaws.com"

    def canary_arn(self, name: str) -> str:
        return f"arn:aws:synthetics:{self.region}:{self.account_id}:canary:{name}"

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        return named_resource("AWS::Synthetics::Canary", self.canary_arn, params.get("Name"))

    def record(self, op: str, params: Any, response: Any, read_only: bool, category: str = "Management",
               **kw: Any) -> dict[str, Any]:  # fmt: skip
        if params and isinstance(params.get("Code"), dict) and "ZipFile" in params["Code"]:
            params = {**params, "Code": {k: v for k, v in params["Code"].items() if k != "ZipFile"}}
        return super().record(op, params, response, read_only, category, **kw)

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _row(self, name: Any) -> Any:
        eng_name = self._name(name)
        row = self.conn.execute("SELECT * FROM synthetics_canaries WHERE region = ? AND name = ?",
                                (self.region, eng_name)).fetchone()  # fmt: skip
        if row is None:
            raise _not_found(eng_name)
        return row

    @staticmethod
    def _name(name: Any) -> str:
        try:
            return eng.check_name(name)
        except eng.CanaryInputError as exc:
            raise _input_error(exc) from None

    def _shape(self, row: Any) -> dict[str, Any]:
        out = json.loads(row["config"])
        status: dict[str, Any] = {"State": row["state"]}
        if row["state_reason"]:
            status["StateReason"] = row["state_reason"]
        if row["state_reason_code"]:
            status["StateReasonCode"] = row["state_reason_code"]
        timeline = {"Created": _dt(row["created_ms"]), "LastModified": _dt(row["modified_ms"])}
        if row["started_ms"] is not None:
            timeline["LastStarted"] = _dt(row["started_ms"])
        if row["stopped_ms"] is not None:
            timeline["LastStopped"] = _dt(row["stopped_ms"])
        out.update(Status=status, Timeline=timeline)
        return out

    def _code(self, Code: Any, name: str) -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
        """(Code output shape, local plan or None, creation error or None) for a CanaryCodeInput."""
        if not isinstance(Code, dict):
            raise validation("Code is required.")
        handler = Code.get("Handler")
        if not isinstance(handler, str) or len(handler) > 128 or not eng.HANDLER_RE.fullmatch(handler) or not handler:
            raise validation(eng.constraint(handler, "code.handler", "Member must satisfy regular expression pattern: "
                                            "^(([0-9a-zA-Z_-]+(\\/|\\.))*[0-9A-Za-z_\\\\-]+(\\.|::)[A-Za-z_][A-Za-z0-9_]*)?$"
                                            ).message)  # fmt: skip
        zipped, bucket, key = Code.get("ZipFile"), Code.get("S3Bucket"), Code.get("S3Key")
        bucket = bucket.removeprefix("s3://") if isinstance(bucket, str) else bucket
        if (zipped is None) == (bucket is None and key is None) or (zipped is None and not (bucket and key)):
            raise validation("Code must contain either ZipFile, or S3Bucket and S3Key.")
        error: str | None = None
        data: bytes | None = None
        if zipped is not None:
            data = zipped.encode() if isinstance(zipped, str) else bytes(zipped)
            if len(data) > 5 * 1024 * 1024:
                raise ServiceError("RequestEntityTooLargeException", "The ZipFile is larger than 5 MB.")
        else:
            try:
                got = facts.Reader(self.store, self.region, "s3").get_object(Bucket=bucket, Key=key)
                data = got["Body"].read()
            except ServiceError as exc:
                error = f"Unable to fetch the canary code from s3://{bucket}/{key}: {exc.code}: {exc.message}"
        plan: dict[str, Any] | None = None
        if data is not None:
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    for info in zf.infolist():
                        if info.filename.endswith((".js", ".mjs", ".py")) and info.file_size < 1_000_000:
                            plan = eng.plan_from_script(zf.read(info).decode("utf-8", "replace"))
                            if plan is not None:
                                break
            except zipfile.BadZipFile:
                error = "Unable to unzip the canary code: the code is not a .zip archive."
        fn = f"cwsyn-{name}-{uuid.uuid4()}"
        shape = {"SourceLocationArn": f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{fn}:1", "Handler": handler}
        return shape, plan, error

    def _role_error(self, role_arn: str) -> str | None:
        parts = role_arn.split(":")
        if len(parts) < 6 or parts[4] != self.account_id:
            return None  # another account's role: not ours to check
        try:
            facts.Reader(self.store, self.region, "iam").get_role(RoleName=role_arn.rpartition("/")[2])
        except ServiceError:
            return "The role defined for the function cannot be assumed by Lambda."  # Lambda's CreateFunction text
        return None

    def _settings(self, params: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """Validated Schedule / RunConfig / retention / runtime / artifact location (merged over ``current``)."""
        cur = current or {}
        out: dict[str, Any] = {}
        schedule_in = params.get("Schedule")
        if schedule_in is not None or current is None:
            if not isinstance(schedule_in, dict) or "Expression" not in schedule_in:
                raise validation("Schedule.Expression is required.")
            try:
                sched = eng.parse_schedule(schedule_in["Expression"])
            except eng.CanaryInputError as exc:
                raise _input_error(exc) from None
            duration = schedule_in.get("DurationInSeconds", 0) or 0
            duration = _int_in(duration, "schedule.durationInSeconds", 0, eng.DURATION_MAX)
            out["Schedule"] = {"Expression": sched.expression, "DurationInSeconds": duration}
        else:
            sched = eng.parse_schedule(cur["Schedule"]["Expression"])
        run_in = params.get("RunConfig")
        if run_in is not None and not isinstance(run_in, dict):
            raise validation("RunConfig must be a structure.")
        if run_in is not None or current is None or "Schedule" in out:
            run = dict(cur.get("RunConfig") or {})
            run_in = run_in or {}
            timeout = run_in.get("TimeoutInSeconds", run.get("TimeoutInSeconds") if current else None)
            timeout = eng.default_timeout(sched) if timeout is None else timeout
            timeout = _int_in(timeout, "runConfig.timeoutInSeconds", *eng.TIMEOUT_RANGE)
            if sched.period_seconds is not None and timeout > sched.period_seconds:
                raise validation(f"TimeoutInSeconds ({timeout}) can't be longer than the canary's frequency "
                                 f"({sched.period_seconds} seconds).")  # fmt: skip
            memory = _int_in(run_in.get("MemoryInMB", run.get("MemoryInMB", 1000)), "runConfig.memoryInMB",
                             *eng.MEMORY_RANGE)  # fmt: skip
            if memory % 64 and memory != 1000:  # 1000 is AWS's own default and accepted
                raise validation("MemoryInMB must be a multiple of 64.")
            tracing = run_in.get("ActiveTracing", run.get("ActiveTracing", False))
            out["RunConfig"] = {"TimeoutInSeconds": timeout, "MemoryInMB": memory, "ActiveTracing": bool(tracing)}
        for key, param in (("SuccessRetentionPeriodInDays", "successRetentionPeriodInDays"),
                           ("FailureRetentionPeriodInDays", "failureRetentionPeriodInDays")):  # fmt: skip
            if params.get(key) is not None:
                out[key] = _int_in(params[key], param, *eng.RETENTION_RANGE)
            elif current is None:
                out[key] = 31
        runtime = params.get("RuntimeVersion")
        if runtime is not None or current is None:
            if not isinstance(runtime, str) or runtime not in eng.RUNTIME_VERSIONS:
                # [design choice] wording unverified: AWS's text for a version it does not know was not found.
                raise validation(f"Invalid runtime version: {runtime}.")
            deprecated = eng.RUNTIME_VERSIONS[runtime][1]
            if deprecated is not None and deprecated <= self.now().date().isoformat():
                raise validation("Deprecated runtime version specified.")  # AWS's text (quoted in terraform #35456)
            out["RuntimeVersion"] = runtime
        location = params.get("ArtifactS3Location")
        if location is not None or current is None:
            if not isinstance(location, str) or not location.strip():
                raise validation(eng.constraint(location, "artifactS3Location",
                                                "Member must have length greater than or equal to 1").message)  # fmt: skip
            path = location.strip().removeprefix("s3://").strip("/")
            bucket = path.partition("/")[0]
            from awsmon.s3folder import bucket_name_problem

            if not bucket or "." in bucket or bucket_name_problem(bucket):
                raise validation(f"Invalid ArtifactS3Location: {location}. The Amazon S3 bucket name must be valid "
                                 "and can't include a period (.).")  # fmt: skip
            out["ArtifactS3Location"] = path
        role = params.get("ExecutionRoleArn")
        if role is not None or current is None:
            if not isinstance(role, str) or not ROLE_ARN_RE.fullmatch(role):
                raise validation(eng.constraint(role, "executionRoleArn", "Member must satisfy regular expression "
                                                "pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
                                                ).message)  # fmt: skip
            out["ExecutionRoleArn"] = role
        return out

    # -- operations -------------------------------------------------------------------------------------------------
    @api("CreateCanary")
    def create_canary(self, **params: Any) -> dict[str, Any]:
        missing = [k for k in ("Name", "Code", "ArtifactS3Location", "ExecutionRoleArn", "Schedule", "RuntimeVersion")
                   if params.get(k) is None]  # fmt: skip
        if missing:
            raise validation(f"Missing required parameter(s): {', '.join(missing)}.")
        name = self._name(params["Name"])
        settings = self._settings(params, None)
        code, plan, error = self._code(params["Code"], name)
        try:
            tags = _check_tags(params["Tags"]) if params.get("Tags") is not None else {}
        except ServiceError as exc:
            raise validation(exc.message) from None
        if self.conn.execute("SELECT 1 FROM synthetics_canaries WHERE region = ? AND name = ?",
                             (self.region, name)).fetchone():  # fmt: skip
            # [design choice] AWS answers a duplicate name with a ValidationException (no ConflictException is
            # modelled for CreateCanary); wording unverified.
            raise validation(f"Canary {name} already exists.")
        error = error or self._role_error(settings["ExecutionRoleArn"])
        canary_id = str(uuid.uuid4())
        fn = code["SourceLocationArn"].split(":layer:")[1].rsplit(":", 1)[0]
        config = {"Id": canary_id, "Name": name, "Code": code, **settings,
                  "EngineArn": f"arn:aws:lambda:{self.region}:{self.account_id}:function:{fn}:1",
                  "ProvisionedResourceCleanup": params.get("ProvisionedResourceCleanup") or "OFF", "Tags": tags}  # fmt: skip
        order = ["Id", "Name", "Code", "ExecutionRoleArn", "Schedule", "RunConfig", "SuccessRetentionPeriodInDays",
                 "FailureRetentionPeriodInDays", "ArtifactS3Location", "EngineArn", "RuntimeVersion",
                 "ProvisionedResourceCleanup", "Tags"]  # fmt: skip
        config = {k: config[k] for k in order}
        now = self.now()
        self.conn.execute(
            "INSERT INTO synthetics_canaries (region, name, canary_id, config, plan, create_error, state, "
            "state_reason_code, created_ms, modified_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (self.region, name, canary_id, json.dumps(config), None if plan is None else json.dumps(plan), error,
             "CREATING", "CREATE_PENDING", _ms(now), _ms(now)),
        )  # fmt: skip
        scheduler.schedule(self.store, JOB, f"{self.region}:{name}", now)
        return {"Canary": self._shape(self._row(name))}

    @api("DescribeRuntimeVersions")
    def describe_runtime_versions(self, *, NextToken: str | None = None, MaxResults: int | None = None,
                                  **kw: Any) -> dict[str, Any]:  # fmt: skip
        size = 100 if MaxResults is None else _int_in(MaxResults, "maxResults", 1, 100)
        versions = []
        for name, (description, deprecated) in eng.RUNTIME_VERSIONS.items():
            item: dict[str, Any] = {"VersionName": name, "Description": description}
            if deprecated is not None:
                item["DeprecationDate"] = datetime.fromisoformat(deprecated).replace(tzinfo=UTC)
            versions.append(item)
        return self._paged(versions, NextToken, size, "RuntimeVersions")

    def _tagged(self, ResourceArn: Any) -> Any:
        """The canary a tagging call names by ARN (groups are not simulated: NotFoundException)."""
        if not isinstance(ResourceArn, str) or not RESOURCE_ARN_RE.fullmatch(ResourceArn):
            raise _bad_request(ResourceArn, "resourceArn", "Member must satisfy regular expression pattern: "
                               + RESOURCE_ARN_RE.pattern)  # fmt: skip
        name = ResourceArn.rsplit(":", 1)[1]
        row = self.conn.execute("SELECT * FROM synthetics_canaries WHERE region = ? AND name = ?",
                                (self.region, name)).fetchone()  # fmt: skip
        if row is None or ResourceArn != self.canary_arn(name):
            # [design choice] wording unverified; the code is the one botocore's model lists for tagging calls.
            raise ServiceError("NotFoundException", f"Resource {ResourceArn} does not exist.")
        return row

    def _set_tags(self, row: Any, tags: dict[str, str]) -> None:
        config = json.loads(row["config"])
        config["Tags"] = tags
        self.conn.execute("UPDATE synthetics_canaries SET config = ? WHERE region = ? AND name = ?",
                          (json.dumps(config), self.region, row["name"]))  # fmt: skip

    @api("ListTagsForResource")
    def list_tags_for_resource(self, *, ResourceArn: str, **kw: Any) -> dict[str, Any]:
        return {"Tags": json.loads(self._tagged(ResourceArn)["config"]).get("Tags") or {}}

    @api("TagResource")
    def tag_resource(self, *, ResourceArn: str, Tags: dict[str, str], **kw: Any) -> dict[str, Any]:
        row = self._tagged(ResourceArn)
        merged = {**(json.loads(row["config"]).get("Tags") or {}), **_check_tags(Tags)}
        if len(merged) > 50:
            raise ServiceError("BadRequestException", "A resource can have at most 50 tags.")  # [design choice] wording
        self._set_tags(row, merged)
        return {}

    @api("UntagResource")
    def untag_resource(self, *, ResourceArn: str, TagKeys: list[str], **kw: Any) -> dict[str, Any]:
        row = self._tagged(ResourceArn)
        if not isinstance(TagKeys, list) or not 1 <= len(TagKeys) <= 50 or not all(isinstance(k, str) for k in TagKeys):
            raise _bad_request(TagKeys, "tagKeys", "Member must have length less than or equal to 50")  # fmt: skip
        self._set_tags(row, {k: v for k, v in (json.loads(row["config"]).get("Tags") or {}).items() if k not in TagKeys})
        return {}

    @api("GetCanary")
    def get_canary(self, *, Name: str, **kw: Any) -> dict[str, Any]:
        return {"Canary": self._shape(self._row(Name))}

    @staticmethod
    def _paged(items: list[Any], token: Any, size: int, key: str) -> dict[str, Any]:
        """One page of ``items`` under ``key``; the token is the offset of the next page."""
        if token is not None and (not isinstance(token, str) or not token.isdigit() or int(token) > len(items)):
            raise validation("The NextToken is not valid.")
        start = int(token or 0)
        out: dict[str, Any] = {key: items[start:start + size]}
        if start + size < len(items):
            out["NextToken"] = f"{start + size:04d}"
        return out

    def _names_filter(self, Names: Any) -> list[str] | None:
        if Names is None:
            return None
        if not isinstance(Names, list) or not 1 <= len(Names) <= 5:
            raise validation(eng.constraint(Names, "names", "Member must have length less than or equal to 5").message)
        return [self._name(n) for n in Names]

    def _listed(self, names: list[str] | None) -> list[Any]:
        rows = self.conn.execute("SELECT * FROM synthetics_canaries WHERE region = ? ORDER BY created_ms, name",
                                 (self.region,)).fetchall()  # fmt: skip
        return [r for r in rows if names is None or r["name"] in names]

    @api("DescribeCanaries")
    def describe_canaries(self, *, NextToken: str | None = None, MaxResults: int | None = None,
                          Names: list[str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        size = 20 if MaxResults is None else _int_in(MaxResults, "maxResults", 1, 20)
        rows = self._listed(self._names_filter(Names))
        return self._paged([self._shape(r) for r in rows], NextToken, size, "Canaries")

    @api("DescribeCanariesLastRun")
    def describe_canaries_last_run(self, *, NextToken: str | None = None, MaxResults: int | None = None,
                                   Names: list[str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        size = 100 if MaxResults is None else _int_in(MaxResults, "maxResults", 1, 100)
        last = [{"CanaryName": r["name"], "LastRun": self._last_run(r["name"])}
                for r in self._listed(self._names_filter(Names))]  # fmt: skip
        return self._paged([x for x in last if x["LastRun"] is not None], NextToken, size, "CanariesLastRun")

    def _last_run(self, name: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM synthetics_runs WHERE region = ? AND canary = ? "
                                "ORDER BY started_ms DESC, rowid DESC LIMIT 1", (self.region, name)).fetchone()  # fmt: skip
        return None if row is None else run_shape(row)

    @api("GetCanaryRuns")
    def get_canary_runs(self, *, Name: str, NextToken: str | None = None, MaxResults: int | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._row(Name)
        size = 100 if MaxResults is None else _int_in(MaxResults, "maxResults", 1, 100)
        runs = self.conn.execute("SELECT * FROM synthetics_runs WHERE region = ? AND canary = ? "
                                 "ORDER BY started_ms DESC, rowid DESC", (self.region, row["name"])).fetchall()  # fmt: skip
        return self._paged([run_shape(r) for r in runs], NextToken, size, "CanaryRuns")

    def _set_state(self, name: str, state: str, reason: str | None = None, code: str | None = None, *,
                   when: datetime | None = None, **times: int | None) -> None:  # fmt: skip
        """Move a canary to ``state``; a change of state is an EventBridge "Synthetics Canary Status Change"."""
        row = self.conn.execute("SELECT canary_id, state FROM synthetics_canaries WHERE region = ? AND name = ?",
                                (self.region, name)).fetchone()  # fmt: skip
        sets = ", ".join(["state = ?", "state_reason = ?", "state_reason_code = ?", *(f"{k} = ?" for k in times)])
        self.conn.execute(f"UPDATE synthetics_canaries SET {sets} WHERE region = ? AND name = ?",
                          (state, reason, code, *times.values(), self.region, name))  # fmt: skip
        if row is not None and row["state"] != state:
            when = when or self.now()
            emit_event(self.store, self.region, "Synthetics Canary Status Change", when, {
                "account-id": self.account_id, "canary-id": row["canary_id"], "canary-name": name,
                "current-state": state, "previous-state": row["state"], "source-location": "NULL",
                "updated-on": round(when.timestamp(), 3), "changed-config": {}, "message": "Canary status has changed"})  # fmt: skip

    def _transition(self, Name: Any, allowed: tuple[str, ...], state: str, action: str, **times: int) -> dict[str, Any]:
        """StartCanary / StopCanary: a transitional state now, the next one at the next catch-up."""
        row = self._row(Name)
        if row["state"] not in allowed:
            raise _conflict(row["name"], row["state"], action)
        self._set_state(row["name"], state, **times)
        scheduler.schedule(self.store, JOB, f"{self.region}:{row['name']}", self.now())
        return {}

    @api("StartCanary")
    def start_canary(self, *, Name: str, **kw: Any) -> dict[str, Any]:
        return self._transition(Name, ("READY", "STOPPED"), "STARTING", "started", started_ms=_ms(self.now()))

    @api("StopCanary")
    def stop_canary(self, *, Name: str, **kw: Any) -> dict[str, Any]:
        return self._transition(Name, ("RUNNING", "STARTING"), "STOPPING", "stopped")

    @api("DeleteCanary")
    def delete_canary(self, *, Name: str, DeleteLambda: bool | None = None, **kw: Any) -> dict[str, Any]:
        row = self._row(Name)
        if row["state"] in ("RUNNING", "STARTING", "STOPPING", "CREATING", "UPDATING"):
            raise _conflict(row["name"], row["state"], "deleted")
        # Runs and artifacts stay in the bucket, as AWS leaves them; the run history goes with the canary.
        self.conn.execute("DELETE FROM synthetics_canaries WHERE region = ? AND name = ?", (self.region, row["name"]))
        self.conn.execute("DELETE FROM synthetics_runs WHERE region = ? AND canary = ?", (self.region, row["name"]))
        scheduler.unschedule(self.store, JOB, f"{self.region}:{row['name']}")
        return {}

    @api("UpdateCanary")
    def update_canary(self, *, Name: str, **params: Any) -> dict[str, Any]:
        row = self._row(Name)
        if row["state"] in ("CREATING", "UPDATING", "STARTING", "STOPPING", "DELETING"):
            raise _conflict(row["name"], row["state"], "updated")
        config = json.loads(row["config"])
        config.update(self._settings(params, config))
        plan = row["plan"]
        if params.get("Code") is not None:
            code, new_plan, error = self._code(params["Code"], row["name"])
            if error:
                raise validation(error)
            config["Code"] = {**config["Code"], "Handler": code["Handler"]}
            plan = None if new_plan is None else json.dumps(new_plan)
        if "ExecutionRoleArn" in params and (role_error := self._role_error(config["ExecutionRoleArn"])):
            raise validation(role_error)
        self.conn.execute("UPDATE synthetics_canaries SET config = ?, plan = ?, modified_ms = ? "
                          "WHERE region = ? AND name = ?",
                          (json.dumps(config), plan, _ms(self.now()), self.region, row["name"]))  # fmt: skip
        if row["state"] == "RUNNING" and "Schedule" in params:  # the new schedule counts from now
            now = self.now()
            self._set_state(row["name"], "RUNNING", started_ms=_ms(now))
            first = eng.parse_schedule(config["Schedule"]["Expression"]).next_run(now, now)
            if first is not None:
                scheduler.schedule(self.store, JOB, f"{self.region}:{row['name']}", first)
        return {}


def run_shape(row: Any) -> dict[str, Any]:
    status: dict[str, Any] = {"State": row["state"]}
    if row["state_reason"]:
        status["StateReason"] = row["state_reason"]
    if row["state_reason_code"]:
        status["StateReasonCode"] = row["state_reason_code"]
    if row["test_result"]:
        status["TestResult"] = row["test_result"]
    timeline = {"Started": _dt(row["started_ms"])}
    if row["completed_ms"] is not None:
        timeline["Completed"] = _dt(row["completed_ms"])
    return {"Id": row["run_id"], "Name": row["canary"], "Status": status, "Timeline": timeline,
            "ArtifactS3Location": row["artifact"]}  # fmt: skip


def emit_event(store: Any, region: str, detail_type: str, when: datetime, detail: dict[str, Any]) -> None:
    """An ``aws.synthetics`` event on the default bus (the shapes of AWS's "Monitoring canary events" page)."""
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": "aws.synthetics",
             "account": store.account_id, "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "region": region, "resources": [], "detail": detail}  # fmt: skip
    facts.emit(store, region, "event", event=event, bus="default", when=when)


# -- the scheduler item: lifecycle transitions and runs -----------------------------------------------------------------
def run_canary(store: Any, key: str, due: datetime, now: datetime) -> datetime | None:
    region, _, name = key.partition(":")
    svc = LocalSynthetics(store, region)
    row = store.conn.execute("SELECT * FROM synthetics_canaries WHERE region = ? AND name = ?",
                             (region, name)).fetchone()  # fmt: skip
    if row is None:
        return None
    state = row["state"]
    config = json.loads(row["config"])
    sched = eng.parse_schedule(config["Schedule"]["Expression"])
    if state == "CREATING":
        if row["create_error"]:
            svc._set_state(name, "ERROR", row["create_error"], "CREATE_FAILED", when=due)
        else:
            svc._set_state(name, "READY", when=due)
        return None
    if state == "STOPPING":
        _claim_runs(store, region, row, config, [])  # runs whose catch-up died while probing them
        svc._set_state(name, "STOPPED", when=due, stopped_ms=_ms(due))
        return None
    started = _dt(row["started_ms"]) or due
    if state == "STARTING":
        svc._set_state(name, "RUNNING", when=due)
        first = sched.first_run(started)
        if first is None:
            return None
        if first > now:
            return first
        due = first
    elif state != "RUNNING":
        return None
    duration = int(config["Schedule"].get("DurationInSeconds") or 0)
    end = started + timedelta(seconds=duration) if duration else None
    until = now if end is None else min(now, end - timedelta(milliseconds=1))
    first = max(due, now - CATCH_UP_WINDOW)
    if first > due:  # runs older than the window: skip to the first scheduled run inside it
        nxt = sched.next_run(first - timedelta(milliseconds=1), started)
        first = nxt if nxt is not None else first
    runs, _ = sched.runs_between(first, until, started, MAX_RUNS_PER_CATCH_UP)
    _claim_runs(store, region, row, config, runs)
    nxt = None if sched.once else sched.next_run(max(until, runs[-1] if runs else until), started)
    if nxt is None or (end is not None and nxt >= end):
        stop_at = max(runs[-1] if sched.once and runs else (end if end is not None else now), due)
        svc._set_state(name, "STOPPED", when=stop_at, stopped_ms=_ms(stop_at))
        return None
    return nxt


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _claim_runs(store: Any, region: str, row: Any, config: dict[str, Any], runs: list[datetime]) -> None:
    """In the scheduler's transaction: record ``runs`` as RUNNING runs claimed by this catch-up (with any run whose
    earlier claim expired, its catch-up having died), and probe and complete them once the claim is committed.

    The probe waits for real HTTP answers (up to the run timeout, capped, per step): it must not hold the account's
    write lock, or a slow URL would block every other writer. The claim moves the job's due time in the same
    transaction, so a concurrent catch-up neither records these runs again nor waits for them."""
    name = row["name"]
    plan = json.loads(row["plan"]) if row["plan"] else None
    timeout = min(float(config["RunConfig"]["TimeoutInSeconds"]), PROBE_TIMEOUT_CAP)
    token = str(uuid.uuid4())
    lease = _wall_ms() + int((timeout * len(plan["steps"] if plan else []) + LEASE_MARGIN_S) * 1000)
    store.conn.execute("UPDATE synthetics_runs SET claim = ?, lease_until_ms = ? WHERE region = ? AND canary = ? "
                       "AND state = 'RUNNING' AND lease_until_ms < ?", (token, lease, region, name, _wall_ms()))  # fmt: skip
    for when in runs:
        bucket, prefix = eng.run_folder(config["ArtifactS3Location"], when)
        store.conn.execute(
            "INSERT INTO synthetics_runs (region, canary, run_id, state, started_ms, artifact, claim, lease_until_ms) "
            "VALUES (?,?,?,'RUNNING',?,?,?,?)", (region, name, str(uuid.uuid4()), _ms(when), f"{bucket}/{prefix}", token, lease),
        )  # fmt: skip
    if runs or store.conn.execute("SELECT 1 FROM synthetics_runs WHERE claim = ? LIMIT 1", (token,)).fetchone():
        scheduler.after_commit(lambda: _complete_runs(store, region, name, row["canary_id"], token, plan, config))


def _complete_runs(store: Any, region: str, name: str, canary_id: str, token: str, plan: dict[str, Any] | None,
                   config: dict[str, Any]) -> None:  # fmt: skip
    """With no lock held: probe each step once; then, in one short transaction, complete the claimed runs from that
    probe (a run deleted with its canary, or taken over after the lease expired, is left alone), publish their
    metrics and write their artifacts, each stamped with its run's own time."""
    timeout = min(float(config["RunConfig"]["TimeoutInSeconds"]), PROBE_TIMEOUT_CAP)
    responses = [] if plan is None else probe_steps(plan, timeout)
    outcome = None if plan is None else eng.evaluate(name, plan, responses)
    with store.transaction():
        claimed = store.conn.execute("SELECT run_id, started_ms, artifact FROM synthetics_runs WHERE region = ? AND "
                                     "canary = ? AND claim = ? AND state = 'RUNNING' ORDER BY started_ms",
                                     (region, name, token)).fetchall()  # fmt: skip
        for run_id, started_ms, artifact in claimed:
            when = _dt(started_ms)
            assert when is not None
            if outcome is None:
                state, reason, code, result, duration = "FAILED", NOT_EXECUTED, "CANARY_FAILURE", "UNKNOWN", 0.0
                metrics = [("SuccessPercent", {"CanaryName": name}, 0.0, "Percent"),
                           ("Failed", {"CanaryName": name}, 1.0, "Count")]  # fmt: skip
            else:
                state = "PASSED" if outcome.passed else "FAILED"
                reason, code = (None, None) if outcome.passed else (outcome.reason, "CANARY_FAILURE")
                result, duration, metrics = state, outcome.duration_ms, outcome.metrics
            completed = when + timedelta(milliseconds=duration)
            report = {"canaryName": name, "canaryRunId": run_id, "artifactLocation": artifact,
                      "startTime": when.isoformat(), "endTime": completed.isoformat(), "status": state,
                      "stateReason": reason, "steps": [] if outcome is None else outcome.steps}  # fmt: skip
            files = [(f"SyntheticsReport-{state}.json", report)]
            if outcome is not None:
                files.append(("requests.har.json", eng.har_log(when, responses)))
            bucket, _, prefix = artifact.partition("/")
            with store.as_of(completed):  # S3 LastModified and the PutObject records: the run's own time
                upload_error = _upload(store, region, config["ExecutionRoleArn"], name, bucket, prefix, files)
            if upload_error and code is None:
                state, reason, code = "FAILED", upload_error, "EXECUTION_FAILURE"
            store.conn.execute(
                "UPDATE synthetics_runs SET state = ?, state_reason = ?, state_reason_code = ?, test_result = ?, "
                "completed_ms = ?, claim = NULL, lease_until_ms = NULL WHERE region = ? AND canary = ? AND run_id = ?",
                (state, reason, code, result, _ms(completed), region, name, run_id),
            )  # fmt: skip
            emit_event(store, region, f"Synthetics Canary TestRun {'Successful' if state == 'PASSED' else 'Failure'}",
                       completed, {"account-id": store.account_id, "canary-id": canary_id, "canary-name": name,
                                   "canary-run-id": run_id, "artifact-location": artifact,
                                   "test-run-status": state, "state-reason": reason or "null",
                                   "canary-run-timeline": {"started": int(when.timestamp()),
                                                           "completed": int(completed.timestamp())},
                                   "message": "Test run result is generated successfully"})  # fmt: skip
            for metric, dims, value, unit in metrics:
                facts.emit(store, region, "datapoints", namespace="CloudWatchSynthetics", metric_name=metric,
                           dimensions=dims, timestamp=when, values=[value], counts=None, unit=unit,
                           storage_resolution=60)  # fmt: skip
        if claimed:
            _expire_runs(store, region, name, config, _dt(claimed[-1][1]))  # type: ignore[arg-type]


def _upload(store: Any, region: str, role: str, name: str, bucket: str, prefix: str,
            files: list[tuple[str, Any]]) -> str | None:  # fmt: skip
    """Write a run's artifacts as the canary's role (S3 data events); the error text when the bucket refuses."""
    s3 = facts.api_client(store, region, "s3")
    try:
        with facts.acting_as(role, name):
            for filename, doc in files:
                s3.put_object(Bucket=bucket, Key=f"{prefix}/{filename}", Body=json.dumps(doc, indent=2).encode(),
                              ContentType="application/json")  # fmt: skip
    except ServiceError as exc:
        return f"Unable to upload the run's artifacts to s3://{bucket}/{prefix}: {exc.code}: {exc.message}"
    return None


def _expire_runs(store: Any, region: str, name: str, config: dict[str, Any], now: datetime) -> None:
    """Runs older than the retention periods (SuccessRetentionPeriodInDays / FailureRetentionPeriodInDays) go."""
    for states, days in ((("PASSED",), config["SuccessRetentionPeriodInDays"]),
                         (("FAILED",), config["FailureRetentionPeriodInDays"])):  # fmt: skip
        cutoff = _ms(now - timedelta(days=int(days)))
        store.conn.execute(f"DELETE FROM synthetics_runs WHERE region = ? AND canary = ? AND started_ms < ? "
                           f"AND state IN ({','.join('?' * len(states))})", (region, name, cutoff, *states))  # fmt: skip


# -- the probe: real HTTP requests ------------------------------------------------------------------------------------
def probe_steps(plan: dict[str, Any], timeout: float) -> list[eng.Response]:
    """Request each step in order, stopping after the first failing one (a Synthetics script stops there)."""
    out: list[eng.Response] = []
    for step in plan["steps"]:
        resp = probe(step, timeout)
        out.append(resp)
        if eng.step_failure(plan["kind"], step, resp) is not None:
            break
    return out


def probe(step: dict[str, Any], timeout: float) -> eng.Response:
    """One real request with urllib; network errors are reported in the browser runtime's words."""
    import urllib.error
    import urllib.parse
    import urllib.request

    url, method = step["url"], step["method"]
    headers = {"User-Agent": "CloudWatchSynthetics/awsmon", **step.get("headers", {})}
    body = step.get("body")
    data = None if body is None else str(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    started = time.perf_counter()
    resp = eng.Response(method, url, None, request_headers=headers, body_size=len(data or b""))
    # Loopback URLs never go through an HTTP(S)_PROXY of the environment (a canary of a local server must reach it).
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}) if host in _LOOPBACK
                                         else urllib.request.ProxyHandler())  # fmt: skip
    try:
        with opener.open(req, timeout=timeout) as r:  # http(s) URLs only: checked at creation
            payload = r.read(1_000_000)
            resp.status, resp.reason = r.status, r.reason or ""
            resp.response_headers = dict(r.headers.items())
            resp.size, resp.mime = len(payload), r.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        payload = exc.read(1_000_000) if exc.fp is not None else b""
        resp.status, resp.reason = exc.code, str(exc.reason or "")
        resp.response_headers = dict(exc.headers.items()) if exc.headers else {}
        resp.size = len(payload)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        resp.error = _network_error(exc, url, timeout)
    resp.elapsed_ms = (time.perf_counter() - started) * 1000
    return resp


def _network_error(exc: BaseException, url: str, timeout: float) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason):
        return f"TimeoutError: Navigation timeout of {int(timeout * 1000)} ms exceeded"
    if isinstance(reason, ConnectionRefusedError):
        return f"net::ERR_CONNECTION_REFUSED at {url}"
    if isinstance(reason, socket.gaierror):
        return f"net::ERR_NAME_NOT_RESOLVED at {url}"
    if isinstance(reason, ConnectionResetError):
        return f"net::ERR_CONNECTION_RESET at {url}"
    return f"net::ERR_FAILED at {url} ({reason})"
