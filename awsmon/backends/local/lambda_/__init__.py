"""The local Lambda service (``lambda.amazonaws.com``): functions whose Python handlers really run.

* A function's zip is kept in the account database; on invocation it is extracted once per code digest into a
  private cache folder of the account (``lambda/cache/<sha256>``, mode 0700) and the handler runs in a child
  process under the current interpreter (``runner.py``/``bootstrap.py``), one process per invocation.
* Everything AWS would write follows: the function's prints, ``logging`` records and uncaught exceptions, between
  START/END/REPORT lines, in log group ``/aws/lambda/<name>`` and stream ``YYYY/MM/DD/[$LATEST]<32 hex>``; the
  AWS/Lambda metrics Invocations, Errors, Duration, Throttles and ConcurrentExecutions (dimension FunctionName); a
  configuration item for Config (fact ``resource_changed``); Invoke is a *data* event (category ``Data``).
* boto3 calls made inside the handler are answered by this local account (see ``bootstrap.py``), made as the
  function's execution role (an AssumedRole session named after the function).
* Other runtimes are stored and listed but not run: Invoke answers a function error ``Runtime.Unsupported``
  [design choice, documented in docs/lambda.md].
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import secrets
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from awsmon.backends.local import facts
from awsmon.backends.local.base import LocalService, api, config_camel
from awsmon.errors import ServiceError

_NAME_RE = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:)?(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d{1}):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)
_ROLE_RE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_HANDLER_RE = re.compile(r"^[^\s]+$")
_SID_RE = re.compile(r"^([a-zA-Z0-9-_.]+)$")
PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
OTHER_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "java8.al2", "java11", "java17", "java21", "java25",
                  "dotnet8", "dotnet10", "ruby3.2", "ruby3.3", "ruby3.4", "provided.al2", "provided.al2023",
                  "nodejs24.x")  # fmt: skip
# Runtimes AWS no longer accepts for new functions or code updates (the deprecation policy's last phase).
BLOCKED_RUNTIMES = ("python2.7", "python3.6", "python3.7", "python3.8", "nodejs", "nodejs4.3", "nodejs4.3-edge",
                    "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "java8",
                    "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet7",
                    "ruby2.5", "ruby2.7", "go1.x", "provided")  # fmt: skip
_SUCCESSOR = {"python": "python3.13", "nodejs": "nodejs22.x", "java": "java21", "dotnet": "dotnet8", "ruby": "ruby3.4",
              "go": "provided.al2023", "provided": "provided.al2023"}  # fmt: skip
MAX_ZIP_BYTES = 50 * 1024 * 1024  # direct upload limit (ZipFile)
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128
MAX_PAYLOAD = 6 * 1024 * 1024  # synchronous request and response payloads
MAX_ASYNC_PAYLOAD = 1024 * 1024  # asynchronous (Event) payloads: 1 MB since 2025


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _validation(value: Any, field: str, constraint: str) -> ServiceError:
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}",
    )


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def _last_modified(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def parse_function_name(value: Any) -> tuple[str, str | None, str | None]:
    """(name, region, qualifier) from a function name, partial ARN or ARN; ValidationException otherwise."""
    m = _NAME_RE.match(value) if isinstance(value, str) else None
    if m is None:
        raise _validation(value, "functionName",
                          "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
                          "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
                          "(:(\\$LATEST|[a-zA-Z0-9-_]+))?")  # fmt: skip
    return m.group("name"), m.group("region"), m.group("qualifier")


def _check_runtime(runtime: Any) -> str:
    if runtime in PYTHON_RUNTIMES or runtime in OTHER_RUNTIMES:
        return str(runtime)
    if runtime in BLOCKED_RUNTIMES:
        family = re.match(r"[a-z]+", str(runtime)).group(0)  # type: ignore[union-attr]
        raise _invalid(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            f"functions. We recommend you use the new runtime ({_SUCCESSOR.get(family, 'python3.13')}) while "
            "creating or updating functions."
        )
    allowed = sorted(set(PYTHON_RUNTIMES + OTHER_RUNTIMES + BLOCKED_RUNTIMES))
    raise _validation(runtime, "runtime", f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _check_zip(data: Any) -> tuple[bytes, str, int]:
    """The package bytes, its CodeSha256 (base64) and size; InvalidParameterValueException if not a usable zip."""
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes | bytearray) or not data:
        raise _invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
    data = bytes(data)
    if len(data) > MAX_ZIP_BYTES:
        raise ServiceError("RequestEntityTooLargeException",
                           f"Request must be smaller than {MAX_ZIP_BYTES} bytes for the CreateFunction operation",
                           status=413)  # fmt: skip
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _invalid("Could not unzip uploaded file. Please check your file, then try to upload again.") from None
    if bad is not None:
        raise _invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
    if total > MAX_UNZIPPED_BYTES:
        raise _invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode(), len(data)


def _check_int(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _validation(value, field, f"Member must have value greater than or equal to {lo}")
    if value < lo:
        raise _validation(value, field, f"Member must have value greater than or equal to {lo}")
    if value > hi:
        raise _validation(value, field, f"Member must have value less than or equal to {hi}")
    return value


def _check_environment(env: Any) -> dict[str, str]:
    variables = (env or {}).get("Variables") or {}
    if not isinstance(variables, dict):
        raise _invalid("Environment variables must be a map of names to values")
    reserved = {"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
                "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}  # fmt: skip
    out: dict[str, str] = {}
    for k, v in variables.items():
        if not isinstance(k, str) or not re.fullmatch(r"[a-zA-Z]([a-zA-Z0-9_])+", k):
            raise _validation("[" + ", ".join(variables) + "]", "environment.variables",
                              "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
                              "[a-zA-Z]([a-zA-Z0-9_])+]")  # fmt: skip
        if k in reserved:
            raise _invalid(f"Lambda was unable to configure your environment variables because the environment "
                           f"variables you have provided contains reserved keys that are currently not supported "
                           f"for modification. Reserved keys used in this request: {k}")  # fmt: skip
        out[k] = "" if v is None else str(v)
    if len(json.dumps(out)) > 4096:
        raise _invalid("Lambda was unable to configure your environment variables because the environment "
                       "variables you have provided exceeded the 4KB limit.")  # fmt: skip
    return out


def log_stream_name(when: datetime) -> str:
    """A new execution environment's stream: ``YYYY/MM/DD/[$LATEST]<32 hex>``."""
    return when.astimezone(UTC).strftime("%Y/%m/%d/") + "[$LATEST]" + secrets.token_hex(16)


