"""The Python runtime of a local Lambda function: runs in a child process, one invocation per process.

Started as ``python -P bootstrap.py`` with the function's extracted code as working directory and
``LAMBDA_TASK_ROOT``. It talks to the parent (the awsmon process that invokes the function) over two pipes whose
descriptors are in ``_AWSMON_LAMBDA_FDS`` ("read,write"): length-prefixed pickles.

* child -> parent: ``("call", service, operation, params)`` for every boto3/botocore call the handler makes, then
  one ``("init", ms)`` when the handler is imported and one ``("result", json_text)`` or ``("error", payload)``.
* parent -> child: ``("ok", response)`` or ``("err", code, message, status)`` for each call.

boto3 calls are served by the local account without any change to the function's code: every botocore Session
gets a ``before-call`` handler (the hook botocore's Stubber uses) that hands the operation to the parent and
returns its answer, so nothing goes over the network and no credentials are needed.

Only the standard library is imported here (botocore only when the function imports it): start-up stays fast.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import io
import json
import logging
import os
import pickle
import struct
import sys
import time
import traceback
import uuid
from typing import Any

_START = time.monotonic()
_RFD, _WFD = (int(x) for x in os.environ.pop("_AWSMON_LAMBDA_FDS").split(","))
_DEADLINE = _START + float(os.environ.pop("_AWSMON_LAMBDA_TIMEOUT"))
# The account's simulated clock minus the wall clock: log lines carry simulated times, as the log events do.
_CLOCK_OFFSET = float(os.environ.pop("_AWSMON_LAMBDA_CLOCK_OFFSET", "0"))


def _send(msg: Any) -> None:
    data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    os.write(_WFD, struct.pack(">I", len(data)))
    view = memoryview(data)
    while view:
        n = os.write(_WFD, view)
        view = view[n:]


def _recv_exact(n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(_RFD, n - len(buf))
        if not chunk:
            raise SystemExit(1)  # the parent went away
        buf += chunk
    return bytes(buf)


def _recv() -> Any:
    (n,) = struct.unpack(">I", _recv_exact(4))
    return pickle.loads(_recv_exact(n))


# -- boto3 calls served by the local account ---------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """Parameters as picklable plain data (file-like bodies read into bytes)."""
    if hasattr(value, "read") and callable(value.read):
        data = value.read()
        return data.encode() if isinstance(data, str) else data
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _stash_params(params: Any = None, context: Any = None, **kw: Any) -> None:
    if context is not None and isinstance(params, dict):
        context["awsmon_params"] = _plain(dict(params))


def _serve_call(model: Any = None, context: Any = None, **kw: Any) -> Any:
    from botocore.awsrequest import AWSResponse

    params = (context or {}).get("awsmon_params") or {}
    _send(("call", model.service_model.service_name, model.name, params))
    reply = _recv()
    request_id = str(uuid.uuid4())
    if reply[0] == "ok":
        parsed = dict(reply[1] or {})
        payload_member = (model.output_shape.serialization.get("payload") if model.output_shape else None)
        if payload_member and isinstance(parsed.get(payload_member), bytes | bytearray):
            from botocore.response import StreamingBody

            data = bytes(parsed[payload_member])
            parsed[payload_member] = StreamingBody(io.BytesIO(data), len(data))
        parsed["ResponseMetadata"] = {"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": {},
                                      "RetryAttempts": 0}  # fmt: skip
        return AWSResponse(None, 200, {}, None), parsed
    _, code, message, status = reply
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": {},
                                   "RetryAttempts": 0}}  # fmt: skip
    return AWSResponse(None, status, {}, None), parsed


def _patch_botocore_session(module: Any) -> None:
    session_cls = module.Session
    original = session_cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.register("provide-client-params", _stash_params, unique_id="awsmon-local-params")
        self.register("before-call", _serve_call, unique_id="awsmon-local-call")

    session_cls.__init__ = __init__


class _BotocoreHook(importlib.abc.MetaPathFinder):
    """Patches ``botocore.session`` the moment the function imports it (boto3 does), and not before."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "botocore.session":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module  # type: ignore[union-attr]

        def exec_module(module: Any) -> None:
            original_exec(module)
            _patch_botocore_session(module)

        loader.exec_module = exec_module  # type: ignore[method-assign,union-attr]
        return spec


