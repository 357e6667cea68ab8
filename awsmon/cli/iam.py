"""awsmon iam: IAM users, roles, managed policies, access keys and MFA devices (aws-cli's names)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command
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


service_command(app, "delete-user", "awsmon.services.iam:delete_user",
                "Delete an IAM user (DeleteUser); its keys, policies and MFA devices must go first.\n\n"
                "Example: awsmon iam delete-user --user-name alice",
                ("user_name", str, typer.Option(..., "--user-name", help=USER_HELP)))


service_command(app, "list-users", "awsmon.services.iam:list_users",
                "List IAM users (ListUsers).\n\n"
                "Example: awsmon iam list-users -o json",
                ("path_prefix", str | None, typer.Option(None, "--path-prefix", help="Only users under this path.")),
                rows_key="Users", columns=_USER_COLUMNS)  # fmt: skip


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


service_command(app, "create-access-key", "awsmon.services.iam:create_access_key",
                "Create an access key (CreateAccessKey); the secret is shown only here.\n\n"
                "Example: awsmon iam create-access-key --user-name alice",
                ("user_name", str | None, typer.Option(None, "--user-name", help="User (default: the caller; root's own keys as root).")),
                columns=[Column("UserName", "AccessKey.UserName"), Column("AccessKeyId", "AccessKey.AccessKeyId"),
                                  Column("SecretAccessKey", "AccessKey.SecretAccessKey"), Column("Status", "AccessKey.Status")])  # fmt: skip


service_command(app, "list-access-keys", "awsmon.services.iam:list_access_keys",
                "List a user's access keys (ListAccessKeys).\n\n"
                "Example: awsmon iam list-access-keys --user-name alice",
                ("user_name", str | None, typer.Option(None, "--user-name", help=USER_HELP)),
                rows_key="AccessKeyMetadata", columns=_KEY_COLUMNS)


service_command(app, "update-access-key", "awsmon.services.iam:update_access_key",
                "Activate or deactivate an access key (UpdateAccessKey).\n\n"
                "Example: awsmon iam update-access-key --user-name alice --access-key-id AKIAEXAMPLE --status Inactive",
                ("access_key_id", str, typer.Option(..., "--access-key-id", help="Access key id (AKIA...).")),
                ("status", str, typer.Option(..., "--status", help="Active or Inactive.")),
                ("user_name", str | None, typer.Option(None, "--user-name", help=USER_HELP)))  # fmt: skip


service_command(app, "delete-access-key", "awsmon.services.iam:delete_access_key",
                "Delete an access key (DeleteAccessKey).\n\n"
                "Example: awsmon iam delete-access-key --user-name alice --access-key-id AKIAEXAMPLE",
                ("access_key_id", str, typer.Option(..., "--access-key-id", help="Access key id (AKIA...).")),
                ("user_name", str | None, typer.Option(None, "--user-name", help=USER_HELP)))


service_command(app, "create-virtual-mfa-device", "awsmon.services.iam:create_virtual_mfa_device",
                "Create a virtual MFA device (CreateVirtualMFADevice); prints its serial number and seed.\n\n"
                "Example: awsmon iam create-virtual-mfa-device --virtual-mfa-device-name alice",
                ("name", str, typer.Option(..., "--virtual-mfa-device-name", help="Device name.")),
                ("path", str | None, typer.Option(None, "--path", help="Path (default /).")),
                columns=[Column("SerialNumber", "VirtualMFADevice.SerialNumber")])


service_command(app, "enable-mfa-device", "awsmon.services.iam:enable_mfa_device",
                "Enable an MFA device for a user (EnableMFADevice).\n\n"
                "Example: awsmon iam enable-mfa-device --user-name alice --serial-number arn:aws:iam::123456789012:mfa/alice --authentication-code1 123456 --authentication-code2 789012",
                ("user_name", str, typer.Option(..., "--user-name", help=USER_HELP)),
                ("serial_number", str, typer.Option(..., "--serial-number", help="Device serial (virtual: its ARN).")),
                ("code1", str, typer.Option(..., "--authentication-code1", help="First 6-digit code.")),
                ("code2", str, typer.Option(..., "--authentication-code2", help="Next 6-digit code.")))  # fmt: skip


service_command(app, "list-mfa-devices", "awsmon.services.iam:list_mfa_devices",
                "List a user's MFA devices (ListMFADevices).\n\n"
                "Example: awsmon iam list-mfa-devices --user-name alice",
                ("user_name", str | None, typer.Option(None, "--user-name", help=USER_HELP)),
                rows_key="MFADevices",
                columns=[Column("UserName"), Column("SerialNumber"), Column("EnableDate")])