def report_line(request_id: str, duration_ms: float, memory_mb: int, max_used_mb: int, init_ms: float | None,
                timed_out: bool = False) -> str:  # fmt: skip
    """AWS's REPORT line: tab-separated fields, each followed by a tab; billed duration rounds up to 1 ms."""
    billed = max(1, -(-int(duration_ms * 1000) // 1000))
    parts = [f"REPORT RequestId: {request_id}", f"Duration: {duration_ms:.2f} ms", f"Billed Duration: {billed} ms",
             f"Memory Size: {memory_mb} MB", f"Max Memory Used: {max_used_mb} MB"]  # fmt: skip
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if timed_out:
        parts.append("Status: timeout")
    return "\t".join(parts) + "\t"


class LocalLambda(LocalService):
    service_name = "lambda"
    event_source = "lambda.amazonaws.com"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _row(self, function_name: Any) -> Any:
        name, region, _qualifier = parse_function_name(function_name)
        row = self.conn.execute(
            "SELECT * FROM lambda_functions WHERE region = ? AND name = ?", (region or self.region, name)
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException",
                               f"Function not found: {self.function_arn(name)}", status=404)  # fmt: skip
        return row

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        value = params.get("FunctionName")
        if not value:
            return []
        try:
            name = parse_function_name(value)[0]
        except ServiceError:
            return []
        return [{"type": "AWS::Lambda::Function", "ARN": self.function_arn(name), "name": name}]

    def _changed(self, name: str, config: dict[str, Any] | None, tags: dict[str, str] | None = None) -> None:
        role = (config or {}).get("Role") or ""
        relationships = []
        if role:
            relationships.append({"resourceType": "AWS::IAM::Role", "resourceName": role.rsplit("/", 1)[-1],
                                  "relationshipName": "Is associated with "})  # fmt: skip
        facts.emit(self.store, self.region, "resource_changed", resource_type="AWS::Lambda::Function",
                   resource_id=name, resource_name=name, arn=self.function_arn(name), configuration=config,
                   tags=tags or {}, relationships=relationships, when=self.now())  # fmt: skip

    # -- functions ------------------------------------------------------------------------------------------------
    @api("CreateFunction")
    def create_function(self, *, FunctionName: str, Role: str, Code: dict[str, Any], Runtime: str | None = None,
                        Handler: str | None = None, Description: str = "", Timeout: int = DEFAULT_TIMEOUT,
                        MemorySize: int = DEFAULT_MEMORY, Environment: dict[str, Any] | None = None,
                        Tags: dict[str, str] | None = None, Publish: bool = False, PackageType: str = "Zip",
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not isinstance(FunctionName, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", FunctionName):
            parse_function_name(FunctionName)  # an ARN: accepted by AWS only with this account and Region
        name = parse_function_name(FunctionName)[0]
        if not isinstance(Role, str) or not _ROLE_RE.match(Role):
            raise _validation(Role, "role", "Member must satisfy regular expression pattern: "
                              "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")  # fmt: skip
        if PackageType != "Zip":
            raise _invalid("Container images (PackageType Image) are not supported by the local account")
        runtime = _check_runtime(Runtime)
        if not isinstance(Handler, str) or not _HANDLER_RE.match(Handler) or len(Handler) > 128:
            if Handler is None:
                raise _invalid("Handler cannot be empty when Runtime is specified")
            raise _validation(Handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+")
        timeout = _check_int(Timeout, "timeout", 1, 900)
        memory = _check_int(MemorySize, "memorySize", 128, 10240)
        if len(Description or "") > 256:
            raise _validation(Description, "description", "Member must have length less than or equal to 256")
        variables = _check_environment(Environment)
        if not isinstance(Code, dict) or "ZipFile" not in Code:
            raise _invalid("Please provide a source for function code.")
        data, sha, size = _check_zip(Code.get("ZipFile"))
        if self.conn.execute("SELECT 1 FROM lambda_functions WHERE region = ? AND name = ?",
                             (self.region, name)).fetchone():  # fmt: skip
            raise ServiceError("ResourceConflictException", f"Function already exist: {name}", status=409)
        now = self.now()
        config: dict[str, Any] = {
            "FunctionName": name,
            "FunctionArn": self.function_arn(name),
            "Runtime": runtime,
            "Role": Role,
            "Handler": Handler,
            "CodeSize": size,
            "Description": Description or "",
            "Timeout": timeout,
            "MemorySize": memory,
            "LastModified": _last_modified(now),
            "CodeSha256": sha,
            "Version": "$LATEST",
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": str(uuid.uuid4()),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": list(kw.get("Architectures") or ["x86_64"]),
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
        }
        if variables:
            config["Environment"] = {"Variables": variables}
        self.conn.execute(
            "INSERT INTO lambda_functions (region, name, arn, config, code, policy, tags) VALUES (?,?,?,?,?,?,?)",
            (self.region, name, config["FunctionArn"], json.dumps(config), data, None, json.dumps(Tags or {})),
        )
        self._changed(name, config, Tags)
        return config

    @api("GetFunction")
    def get_function(self, *, FunctionName: str, Qualifier: str | None = None, **kw: Any) -> dict[str, Any]:
        row = self._row(FunctionName)
        out: dict[str, Any] = {
            "Configuration": json.loads(row["config"]),
            "Code": {"RepositoryType": "S3", "Location": self._code_location(row)},
        }
        tags = json.loads(row["tags"])
        if tags:
            out["Tags"] = tags
        return out

    def _code_location(self, row: Any) -> str:
        """A local file URL standing for AWS's pre-signed download link (the extracted package's zip)."""
        return (self._cache_dir(row) / ".package.zip").as_uri()

    @api("GetFunctionConfiguration")
    def get_function_configuration(self, *, FunctionName: str, Qualifier: str | None = None, **kw: Any) -> dict[str, Any]:
        return dict(json.loads(self._row(FunctionName)["config"]))

    @api("ListFunctions")
    def list_functions(self, *, Marker: str | None = None, MaxItems: int | None = None, **kw: Any) -> dict[str, Any]:
        limit = 50 if MaxItems is None else _check_int(MaxItems, "maxItems", 1, 10000)
        rows = self.conn.execute(
            "SELECT name, config FROM lambda_functions WHERE region = ? AND name > ? ORDER BY name LIMIT ?",
            (self.region, Marker or "", limit + 1),
        ).fetchall()
        out: dict[str, Any] = {"Functions": [json.loads(r["config"]) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextMarker"] = rows[limit - 1]["name"]
        return out

    @api("DeleteFunction")
    def delete_function(self, *, FunctionName: str, Qualifier: str | None = None, **kw: Any) -> dict[str, Any]:
        row = self._row(FunctionName)
        self.conn.execute("DELETE FROM lambda_functions WHERE region = ? AND name = ?", (row["region"], row["name"]))
        self._changed(row["name"], None)
        return {}

    @api("UpdateFunctionCode")
    def update_function_code(self, *, FunctionName: str, ZipFile: bytes | None = None, Publish: bool = False,
                             RevisionId: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._row(FunctionName)
        config = json.loads(row["config"])
        if RevisionId is not None and RevisionId != config["RevisionId"]:
            raise ServiceError("PreconditionFailedException",
                               "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/"
                               "GetAlias API to retrieve the latest Revision Id", status=412)  # fmt: skip
        if ZipFile is None:
            raise _invalid("Please provide a source for function code.")
        data, sha, size = _check_zip(ZipFile)
        config.update({"CodeSha256": sha, "CodeSize": size, "LastModified": _last_modified(self.now()),
                       "RevisionId": str(uuid.uuid4()), "LastUpdateStatus": "Successful"})  # fmt: skip
        self.conn.execute("UPDATE lambda_functions SET config = ?, code = ? WHERE region = ? AND name = ?",
                          (json.dumps(config), data, row["region"], row["name"]))  # fmt: skip
        self._changed(row["name"], config, json.loads(row["tags"]))
        return config

    # -- resource-based policy ------------------------------------------------------------------------------------
    @api("AddPermission")
    def add_permission(self, *, FunctionName: str, StatementId: str, Action: str, Principal: str,
                       SourceArn: str | None = None, SourceAccount: str | None = None,
                       Qualifier: str | None = None, RevisionId: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._row(FunctionName)
        if not isinstance(StatementId, str) or not _SID_RE.match(StatementId) or len(StatementId) > 100:
            raise _validation(StatementId, "statementId", "Member must satisfy regular expression pattern: "
                              "([a-zA-Z0-9-_.]+)")  # fmt: skip
        if not isinstance(Action, str) or not re.fullmatch(r"(lambda:[*]|lambda:[a-zA-Z]+|[*])", Action):
            raise _validation(Action, "action", "Member must satisfy regular expression pattern: "
                              "(lambda:[*]|lambda:[a-zA-Z]+|[*])")  # fmt: skip
        policy = json.loads(row["policy"]) if row["policy"] else {"Version": "2012-10-17", "Id": "default",
                                                                  "Statement": []}  # fmt: skip
        if any(s.get("Sid") == StatementId for s in policy["Statement"]):
            raise ServiceError("ResourceConflictException",
                               "The statement id (sid) provided already exists. Please provide a new statement id, "
                               "or remove the existing statement.", status=409)  # fmt: skip
        if Principal == "*":
            principal: Any = "*"
        elif re.fullmatch(r"\d{12}", Principal or ""):
            principal = {"AWS": f"arn:aws:iam::{Principal}:root"}
        elif str(Principal).startswith("arn:"):
            principal = {"AWS": Principal}
        else:
            principal = {"Service": Principal}
        statement: dict[str, Any] = {"Sid": StatementId, "Effect": "Allow", "Principal": principal,
                                     "Action": Action, "Resource": row["arn"]}  # fmt: skip
        condition: dict[str, Any] = {}
        if SourceAccount:
            condition["StringEquals"] = {"AWS:SourceAccount": SourceAccount}
        if SourceArn:
            condition["ArnLike"] = {"AWS:SourceArn": SourceArn}
        if condition:
            statement["Condition"] = condition
        policy["Statement"].append(statement)
        config = json.loads(row["config"])
        config["RevisionId"] = str(uuid.uuid4())
        self.conn.execute("UPDATE lambda_functions SET policy = ?, config = ? WHERE region = ? AND name = ?",
                          (json.dumps(policy), json.dumps(config), row["region"], row["name"]))  # fmt: skip
        self._changed(row["name"], config, json.loads(row["tags"]))
        return {"Statement": json.dumps(statement, separators=(",", ":"))}

    @api("GetPolicy")
    def get_policy(self, *, FunctionName: str, Qualifier: str | None = None, **kw: Any) -> dict[str, Any]:
        row = self._row(FunctionName)
        if not row["policy"]:
            raise ServiceError("ResourceNotFoundException", "The resource you requested does not exist.", status=404)
        return {"Policy": json.dumps(json.loads(row["policy"]), separators=(",", ":")),
                "RevisionId": json.loads(row["config"])["RevisionId"]}  # fmt: skip

    # -- invocation -----------------------------------------------------------------------------------------------
    def _invoke(self, op: str, read_only: bool, category: str, fn: Any, params: dict[str, Any]) -> Any:
        """Invoke runs its function outside any write transaction it could hold for the whole run (the run's own
        writes are short transactions), then records its data event; other operations as every service does."""
        if op != "Invoke" or self.store._tx_depth:
            return super()._invoke(op, read_only, category, fn, params)
        try:
            result = fn(self, **params)
        except ServiceError as err:
            with self.store.transaction():
                self.record(op, params, None, read_only, category, error=err)
            raise
        with self.store.transaction():
            self.record(op, {k: v for k, v in params.items() if k != "Payload"}, None, read_only, category,
                        resources=self._resources(op, params, result))  # fmt: skip
            self.store.mark_used()
        return result

    @api("Invoke", category="Data")
    def invoke(self, *, FunctionName: str, InvocationType: str = "RequestResponse", LogType: str = "None",
               Payload: bytes | str | None = None, Qualifier: str | None = None, ClientContext: str | None = None,
               **kw: Any) -> dict[str, Any]:  # fmt: skip
        row = self._row(FunctionName)
        if InvocationType not in ("RequestResponse", "Event", "DryRun"):
            raise _validation(InvocationType, "invocationType",
                              "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")  # fmt: skip
        if LogType not in ("None", "Tail"):
            raise _validation(LogType, "logType", "Member must satisfy enum value set: [None, Tail]")
        if Qualifier not in (None, "$LATEST"):
            raise ServiceError("ResourceNotFoundException",
                               f"Function not found: {row['arn']}:{Qualifier}", status=404)  # fmt: skip
        data = Payload.encode() if isinstance(Payload, str) else bytes(Payload or b"")
        if hasattr(Payload, "read"):
            data = Payload.read()  # type: ignore[union-attr]
        limit = MAX_ASYNC_PAYLOAD if InvocationType == "Event" else MAX_PAYLOAD
        if len(data) > limit:
            raise ServiceError("RequestTooLargeException",
                               f"{InvocationType} payload length exceeded: {len(data)} > {limit}.", status=413)  # fmt: skip
        text = data.decode("utf-8", "replace") if data else "{}"
        try:
            json.loads(text)
        except ValueError as exc:
            raise ServiceError("InvalidRequestContentException",
                               f"Could not parse request body into json: Could not parse payload into json: {exc}",
                               status=400) from None  # fmt: skip
        if InvocationType == "DryRun":
            return {"StatusCode": 204, "Payload": b""}
        outcome = run_invocation(self.store, self.region, row, text)
        if InvocationType == "Event":
            return {"StatusCode": 202, "Payload": b""}
        out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": outcome.payload_bytes}
        if outcome.function_error:
            out["FunctionError"] = outcome.function_error
        if LogType == "Tail":
            out["LogResult"] = base64.b64encode(outcome.log_text.encode()[-4096:]).decode()
        return out

    def _cache_dir(self, row: Any) -> Path:
        return code_dir(self.store, row)


def code_dir(store: Any, row: Any) -> Path:
    """The function's package extracted into the account's private cache (once per code digest)."""
    sha_hex = hashlib.sha256(row["code"]).hexdigest()
    root = Path(store.dir) / "lambda" / "cache"
    target = root / sha_hex
    if (target / ".package.zip").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root.parent, 0o700)
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    with zipfile.ZipFile(io.BytesIO(row["code"])) as zf:
        for info in zf.infolist():
            dest = (tmp / info.filename).resolve()
            if not str(dest).startswith(str(tmp.resolve()) + os.sep) and dest != tmp.resolve():
                continue  # a path that would escape the folder ("zip slip") is skipped
            zf.extract(info, tmp)
    (tmp / ".package.zip").write_bytes(row["code"])
    try:
        os.replace(tmp, target)
    except OSError:  # another process extracted the same digest first: keep its copy
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return target


class Outcome:
    """One invocation's result as Invoke answers it, and its log text (for LogType Tail)."""

    def __init__(self, payload_bytes: bytes, function_error: str | None, log_text: str) -> None:
        self.payload_bytes = payload_bytes
        self.function_error = function_error
        self.log_text = log_text


def _role_principal(role: str, function_name: str) -> Any:
    """Calls from inside the function appear as its execution role's session (when the role is a role ARN)."""
    valid = re.fullmatch(r"arn:aws:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", role)
    return lambda: facts.acting_as(role if valid else None, function_name)


def run_invocation(store: Any, region: str, row: Any, event_text: str) -> Outcome:
    """Run the function once (or record it, for runtimes that do not run here) with all its consequences."""
    from awsmon.backends.local.lambda_.runner import RunResult, run

    config = json.loads(row["config"])
    name = row["name"]
    request_id = str(uuid.uuid4())
    started_at = store.now()
    stream = log_stream_name(started_at)
    group = f"/aws/lambda/{name}"
    if config["Runtime"] in PYTHON_RUNTIMES:
        scope = _role_principal(config["Role"], name)

        def serve(service: str, operation: str, params: dict[str, Any]) -> Any:
            from botocore import xform_name

            try:
                client = facts.api_client(store, region, service)
            except KeyError:
                raise ServiceError("UnrecognizedClientException",
                                   f"awsmon's local account does not simulate the {service} service") from None  # fmt: skip
            method = getattr(client, xform_name(operation), None)
            if method is None or not hasattr(method, "__awsmon_op__"):
                raise ServiceError("InvalidAction",
                                   f"awsmon's local {service} service does not implement {operation}")  # fmt: skip
            with scope():
                return method(**params)

        env = {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config["MemorySize"]),
            "AWS_LAMBDA_LOG_GROUP_NAME": group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config['Runtime']}",
            "AWS_ACCESS_KEY_ID": "ASIA" + "AWSMONLOCAL" + "00000",
            "AWS_SECRET_ACCESS_KEY": "awsmon-local-function-credentials",
            "AWS_SESSION_TOKEN": "awsmon-local",
            "TZ": ":UTC",
            **((config.get("Environment") or {}).get("Variables") or {}),
        }
        result = run(code_dir=code_dir(store, row), handler=config["Handler"], env=env, event_json=event_text,
                     request_id=request_id, function_arn=row["arn"], timeout_s=float(config["Timeout"]),
                     clock_offset_s=started_at.timestamp() - time.time(), serve=serve)  # fmt: skip
    else:
        result = RunResult(error={"errorMessage": f"awsmon's local account runs Python runtimes only: the "
                                                  f"{config['Runtime']} function {name} was recorded, not run",
                                  "errorType": "Runtime.Unsupported"},  # fmt: skip
                           duration_ms=0.0, max_memory_mb=0)
    lines = [f"START RequestId: {request_id} Version: $LATEST", *result.log_lines]
    ended_at_ms = _ms(started_at) + int(result.duration_ms)
    if result.timed_out:
        stamp = datetime.fromtimestamp(ended_at_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
            f"{ended_at_ms % 1000:03d}Z"  # fmt: skip
        message = f"{stamp} {request_id} Task timed out after {float(config['Timeout']):.2f} seconds"
        lines.append(message)
        result.error = {"errorMessage": message}
    elif result.error is not None and result.error.get("errorType") in ("Runtime.ExitError", "Runtime.Unsupported"):
        lines.append(f"[ERROR] {result.error['errorType']}: {result.error['errorMessage']}")
    if result.error is None and result.max_memory_mb > config["MemorySize"]:
        result.error = {"errorType": "Runtime.OutOfMemory",
                        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"}
        lines.append(f"{result.error['errorMessage']}\n{result.error['errorType']}")
    lines.append(f"END RequestId: {request_id}")
    lines.append(report_line(request_id, result.duration_ms, int(config["MemorySize"]), result.max_memory_mb,
                             result.init_ms, result.timed_out))  # fmt: skip
    start_ms = _ms(started_at)
    stamps = [start_ms] * (len(lines) - 2) + [ended_at_ms, ended_at_ms]
    with store.transaction():
        write_logs(store, region, group, stream, list(zip(stamps, lines, strict=True)), started_at)
        _metrics(store, region, name, started_at, result.duration_ms, error=result.error is not None)
    payload = (result.payload or "null").encode() if result.error is None else json.dumps(result.error).encode()
    function_error = None if result.error is None else "Unhandled"
    return Outcome(payload, function_error, "\n".join(lines) + "\n")


def write_logs(store: Any, region: str, group: str, stream: str, events: list[tuple[int, str]],
               when: datetime) -> None:  # fmt: skip
    """Write the invocation's log events to its group (created if missing) through the logs service's delivery
    handler: Lambda's internal writes are not API calls of the account's principal."""
    batch = [(ts, msg[:262118]) for ts, msg in events if msg]
    arn = f"arn:aws:logs:{region}:{store.account_id}:log-group:{group}"
    facts.deliver(store, arn, "", when, stream=stream, events=batch, create_group=True)


def _metrics(store: Any, region: str, name: str, when: datetime, duration_ms: float, *, error: bool) -> None:
    dims = {"FunctionName": name}
    for metric, value, unit in (("Invocations", 1.0, "Count"), ("Errors", 1.0 if error else 0.0, "Count"),
                                ("Duration", round(duration_ms, 2), "Milliseconds"), ("Throttles", 0.0, "Count"),
                                ("ConcurrentExecutions", 1.0, "Count")):  # fmt: skip
        facts.emit(store, region, "datapoints", namespace="AWS/Lambda", metric_name=metric, dimensions=dims,
                   timestamp=when, values=[value], counts=None, unit=unit, storage_resolution=60)  # fmt: skip
    facts.emit(store, region, "datapoints", namespace="AWS/Lambda", metric_name="ConcurrentExecutions",
               dimensions={}, timestamp=when, values=[1.0], counts=None, unit="Count", storage_resolution=60)


def deliver(store: Any, arn: str, payload: str, when: datetime, **attributes: Any) -> facts.Delivery:
    """Asynchronous (Event) invocation by another service: EventBridge targets (the event), alarm actions (the
    alarm event), SNS subscriptions (attribute ``subscription_arn``: the SNS envelope, wrapped in ``Records``)."""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 else store.default_region
    try:
        name = parse_function_name(arn)[0]
    except ServiceError:
        return facts.Delivery("Failed", f"not a Lambda function ARN: {arn}", "ResourceNotFoundException")
    row = store.conn.execute("SELECT * FROM lambda_functions WHERE region = ? AND name = ?", (region, name)).fetchone()
    if row is None:
        return facts.Delivery("Failed", f"Function not found: {arn}", "ResourceNotFoundException")
    event = payload if _is_json(payload) else json.dumps(payload)
    if attributes.get("subscription_arn"):
        event = sns_event(payload, str(attributes["subscription_arn"]))
    outcome = run_invocation(store, region, row, event)
    if outcome.function_error:
        return facts.Delivery("Delivered", f"function error: {outcome.payload_bytes.decode()[:200]}")
    return facts.Delivery("Delivered", "invoked (Event)")


def sns_event(envelope_text: str, subscription_arn: str) -> str:
    """The event an SNS subscription hands a function: ``{"Records": [{"EventSource": "aws:sns", ..., "Sns": {...}}]}``
    (the notification's fields, with SigningCertUrl/UnsubscribeUrl spelled as Lambda receives them)."""
    try:
        envelope = json.loads(envelope_text)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or "Message" not in envelope:
        envelope = {"Type": "Notification", "Message": envelope_text}
    renamed = {"SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"}
    sns = {renamed.get(k, k): v for k, v in envelope.items()}
    sns.setdefault("MessageAttributes", {})
    return json.dumps({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                                    "EventSubscriptionArn": subscription_arn, "Sns": sns}]})  # fmt: skip


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# -- AWS Config -------------------------------------------------------------------------------------------------------
def _function_ids(record: Any) -> list[str]:
    return [str(r["ARN"]).rsplit(":", 1)[-1] for r in record.get("resources") or []
            if r.get("type") == "AWS::Lambda::Function" and r.get("ARN")]  # fmt: skip


def _function_snapshot(svc: Any, name: str) -> dict[str, Any] | None:
    """The configuration item of a function as AWS Config records it: the configuration in camelCase, the
    resource-based policy (JSON text) in ``supplementaryConfiguration.Policy``, a relationship to its role."""
    row = svc.conn.execute("SELECT * FROM lambda_functions WHERE region = ? AND name = ?", (svc.region, name)).fetchone()
    if row is None:
        return None
    config = json.loads(row["config"])
    supplementary: dict[str, Any] = {}
    if row["policy"]:
        supplementary["Policy"] = json.dumps(json.loads(row["policy"]), separators=(",", ":"))
    tags = json.loads(row["tags"] or "{}")
    if tags:
        supplementary["Tags"] = tags
    role = config.get("Role") or ""
    relationships = [{"resourceType": "AWS::IAM::Role", "resourceName": role.rsplit("/", 1)[-1],
                      "relationshipName": "Is associated with "}] if role else []  # fmt: skip
    created = datetime.strptime(config["LastModified"], "%Y-%m-%dT%H:%M:%S.%f%z")
    return {"resource_id": name, "name": name, "arn": row["arn"], "configuration": config_camel(config),
            "supplementary": supplementary, "relationships": relationships, "created": created, "tags": tags}  # fmt: skip


CONFIG_KINDS: list[dict[str, Any]] = [
    {"resource_type": "AWS::Lambda::Function", "event_source": "lambda.amazonaws.com",
     "event_names": ("CreateFunction", "DeleteFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration",
                     "AddPermission", "RemovePermission", "TagResource", "UntagResource"),
     "service": "lambda", "ids_from_record": _function_ids, "snapshot": _function_snapshot,
     "list_ids": lambda svc: [r[0] for r in svc.conn.execute(
         "SELECT name FROM lambda_functions WHERE region = ? ORDER BY name", (svc.region,))]},
]  # fmt: skip