# -- the context object ------------------------------------------------------------------------------------------
class LambdaContext:
    """The ``context`` argument of a handler, with the attributes and method of AWS's Python runtime."""

    def __init__(self, request_id: str) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ.pop("_AWSMON_LAMBDA_ARN")
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((_DEADLINE - time.monotonic()) * 1000))


class _LambdaFormatter(logging.Formatter):
    """AWS's Python runtime format: ``[LEVEL]\\t<ISO time>Z\\t<request id>\\t<message>``."""

    def __init__(self, request_id: str) -> None:
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                         "%Y-%m-%dT%H:%M:%S")  # fmt: skip
        self.request_id = request_id

    def converter(self, seconds: float | None) -> time.struct_time:  # type: ignore[override]
        return time.gmtime((seconds if seconds is not None else time.time()) + _CLOCK_OFFSET)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return time.strftime(datefmt or "%Y-%m-%dT%H:%M:%S", self.converter(record.created))

    def format(self, record: logging.LogRecord) -> str:
        record.aws_request_id = self.request_id
        shifted = record.created + _CLOCK_OFFSET
        record.msecs = int((shifted - int(shifted)) * 1000)
        return super().format(record)



def _error_payload(exc: BaseException, request_id: str, error_type: str | None = None,
                   message: str | None = None, trace: bool = True) -> dict[str, Any]:  # fmt: skip
    frames = traceback.extract_tb(exc.__traceback__)[1:] if trace else []  # drop the bootstrap's own frame
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _log_error(payload: dict[str, Any]) -> None:
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}", "Traceback (most recent call last):"]
    lines.extend(s.rstrip("\n") for s in payload["stackTrace"])
    sys.stdout.write("\x1e" + "\n".join(lines) + "\x1e\n")  # one log event: \x1e marks its bounds for the parent
    sys.stdout.flush()


def _peak_memory_mb() -> int:
    """This process's own peak RSS (VmHWM). ru_maxrss would also count the parent's pages mapped before exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return -(-int(line.split()[1]) // 1024)
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return -(-int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024)


def main() -> None:
    try:
        _run()
    finally:
        _send(("memory", _peak_memory_mb()))


def _run() -> None:
    request_id = os.environ.pop("_AWSMON_LAMBDA_REQUEST_ID")
    event_text = os.environ.pop("_AWSMON_LAMBDA_EVENT_FILE")
    with open(event_text, encoding="utf-8") as fh:
        event = json.load(fh)
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path.insert(0, task_root)
    sys.meta_path.insert(0, _BotocoreHook())
    handler_name = os.environ["_HANDLER"]
    root = logging.getLogger()
    stream_handler = logging.StreamHandler(sys.stdout)
    stream_handler.setFormatter(_LambdaFormatter(request_id))
    root.handlers[:] = [stream_handler]
    root.setLevel(logging.WARNING)

    init_started = time.monotonic()
    try:
        module_name, _, function_name = handler_name.rpartition(".")
        if not module_name:
            raise _InitError("Runtime.MalformedHandlerName",
                             f"Bad handler '{handler_name}': not enough values to unpack (expected 2, got 1)")  # fmt: skip
        try:
            module = importlib.import_module(module_name.replace("/", "."))
        except ImportError as exc:
            raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
        except SyntaxError as exc:
            raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
        handler = getattr(module, function_name, None)
        if handler is None:
            raise _InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    except _InitError as exc:
        _send(("init", (time.monotonic() - init_started) * 1000))
        payload = {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id,
                   "stackTrace": []}  # fmt: skip
        _log_error(payload)
        _send(("error", payload))
        return
    except BaseException as exc:  # an exception raised while the module initialises
        _send(("init", (time.monotonic() - init_started) * 1000))
        payload = _error_payload(exc, request_id)
        _log_error(payload)
        _send(("error", payload))
        return
    _send(("init", (time.monotonic() - init_started) * 1000))
    try:
        result = handler(event, LambdaContext(request_id))
    except Exception as exc:
        sys.stdout.flush()
        payload = _error_payload(exc, request_id)
        _log_error(payload)
        _send(("error", payload))
        return
    sys.stdout.flush()
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as exc:
        payload = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError",
                   "requestId": request_id, "stackTrace": []}  # fmt: skip
        _log_error(payload)
        _send(("error", payload))
        return
    _send(("result", text))


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


if __name__ == "__main__":
    main()
