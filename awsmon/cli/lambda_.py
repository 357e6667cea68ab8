"""awsmon lambda: functions: create, invoke, list, get, delete, update code, permissions."""

from __future__ import annotations

from pathlib import Path

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command
from awsmon.output import Column

app = group(
    "lambda",
    "AWS Lambda functions: create, invoke (Python handlers really run on the local account), list, get, delete.\n\n"
    "Examples:\n\n"
    "  awsmon lambda create-function --function-name hello --runtime python3.12 "
    "--handler lambda_function.lambda_handler --role arn:aws:iam::123456789012:role/lambda-role "
    "--zip-file fileb://function.zip\n\n"
    "  awsmon lambda invoke --function-name hello --payload '{\"name\": \"world\"}' response.json",
)

FUNCTION_COLUMNS = [Column("FunctionName"), Column("Runtime"), Column("Handler"), Column("MemorySize"),
                    Column("Timeout"), Column("LastModified")]  # fmt: skip


def _name_opt() -> str:
    return typer.Option(..., "--function-name", "--name", help="The function's name or ARN.")


service_command(app, "create-function", "awsmon.services.lambda_:create_function",
                "Create a function from a zip package (CreateFunction).\n\n"
                "Example: awsmon lambda create-function --function-name hello --runtime python3.12 --handler lambda_function.lambda_handler --role arn:aws:iam::123456789012:role/lambda-role --zip-file fileb://function.zip",
                ("name", str, typer.Option(..., "--function-name", "--name", help="The function name (1-64 of [A-Za-z0-9_-]).")),
                ("runtime", str, typer.Option(..., "--runtime", help="python3.9 ... python3.14 run locally; other runtimes are recorded only.")),
                ("handler", str, typer.Option(..., "--handler", help="module.function, e.g. lambda_function.lambda_handler.")),
                ("role", str, typer.Option(..., "--role", help="The execution role ARN (arn:aws:iam::ACCOUNT:role/NAME).")),
                ("zip_file", str, typer.Option(..., "--zip-file", help="The deployment package: fileb://function.zip.")),
                ("timeout", int | None, typer.Option(None, "--timeout", help="Seconds, 1-900 (default 3).")),
                ("memory_size", int | None, typer.Option(None, "--memory-size", help="MB, 128-10240 (default 128).")),
                ("environment", str | None, typer.Option(None, "--environment", help="Variables={KEY=VALUE,...} or JSON.")),
                ("description", str | None, typer.Option(None, "--description", help="A description (up to 256 characters).")),
                detail=True)  # fmt: skip


@app.command("invoke")
def invoke(
    ctx: typer.Context,
    outfile: Path = typer.Argument(..., metavar="OUTFILE", help="Where the response payload is written ('-': stdout)."),
    name: str = _name_opt(),
    payload: str | None = typer.Option(None, "--payload", help="The event: JSON text, file://event.json or fileb://."),
    invocation_type: str = typer.Option("RequestResponse", "--invocation-type", help="RequestResponse, Event or DryRun."),
    log_type: str | None = typer.Option(None, "--log-type", help="Tail: return the last 4 KB of the log (base64) in LogResult."),
    binary_format: str = typer.Option("raw-in-base64-out", "--cli-binary-format", help="raw-in-base64-out (default: --payload is raw JSON) or base64 (aws-cli v2's default: --payload is base64)."),
) -> None:
    """Invoke a function and write its response to OUTFILE (Invoke); prints StatusCode, FunctionError, LogResult.

    As aws-cli, a function error is reported in FunctionError and the exit status stays 0.

    Example: awsmon lambda invoke --function-name hello --payload '{"name": "world"}' response.json
    """
    from awsmon.services.lambda_ import invoke as svc

    renderer(ctx).detail(svc(app_ctx(ctx), name=name, outfile=outfile, payload=payload,
                             invocation_type=invocation_type, log_type=log_type, binary_format=binary_format))  # fmt: skip


service_command(app, "list-functions", "awsmon.services.lambda_:list_functions",
                "List functions (ListFunctions, all pages), in name order.\n\n"
                "Example: awsmon lambda list-functions -o table",
                ("max_items", int | None, typer.Option(None, "--max-items", help="At most this many functions.")),
                rows_key="Functions", columns=FUNCTION_COLUMNS)  # fmt: skip


service_command(app, "get-function", "awsmon.services.lambda_:get_function",
                "Show a function's configuration and code location (GetFunction).\n\n"
                "Example: awsmon lambda get-function --function-name hello",
                ("name", str, _name_opt()), detail=True)


service_command(app, "delete-function", "awsmon.services.lambda_:delete_function",
                "Delete a function (DeleteFunction); its log group stays, as on AWS.\n\n"
                "Example: awsmon lambda delete-function --function-name hello",
                ("name", str, _name_opt()), detail=True)


service_command(app, "update-function-code", "awsmon.services.lambda_:update_function_code",
                "Replace a function's code (UpdateFunctionCode).\n\n"
                "Example: awsmon lambda update-function-code --function-name hello --zip-file fileb://function.zip",
                ("name", str, _name_opt()),
                ("zip_file", str, typer.Option(..., "--zip-file", help="The new deployment package: fileb://function.zip.")),
                detail=True)  # fmt: skip


service_command(app, "add-permission", "awsmon.services.lambda_:add_permission",
                "Grant a service or account permission to invoke the function (AddPermission).\n\n"
                "Example: awsmon lambda add-permission --function-name hello --statement-id events --action lambda:InvokeFunction --principal events.amazonaws.com",
                ("name", str, _name_opt()),
                ("statement_id", str, typer.Option(..., "--statement-id", help="A unique statement id.")),
                ("action", str, typer.Option(..., "--action", help="e.g. lambda:InvokeFunction.")),
                ("principal", str, typer.Option(..., "--principal", help="A service (events.amazonaws.com), an account id or an ARN.")),
                ("source_arn", str | None, typer.Option(None, "--source-arn", help="Only calls on behalf of this resource (a rule ARN).")),
                ("source_account", str | None, typer.Option(None, "--source-account", help="Only calls on behalf of this account.")),
                detail=True)  # fmt: skip


service_command(app, "get-policy", "awsmon.services.lambda_:get_policy",
                "Show the function's resource-based policy (GetPolicy).\n\n"
                "Example: awsmon lambda get-policy --function-name hello",
                ("name", str, _name_opt()), detail=True)
