"""Exit codes and the error types every layer raises.

One table, used everywhere (see README "Exit codes"):
0 ok, 1 error, 2 usage or bad input, 3 check failed, 4 credentials or configuration, 130 interrupted.
"""

from __future__ import annotations

import re
from enum import IntEnum

# Characters that must never reach a terminal raw from an error message: C0 controls (NUL, ESC, newlines...), DEL,
# C1 controls, the Unicode line/paragraph separators, and lone surrogates (undecodable argv bytes, unprintable).
# Compiled on first use: its character set (surrogates) costs ~4 M instructions, ~1 ms of every command's start-up.
_UNPRINTABLE = r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` with control characters escaped (``\\x00``, ``\\n``...), so an error is one printable line."""
    return re.sub(_UNPRINTABLE, _escape, text)  # re caches the compiled pattern


def error_line(message: str, hint: str | None = None) -> str:
    """The one stderr line of an error: ``awsmon: error: <message> (hint: <hint>)``, control characters from user
    data escaped (never written raw), so every error is exactly one printable line."""
    line = f"awsmon: error: {one_line(message)}"
    return f"{line} (hint: {one_line(hint)})" if hint else line


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    CHECK_FAILED = 3
    CONFIG = 4
    INTERRUPTED = 130


class AwsmonError(Exception):
    """An error with a one-line message, an optional hint and its exit code."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(AwsmonError):
    """Bad input given on the command line (malformed time, unknown attribute, ...)."""

    exit_code = ExitCode.USAGE


class ConfigError(AwsmonError):
    """Credentials, profile, home folder or local-database problems."""

    exit_code = ExitCode.CONFIG


class CheckFailed(AwsmonError):
    """A check command found a problem (invalid digest, alarm in ALARM, ...)."""

    exit_code = ExitCode.CHECK_FAILED


# AWS error codes that mean "the request was malformed": exit 2. Everything else a service raises is exit 1,
# except the credential/permission family below (exit 4).
_USAGE_CODES = frozenset(
    {
        "ValidationError",
        "ValidationException",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidParameterCombination",
        "InvalidParameterCombinationException",
        "InvalidParameterException",
        "MissingParameter",
        "MissingRequiredParameter",
        "InvalidFormat",
        "InvalidNextToken",
        "InvalidNextTokenException",
        "InvalidSequenceTokenException",
        "DataAlreadyAcceptedException",
        "MalformedQueryException",
        "InvalidEventPatternException",
        "LimitExceeded",
        "LimitExceededException",
        "LimitExceededFault",
        "MaximumNumberOfTrailsExceededException",
        "TrailAlreadyExistsException",
        "ResourceAlreadyExistsException",
        "ResourceInUseException",
        "UnrecognizedClientException",
        "ReceiptHandleIsInvalid",
        "QueueAlreadyExists",
        "BadRequestException",
        "ConformancePackTemplateValidationException",  # AWS Config: a malformed conformance pack template
        # the resource services' words for the same: a duplicate create, a malformed document, a limit exceeded
        "EntityAlreadyExists",  # IAM
        "BucketAlreadyExists",  # S3
        "BucketAlreadyOwnedByYou",
        "MalformedPolicyDocument",  # IAM
        "MalformedPolicy",  # S3, SNS
        "MalformedXML",  # S3
        "KeyTooLongError",  # S3
        "InstanceLimitExceeded",  # EC2
        "TooManyConfigurations",  # S3
        "RequestEntityTooLargeException",  # Lambda
        "RequestTooLargeException",  # Lambda
    }
)
_CONFIG_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidAccessKeyId",
        # the rest of AWS's authentication family (JSON-protocol services answer these instead of the above)
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "InvalidToken",
        "RequestExpired",
        "TokenRefreshRequired",
        "NotAuthorized",
        "OptInRequired",
    }
)


def exit_code_for_aws_code(code: str) -> ExitCode:
    if code in _CONFIG_CODES:
        return ExitCode.CONFIG
    if code in _USAGE_CODES or (code.startswith("Invalid") and code != "InvalidHomeRegionException"):
        return ExitCode.USAGE
    return ExitCode.ERROR


class ServiceError(AwsmonError):
    """An AWS-style service error: the same codes and texts from the local and the aws backend."""

    def __init__(self, code: str, message: str, *, status: int = 400, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=exit_code_for_aws_code(code))
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
