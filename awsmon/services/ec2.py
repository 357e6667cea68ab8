"""EC2 instances and security groups: what each ``awsmon ec2`` command means, on either backend (boto3 ``ec2``)."""

from __future__ import annotations

from typing import Any

from awsmon.context import AppContext
from awsmon.errors import UsageError
from awsmon.services import _input, given
from awsmon.services._input import filters, json_or_shorthand, read_json

PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "all", "-1")


def _count(count: str | None) -> tuple[int, int]:
    """aws-cli's ``--count N`` or ``--count MIN:MAX``."""
    if not count:
        return 1, 1
    lo, _, hi = str(count).partition(":")
    try:
        a, b = int(lo), int(hi or lo)
    except ValueError:
        raise UsageError(f"invalid --count {count!r}: expected N or MIN:MAX") from None
    if a < 1 or b < a:
        raise UsageError(f"invalid --count {count!r}: expected 1 <= MIN <= MAX")
    return a, b


def run_instances(ctx: AppContext, *, image_id: str, instance_type: str | None = None, count: str | None = None,
                  security_group_ids: list[str] | None = None, subnet_id: str | None = None,
                  key_name: str | None = None, monitoring: str | None = None, tag_specifications: list[str] | None = None,
                  associate_public_ip: bool | None = None) -> dict[str, Any]:  # fmt: skip
    lo, hi = _count(count)
    params: dict[str, Any] = {"ImageId": image_id, "MinCount": lo, "MaxCount": hi,
                              **given(InstanceType=instance_type, KeyName=key_name)}  # fmt: skip
    if monitoring:
        m = json_or_shorthand(monitoring, "--monitoring")
        if not isinstance(m, dict) or "Enabled" not in m:
            raise UsageError("invalid --monitoring value: expected Enabled=true or Enabled=false")
        params["Monitoring"] = {"Enabled": bool(m["Enabled"])}
    if specs := _input.tag_specifications(tag_specifications):
        params["TagSpecifications"] = specs
    if associate_public_ip is not None:
        params["NetworkInterfaces"] = [{"DeviceIndex": 0, "AssociatePublicIpAddress": associate_public_ip,
                                        **given(SubnetId=subnet_id, Groups=list(security_group_ids or []))}]  # fmt: skip
    else:
        params.update(given(SubnetId=subnet_id, SecurityGroupIds=list(security_group_ids or [])))
    return ctx.client("ec2").run_instances(**params)


