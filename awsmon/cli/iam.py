"""awsmon iam: IAM users, roles, managed policies, access keys and MFA devices (aws-cli's names)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer
from awsmon.output import Column

app = group(
    "iam",
    "IAM users, roles, managed policies, access keys and MFA devices, with aws-cli's command and option names.\n\n"
    "IAM is global: on the local backend its CloudTrail records are written in us-east-1, as AWS does.\n\n"
    "Examples:\n\n"
    "  awsmon iam create-user --user-name alice\n\n"
    "  awsmon iam create-role --role-name lab-role --assume-role-policy-document file://trust.json\n\n"
    "  awsmon iam attach-role-policy --role-name lab-role --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess",
)

_USER_COLUMNS = [Column("UserName"), Column("UserId"), Column("Arn"), Column("CreateDate")]
_KEY_COLUMNS = [Column("UserName"), Column("AccessKeyId"), Column("Status"), Column("CreateDate")]
USER_HELP = "IAM user name."


@app.command("create-user")
def create_user(
    ctx: typer.Context,
    user_name: str = typer.Option(..., "--user-name", help=USER_HELP),
    path: str | None = typer.Option(None, "--path", help="Path (default /)."),
    tags: list[str] | None = typer.Option(None, "--tags", help="Key=k,Value=v (repeatable)."),
) -> None:
    """Create an IAM user (CreateUser).

    Example: awsmon iam create-user --user-name alice
    """
    from awsmon.services.iam import create_user as svc

    data = svc(app_ctx(ctx), user_name=user_name, path=path, tag_values=tags)
    renderer(ctx).render(data.get("User") and data, columns=[Column("UserName", "User.UserName"),
                                                             Column("UserId", "User.UserId"), Column("Arn", "User.Arn")])  # fmt: skip


@app.command("delete-user")
def delete_user(ctx: typer.Context, user_name: str = typer.Option(..., "--user-name", help=USER_HELP)) -> None:
    """Delete an IAM user (DeleteUser); its keys, policies and MFA devices must go first.

    Example: awsmon iam delete-user --user-name alice
    """
    from awsmon.services.iam import delete_user as svc

    renderer(ctx).render(svc(app_ctx(ctx), user_name=user_name))


@app.command("list-users")
def list_users(
    ctx: typer.Context,
    path_prefix: str | None = typer.Option(None, "--path-prefix", help="Only users under this path."),
) -> None:
    """List IAM users (ListUsers).

    Example: awsmon iam list-users -o json
    """
    from awsmon.services.iam import list_users as svc

    renderer(ctx).render(svc(app_ctx(ctx), path_prefix=path_prefix), rows_key="Users", columns=_USER_COLUMNS)


@app.command("create-role")
def create_role(
    ctx: typer.Context,
    role_name: str = typer.Option(..., "--role-name", help="Role name."),
    assume_role_policy_document: str = typer.Option(..., "--assume-role-policy-document", help="Trust policy JSON (or file://PATH)."),
    path: str | None = typer.Option(None, "--path", help="Path (default /)."),
    description: str | None = typer.Option(None, "--description", help="Description."),
    max_session_duration: int | None = typer.Option(None, "--max-session-duration", help="Seconds, 3600-43200."),
) -> None:
    """Create an IAM role (CreateRole).

    Example: awsmon iam create-role --role-name lab-role --assume-role-policy-document file://trust.json
    """
    from awsmon.services.iam import create_role as svc

    data = svc(app_ctx(ctx), role_name=role_name, assume_role_policy_document=assume_role_policy_document, path=path,
               description=description, max_session_duration=max_session_duration)  # fmt: skip
    renderer(ctx).render(data, columns=[Column("RoleName", "Role.RoleName"), Column("RoleId", "Role.RoleId"),
                                        Column("Arn", "Role.Arn")])  # fmt: skip


@app.command("create-policy")
def create_policy(
    ctx: typer.Context,
    policy_name: str = typer.Option(..., "--policy-name", help="Policy name."),
    policy_document: str = typer.Option(..., "--policy-document", help="Policy JSON (or file://PATH)."),
    path: str | None = typer.Option(None, "--path", help="Path (default /)."),
    description: str | None = typer.Option(None, "--description", help="Description."),
) -> None:
    """Create a customer managed policy (CreatePolicy).

    Example: awsmon iam create-policy --policy-name read-logs --policy-document file://policy.json
    """
    from awsmon.services.iam import create_policy as svc

    data = svc(app_ctx(ctx), policy_name=policy_name, policy_document=policy_document, path=path, description=description)
    renderer(ctx).render(data, columns=[Column("PolicyName", "Policy.PolicyName"), Column("Arn", "Policy.Arn")])


def _attach_command(name: str, kind: str, detach: bool, summary: str, example: str) -> None:
    if kind == "user":
        def command(ctx: typer.Context, user_name: str = typer.Option(..., "--user-name", help=USER_HELP),
                    policy_arn: str = typer.Option(..., "--policy-arn", help="Managed policy ARN.")) -> None:  # fmt: skip
            from awsmon.services.iam import attach_policy

            renderer(ctx).render(attach_policy(app_ctx(ctx), policy_arn=policy_arn, user_name=user_name, detach=detach))
    else:
        def command(ctx: typer.Context, role_name: str = typer.Option(..., "--role-name", help="Role name."),  # type: ignore[misc]
                    policy_arn: str = typer.Option(..., "--policy-arn", help="Managed policy ARN.")) -> None:  # fmt: skip
            from awsmon.services.iam import attach_policy

            renderer(ctx).render(attach_policy(app_ctx(ctx), policy_arn=policy_arn, role_name=role_name, detach=detach))

    command.__doc__ = f"{summary}\n\n    Example: {example}\n    "
    command.__name__ = name.replace("-", "_")
    app.command(name)(command)


_attach_command("attach-user-policy", "user", False, "Attach a managed policy to a user (AttachUserPolicy).",
                "awsmon iam attach-user-policy --user-name alice --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess")
_attach_command("attach-role-policy", "role", False, "Attach a managed policy to a role (AttachRolePolicy).",
                "awsmon iam attach-role-policy --role-name lab-role --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess")
_attach_command("detach-user-policy", "user", True, "Detach a managed policy from a user (DetachUserPolicy).",
                "awsmon iam detach-user-policy --user-name alice --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess")
_attach_command("detach-role-policy", "role", True, "Detach a managed policy from a role (DetachRolePolicy).",
                "awsmon iam detach-role-policy --role-name lab-role --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess")


@app.command("create-access-key")
def create_access_key(
    ctx: typer.Context,
    user_name: str | None = typer.Option(None, "--user-name", help="User (default: the caller; root's own keys as root)."),
) -> None:
    """Create an access key (CreateAccessKey); the secret is shown only here.

    Example: awsmon iam create-access-key --user-name alice
    """
    from awsmon.services.iam import create_access_key as svc

    renderer(ctx).render(svc(app_ctx(ctx), user_name=user_name),
                         columns=[Column("UserName", "AccessKey.UserName"), Column("AccessKeyId", "AccessKey.AccessKeyId"),
                                  Column("SecretAccessKey", "AccessKey.SecretAccessKey"), Column("Status", "AccessKey.Status")])  # fmt: skip


@app.command("list-access-keys")
def list_access_keys(ctx: typer.Context, user_name: str | None = typer.Option(None, "--user-name", help=USER_HELP)) -> None:
    """List a user's access keys (ListAccessKeys).

    Example: awsmon iam list-access-keys --user-name alice
    """
    from awsmon.services.iam import list_access_keys as svc

    renderer(ctx).render(svc(app_ctx(ctx), user_name=user_name), rows_key="AccessKeyMetadata", columns=_KEY_COLUMNS)


@app.command("update-access-key")
def update_access_key(
    ctx: typer.Context,
    access_key_id: str = typer.Option(..., "--access-key-id", help="Access key id (AKIA...)."),
    status: str = typer.Option(..., "--status", help="Active or Inactive."),
    user_name: str | None = typer.Option(None, "--user-name", help=USER_HELP),
) -> None:
    """Activate or deactivate an access key (UpdateAccessKey).

    Example: awsmon iam update-access-key --user-name alice --access-key-id AKIAEXAMPLE --status Inactive
    """
    from awsmon.services.iam import update_access_key as svc

    renderer(ctx).render(svc(app_ctx(ctx), access_key_id=access_key_id, status=status, user_name=user_name))


@app.command("delete-access-key")
def delete_access_key(
    ctx: typer.Context,
    access_key_id: str = typer.Option(..., "--access-key-id", help="Access key id (AKIA...)."),
    user_name: str | None = typer.Option(None, "--user-name", help=USER_HELP),
) -> None:
    """Delete an access key (DeleteAccessKey).

    Example: awsmon iam delete-access-key --user-name alice --access-key-id AKIAEXAMPLE
    """
    from awsmon.services.iam import delete_access_key as svc

    renderer(ctx).render(svc(app_ctx(ctx), access_key_id=access_key_id, user_name=user_name))


@app.command("create-virtual-mfa-device")
def create_virtual_mfa_device(
    ctx: typer.Context,
    name: str = typer.Option(..., "--virtual-mfa-device-name", help="Device name."),
    path: str | None = typer.Option(None, "--path", help="Path (default /)."),
) -> None:
    """Create a virtual MFA device (CreateVirtualMFADevice); prints its serial number and seed.

    Example: awsmon iam create-virtual-mfa-device --virtual-mfa-device-name alice
    """
    from awsmon.services.iam import create_virtual_mfa_device as svc

    renderer(ctx).render(svc(app_ctx(ctx), name=name, path=path),
                         columns=[Column("SerialNumber", "VirtualMFADevice.SerialNumber")])  # fmt: skip


@app.command("enable-mfa-device")
def enable_mfa_device(
    ctx: typer.Context,
    user_name: str = typer.Option(..., "--user-name", help=USER_HELP),
    serial_number: str = typer.Option(..., "--serial-number", help="Device serial (virtual: its ARN)."),
    code1: str = typer.Option(..., "--authentication-code1", help="First 6-digit code."),
    code2: str = typer.Option(..., "--authentication-code2", help="Next 6-digit code."),
) -> None:
    """Enable an MFA device for a user (EnableMFADevice).

    Example: awsmon iam enable-mfa-device --user-name alice --serial-number arn:aws:iam::123456789012:mfa/alice --authentication-code1 123456 --authentication-code2 789012
    """
    from awsmon.services.iam import enable_mfa_device as svc

    renderer(ctx).render(svc(app_ctx(ctx), user_name=user_name, serial_number=serial_number, code1=code1, code2=code2))


@app.command("list-mfa-devices")
def list_mfa_devices(ctx: typer.Context, user_name: str | None = typer.Option(None, "--user-name", help=USER_HELP)) -> None:
    """List a user's MFA devices (ListMFADevices).

    Example: awsmon iam list-mfa-devices --user-name alice
    """
    from awsmon.services.iam import list_mfa_devices as svc

    renderer(ctx).render(svc(app_ctx(ctx), user_name=user_name), rows_key="MFADevices",
                         columns=[Column("UserName"), Column("SerialNumber"), Column("EnableDate")])  # fmt: skip
