"""awsmon lambda: functions (create, invoke, list, get, delete, update code, permissions) on either backend.

On the local backend Python functions really run (``awsmon.backends.local.lambda_``); on the aws backend the same
calls go to AWS Lambda through boto3.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError


def read_blob(value: str, option: str) -> bytes:
    """aws-cli's ``fileb://path`` (bytes), ``file://path`` (text) or, for awsmon, a plain path to an existing file."""
    from awsmon.inputs import read_arg_bytes, read_file_bytes

    data = read_arg_bytes(value, option)
    if data is not None:
        return data
    try:
        is_file = Path(value).is_file()
    except (OSError, ValueError):
        is_file = False
    if not is_file:
        raise UsageError(f"{option}: expected fileb://path/to/file.zip, got {value!r}")
    return read_file_bytes(value, option)


def parse_environment(text: str | None) -> dict[str, Any] | None:
    """``--environment`` as aws-cli takes it: ``Variables={K=V,K2=V2}`` shorthand or JSON ``{"Variables": {...}}``."""
    if text is None:
        return None
    text = text.strip()
    if text.startswith("{"):
        from awsmon.inputs import loads_json

        value = loads_json(text, "--environment")
        if not isinstance(value, dict):
            raise UsageError("--environment: expected an object with Variables")
        return value
    if text.startswith("Variables="):
        body = text[len("Variables=") :].strip()
        if body.startswith("{") and body.endswith("}"):
            body = body[1:-1]
        variables: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in body.split(","))):
            if "=" not in part:
                raise UsageError(f"--environment: expected KEY=VALUE, got {part!r}")
            k, _, v = part.partition("=")
            variables[k.strip()] = v.strip()
        return {"Variables": variables}
    raise UsageError("--environment: expected Variables={KEY=VALUE,...} or JSON {\"Variables\": {...}}")


def create_function(ctx: AppContext, *, name: str, runtime: str, handler: str, role: str, zip_file: str,
                    timeout: int | None = None, memory_size: int | None = None, environment: str | None = None,
                    description: str | None = None) -> dict[str, Any]:  # fmt: skip
    params: dict[str, Any] = {"FunctionName": name, "Runtime": runtime, "Handler": handler, "Role": role,
                              "Code": {"ZipFile": read_blob(zip_file, "--zip-file")}}  # fmt: skip
    if timeout is not None:
        params["Timeout"] = timeout
    if memory_size is not None:
        params["MemorySize"] = memory_size
    env = parse_environment(environment)
    if env is not None:
        params["Environment"] = env
    if description is not None:
        params["Description"] = description
    return _clean(ctx.client("lambda").create_function(**params))


def update_function_code(ctx: AppContext, *, name: str, zip_file: str) -> dict[str, Any]:
    return _clean(ctx.client("lambda").update_function_code(FunctionName=name, ZipFile=read_blob(zip_file, "--zip-file")))


def list_functions(ctx: AppContext, max_items: int | None = None) -> dict[str, Any]:
    client = ctx.client("lambda")
    functions: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = client.list_functions(**({"Marker": marker} if marker else {}))
        functions.extend(page.get("Functions") or [])
        marker = page.get("NextMarker")
        if not marker or (max_items is not None and len(functions) >= max_items):
            break
    return {"Functions": functions[:max_items] if max_items is not None else functions}


def get_function(ctx: AppContext, name: str) -> dict[str, Any]:
    return _clean(ctx.client("lambda").get_function(FunctionName=name))


def delete_function(ctx: AppContext, name: str) -> dict[str, Any]:
    ctx.client("lambda").delete_function(FunctionName=name)
    return {}


def add_permission(ctx: AppContext, *, name: str, statement_id: str, action: str, principal: str,
                   source_arn: str | None = None, source_account: str | None = None) -> dict[str, Any]:  # fmt: skip
    params: dict[str, Any] = {"FunctionName": name, "StatementId": statement_id, "Action": action,
                              "Principal": principal}  # fmt: skip
    if source_arn:
        params["SourceArn"] = source_arn
    if source_account:
        params["SourceAccount"] = source_account
    return _clean(ctx.client("lambda").add_permission(**params))


def get_policy(ctx: AppContext, name: str) -> dict[str, Any]:
    return _clean(ctx.client("lambda").get_policy(FunctionName=name))


def payload_bytes(payload: str | None, binary_format: str = "raw-in-base64-out") -> bytes:
    """``--payload``: JSON text (aws-cli's ``--cli-binary-format raw-in-base64-out``, the default here), base64 text
    (``--cli-binary-format base64``, aws-cli v2's default), ``file://`` or ``fileb://`` (raw bytes)."""
    if binary_format not in ("raw-in-base64-out", "base64"):
        raise UsageError(f"--cli-binary-format must be raw-in-base64-out or base64, not {binary_format!r}")
    if payload is None:
        return b"{}"
    if payload.startswith("fileb://"):
        return read_blob(payload, "--payload")
    text = read_blob(payload, "--payload").decode("utf-8", "replace") if payload.startswith("file://") else payload
    if binary_format == "base64":
        import binascii

        try:
            return base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise UsageError("--payload: invalid base64 (with --cli-binary-format base64)") from None
    return text.encode("utf-8")


def invoke(ctx: AppContext, *, name: str, outfile: Path, payload: str | None = None,
           invocation_type: str = "RequestResponse", log_type: str | None = None,
           binary_format: str = "raw-in-base64-out") -> dict[str, Any]:  # fmt: skip
    """Invoke a function and write its response payload to ``outfile`` (``-`` for stdout), as aws-cli does."""
    params: dict[str, Any] = {"FunctionName": name, "InvocationType": invocation_type,
                              "Payload": payload_bytes(payload, binary_format)}  # fmt: skip
    if log_type:
        params["LogType"] = log_type
    response = ctx.client("lambda").invoke(**params)
    body = response.get("Payload")
    data = body.read() if hasattr(body, "read") else bytes(body or b"")
    if str(outfile) != "-":
        try:
            outfile.write_bytes(data)
        except OSError as exc:
            raise UsageError(f"cannot write {outfile}: {exc.strerror or exc}") from None
    out = {k: v for k, v in _clean(response).items() if k != "Payload"}
    if str(outfile) == "-":
        out["Payload"] = data.decode("utf-8", "replace")
    return out


def decode_log_result(response: dict[str, Any]) -> str | None:
    value = response.get("LogResult")
    return base64.b64decode(value).decode("utf-8", "replace") if value else None


def _clean(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (response or {}).items() if k != "ResponseMetadata"}