def describe_instances(ctx: AppContext, *, instance_ids: list[str] | None = None,
                       filter_values: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    from awsmon.backends import paginate

    params = given(InstanceIds=list(instance_ids or []), Filters=filters(filter_values) if filter_values else None)
    reservations = list(paginate(ctx.client("ec2").describe_instances, "Reservations", token_in="NextToken", **params))
    return {"Reservations": reservations}


def _ids(instance_ids: list[str] | None) -> list[str]:
    if not instance_ids:
        raise UsageError("give --instance-ids")
    return list(instance_ids)


def change_state(ctx: AppContext, action: str, instance_ids: list[str] | None, *, force: bool = False) -> dict[str, Any]:
    """stop | start | terminate | reboot | monitor | unmonitor."""
    ec2 = ctx.client("ec2")
    ids = _ids(instance_ids)
    if action == "stop":
        return ec2.stop_instances(InstanceIds=ids, **({"Force": True} if force else {}))
    if action == "start":
        return ec2.start_instances(InstanceIds=ids)
    if action == "terminate":
        return ec2.terminate_instances(InstanceIds=ids)
    if action == "reboot":
        return ec2.reboot_instances(InstanceIds=ids)
    if action == "monitor":
        return ec2.monitor_instances(InstanceIds=ids)
    if action == "unmonitor":
        return ec2.unmonitor_instances(InstanceIds=ids)
    raise UsageError(f"unknown instance action {action!r}")


def create_security_group(ctx: AppContext, *, group_name: str, description: str, vpc_id: str | None = None,
                          tag_specifications: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    params = {"GroupName": group_name, "Description": description,
              **given(VpcId=vpc_id, TagSpecifications=_input.tag_specifications(tag_specifications))}  # fmt: skip
    return ctx.client("ec2").create_security_group(**params)


def delete_security_group(ctx: AppContext, *, group_id: str | None = None, group_name: str | None = None) -> dict[str, Any]:
    if not group_id and not group_name:
        raise UsageError("give --group-id or --group-name")
    return ctx.client("ec2").delete_security_group(**({"GroupId": group_id} if group_id else {"GroupName": group_name}))


def describe_security_groups(ctx: AppContext, *, group_ids: list[str] | None = None, group_names: list[str] | None = None,
                             filter_values: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    params = given(GroupIds=list(group_ids or []), GroupNames=list(group_names or []),
                   Filters=filters(filter_values) if filter_values else None)
    return ctx.client("ec2").describe_security_groups(**params)


def permissions(*, protocol: str | None, port: str | None, cidr: str | None, source_group: str | None,
                ip_permissions: str | None) -> list[dict[str, Any]]:  # fmt: skip
    """aws-cli's two forms: ``--protocol tcp --port 22 --cidr 0.0.0.0/0`` or ``--ip-permissions JSON|shorthand``."""
    if ip_permissions:
        if protocol or port or cidr or source_group:
            raise UsageError("--ip-permissions cannot be combined with --protocol/--port/--cidr/--source-group")
        value = read_json(ip_permissions, "--ip-permissions") if ip_permissions.lstrip().startswith(("[", "{", "file://")) \
            else json_or_shorthand(ip_permissions, "--ip-permissions")  # fmt: skip
        return value if isinstance(value, list) else [value]
    if not protocol:
        raise UsageError("give --protocol (with --port and --cidr or --source-group) or --ip-permissions")
    proto = protocol.lower()
    if proto not in PROTOCOLS and not proto.isdigit():
        raise UsageError(f"invalid --protocol {protocol!r}: tcp, udp, icmp, icmpv6, all or a protocol number")
    perm: dict[str, Any] = {"IpProtocol": "-1" if proto == "all" else proto}
    if proto not in ("all", "-1"):
        if port is None:
            if proto in ("tcp", "udp"):
                raise UsageError("--port is required with --protocol tcp or udp")
            lo = hi = -1
        else:
            text = str(port)
            a, _, b = text.partition("-") if not text.startswith("-") else (text, "", "")
            try:
                lo, hi = int(a), int(b or a)
            except ValueError:
                raise UsageError(f"invalid --port {port!r}: expected N or FROM-TO") from None
        perm["FromPort"], perm["ToPort"] = lo, hi
    if source_group:
        perm["UserIdGroupPairs"] = [{"GroupId": source_group}]
    else:
        perm["IpRanges"] = [{"CidrIp": cidr or "0.0.0.0/0"}] if cidr or not source_group else []
    if not cidr and not source_group:
        raise UsageError("give --cidr or --source-group")
    return [perm]


def change_ingress(ctx: AppContext, *, authorize: bool, group_id: str | None, group_name: str | None,
                   perms: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    if not group_id and not group_name:
        raise UsageError("give --group-id or --group-name")
    params: dict[str, Any] = {"IpPermissions": perms, **({"GroupId": group_id} if group_id else {"GroupName": group_name})}
    ec2 = ctx.client("ec2")
    return ec2.authorize_security_group_ingress(**params) if authorize else ec2.revoke_security_group_ingress(**params)


def set_instance_health(ctx: AppContext, *, instance_id: str, check: str, failing: bool) -> dict[str, Any]:
    """Local only: make an instance's system or instance status check fail (or pass) from now on."""
    if not ctx.is_local:
        raise UsageError("ec2 set-instance-health works on the local account only (use --backend local)")
    if check not in ("system", "instance"):
        raise UsageError("--check is system or instance")
    ec2: Any = ctx.client("ec2")
    return ec2.set_instance_health(InstanceId=instance_id, **{"System" if check == "system" else "Instance": failing})
