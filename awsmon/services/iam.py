"""IAM users, roles, managed policies, access keys and MFA devices, on either backend (boto3 ``iam``)."""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.services._input import read_text, tags


def _opt(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None and v != []}


def create_user(ctx: AppContext, *, user_name: str, path: str | None = None, tag_values: list[str] | None = None) -> dict[str, Any]:
    return ctx.client("iam").create_user(**_opt(UserName=user_name, Path=path, Tags=tags(tag_values)))


def delete_user(ctx: AppContext, *, user_name: str) -> dict[str, Any]:
    return ctx.client("iam").delete_user(UserName=user_name)


def list_users(ctx: AppContext, *, path_prefix: str | None = None) -> dict[str, Any]:
    from awsmon.backends import paginate

    users = list(paginate(ctx.client("iam").list_users, "Users", token_in="Marker", **_opt(PathPrefix=path_prefix)))
    return {"Users": users}


def create_role(ctx: AppContext, *, role_name: str, assume_role_policy_document: str, path: str | None = None,
                description: str | None = None, max_session_duration: int | None = None) -> dict[str, Any]:  # fmt: skip
    doc = read_text(assume_role_policy_document, "--assume-role-policy-document")
    return ctx.client("iam").create_role(**_opt(RoleName=role_name, AssumeRolePolicyDocument=doc, Path=path,
                                                Description=description, MaxSessionDuration=max_session_duration))  # fmt: skip


def create_policy(ctx: AppContext, *, policy_name: str, policy_document: str, path: str | None = None,
                  description: str | None = None) -> dict[str, Any]:  # fmt: skip
    doc = read_text(policy_document, "--policy-document")
    return ctx.client("iam").create_policy(**_opt(PolicyName=policy_name, PolicyDocument=doc, Path=path,
                                                  Description=description))  # fmt: skip


def attach_policy(ctx: AppContext, *, policy_arn: str, user_name: str | None = None, role_name: str | None = None,
                  detach: bool = False) -> dict[str, Any]:  # fmt: skip
    iam = ctx.client("iam")
    if user_name:
        fn = iam.detach_user_policy if detach else iam.attach_user_policy
        return fn(UserName=user_name, PolicyArn=policy_arn)
    if role_name:
        fn = iam.detach_role_policy if detach else iam.attach_role_policy
        return fn(RoleName=role_name, PolicyArn=policy_arn)
    raise UsageError("give --user-name or --role-name")


def create_access_key(ctx: AppContext, *, user_name: str | None = None) -> dict[str, Any]:
    return ctx.client("iam").create_access_key(**_opt(UserName=user_name))


def list_access_keys(ctx: AppContext, *, user_name: str | None = None) -> dict[str, Any]:
    return ctx.client("iam").list_access_keys(**_opt(UserName=user_name))


def update_access_key(ctx: AppContext, *, access_key_id: str, status: str, user_name: str | None = None) -> dict[str, Any]:
    if status not in ("Active", "Inactive"):
        raise UsageError("--status is Active or Inactive")
    return ctx.client("iam").update_access_key(**_opt(AccessKeyId=access_key_id, Status=status, UserName=user_name))


def delete_access_key(ctx: AppContext, *, access_key_id: str, user_name: str | None = None) -> dict[str, Any]:
    return ctx.client("iam").delete_access_key(**_opt(AccessKeyId=access_key_id, UserName=user_name))


def create_virtual_mfa_device(ctx: AppContext, *, name: str, path: str | None = None) -> dict[str, Any]:
    out = ctx.client("iam").create_virtual_mfa_device(**_opt(VirtualMFADeviceName=name, Path=path))
    device = dict(out.get("VirtualMFADevice") or {})
    device.pop("QRCodePNG", None)
    seed = device.get("Base32StringSeed")
    if isinstance(seed, bytes):
        device["Base32StringSeed"] = seed.decode()
    return {"VirtualMFADevice": device}


def enable_mfa_device(ctx: AppContext, *, user_name: str, serial_number: str, code1: str, code2: str) -> dict[str, Any]:
    return ctx.client("iam").enable_mfa_device(UserName=user_name, SerialNumber=serial_number,
                                               AuthenticationCode1=code1, AuthenticationCode2=code2)  # fmt: skip


def list_mfa_devices(ctx: AppContext, *, user_name: str | None = None) -> dict[str, Any]:
    return ctx.client("iam").list_mfa_devices(**_opt(UserName=user_name))
