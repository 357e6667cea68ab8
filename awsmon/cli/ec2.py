"""awsmon ec2: EC2 instances and security groups (aws-cli's names and options)."""

from __future__ import annotations

import typer

from awsmon.cli._common import app_ctx, group, renderer, service_command, split_values
from awsmon.output import Column

app = group(
    "ec2",
    "EC2 instances and security groups, with aws-cli's command and option names.\n\n"
    "On the local backend instances follow AWS's states on the simulated clock (pending -> running after 15 s, "
    "stopping -> stopped and shutting-down -> terminated after 30 s), emit 'EC2 Instance State-change "
    "Notification' events, publish AWS/EC2 metrics while running, and are recorded by CloudTrail and Config.\n\n"
    "Examples:\n\n"
    "  awsmon ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t3.micro --count 1\n\n"
    "  awsmon ec2 stop-instances --instance-ids i-0123456789abcdef0\n\n"
    "  awsmon ec2 authorize-security-group-ingress --group-id sg-0123456789abcdef0 --protocol tcp --port 22 "
    "--cidr 203.0.113.0/24",
)

_INSTANCE_ROWS = "Reservations[].Instances[]"
_INSTANCE_COLUMNS = [Column("InstanceId"), Column("InstanceType"), Column("State", "State.Name"),
                     Column("PublicIpAddress"), Column("PrivateIpAddress"), Column("Monitoring", "Monitoring.State"),
                     Column("LaunchTime")]  # fmt: skip
_CHANGE_COLUMNS = [Column("InstanceId"), Column("PreviousState", "PreviousState.Name"),
                   Column("CurrentState", "CurrentState.Name")]  # fmt: skip
_GROUP_COLUMNS = [Column("GroupId"), Column("GroupName"), Column("VpcId"), Column("Description")]
IDS_HELP = "Instance ids (repeatable, space- or comma-separated)."


@app.command("run-instances")
def run_instances(
    ctx: typer.Context,
    image_id: str = typer.Option(..., "--image-id", help="AMI id (ami-...)."),
    instance_type: str | None = typer.Option(None, "--instance-type", help="Instance type (AWS default: m1.small)."),
    count: str | None = typer.Option(None, "--count", help="N or MIN:MAX instances (default 1)."),
    security_group_ids: list[str] | None = typer.Option(None, "--security-group-ids", help="Security group ids (default: the VPC's default group)."),
    subnet_id: str | None = typer.Option(None, "--subnet-id", help="Subnet (default: the default VPC's subnet)."),
    key_name: str | None = typer.Option(None, "--key-name", help="Key pair name."),
    monitoring: str | None = typer.Option(None, "--monitoring", help="Enabled=true for detailed (1-minute) monitoring."),
    tag_specifications: list[str] | None = typer.Option(None, "--tag-specifications", help="ResourceType=instance,Tags=[{Key=k,Value=v}] as JSON."),
    associate_public_ip: bool | None = typer.Option(None, "--associate-public-ip-address/--no-associate-public-ip-address", help="Give the instance a public IPv4 address (default: the subnet's setting, yes)."),
) -> None:
    """Launch instances (RunInstances); prints the reservation.

    Example: awsmon ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t3.micro --count 2
    """
    from awsmon.services.ec2 import run_instances as svc

    data = svc(app_ctx(ctx), image_id=image_id, instance_type=instance_type, count=count,
               security_group_ids=split_values(security_group_ids), subnet_id=subnet_id, key_name=key_name,
               monitoring=monitoring, tag_specifications=tag_specifications,
               associate_public_ip=associate_public_ip)  # fmt: skip
    renderer(ctx).render(data, rows_key="Instances", columns=_INSTANCE_COLUMNS)


@app.command("describe-instances")
def describe_instances(
    ctx: typer.Context,
    instance_ids: list[str] | None = typer.Option(None, "--instance-ids", help=IDS_HELP),
    filters: list[str] | None = typer.Option(None, "--filters", help="Name=instance-state-name,Values=running (repeatable)."),
) -> None:
    """Describe instances (DescribeInstances); terminated ones stay visible for about an hour.

    Example: awsmon ec2 describe-instances --filters Name=instance-state-name,Values=running
    """
    from awsmon.services.ec2 import describe_instances as svc

    data = svc(app_ctx(ctx), instance_ids=split_values(instance_ids), filter_values=filters)
    renderer(ctx).render(data, rows_key=_INSTANCE_ROWS, columns=_INSTANCE_COLUMNS)


def _state_command(name: str, action: str, key: str, summary: str, example: str) -> None:
    def command(
        ctx: typer.Context,
        instance_ids: list[str] = typer.Option(..., "--instance-ids", help=IDS_HELP),
    ) -> None:
        from awsmon.services.ec2 import change_state

        data = change_state(app_ctx(ctx), action, split_values(instance_ids))
        renderer(ctx).render(data, rows_key=key, columns=_CHANGE_COLUMNS if "Monitor" not in key else
                             [Column("InstanceId"), Column("Monitoring", "Monitoring.State")])  # fmt: skip

    command.__doc__ = f"{summary}\n\n    Example: {example}\n    "
    command.__name__ = name.replace("-", "_")
    app.command(name)(command)


_state_command("stop-instances", "stop", "StoppingInstances", "Stop running instances (StopInstances).",
               "awsmon ec2 stop-instances --instance-ids i-0123456789abcdef0")
_state_command("start-instances", "start", "StartingInstances", "Start stopped instances (StartInstances).",
               "awsmon ec2 start-instances --instance-ids i-0123456789abcdef0")
_state_command("terminate-instances", "terminate", "TerminatingInstances", "Terminate instances (TerminateInstances).",
               "awsmon ec2 terminate-instances --instance-ids i-0123456789abcdef0")
_state_command("reboot-instances", "reboot", "RebootInstances", "Reboot instances (RebootInstances); they stay running.",
               "awsmon ec2 reboot-instances --instance-ids i-0123456789abcdef0")
_state_command("monitor-instances", "monitor", "InstanceMonitorings",
               "Turn on detailed (1-minute) monitoring (MonitorInstances).",
               "awsmon ec2 monitor-instances --instance-ids i-0123456789abcdef0")
_state_command("unmonitor-instances", "unmonitor", "InstanceMonitorings",
               "Back to basic (5-minute) monitoring (UnmonitorInstances).",
               "awsmon ec2 unmonitor-instances --instance-ids i-0123456789abcdef0")


@app.command("create-security-group")
def create_security_group(
    ctx: typer.Context,
    group_name: str = typer.Option(..., "--group-name", help="Name, unique in the VPC."),
    description: str = typer.Option(..., "--description", help="Description (required by AWS)."),
    vpc_id: str | None = typer.Option(None, "--vpc-id", help="VPC (default: the default VPC)."),
    tag_specifications: list[str] | None = typer.Option(None, "--tag-specifications", help="JSON tag specification."),
) -> None:
    """Create a security group (CreateSecurityGroup); prints its id.

    Example: awsmon ec2 create-security-group --group-name web --description "web servers"
    """
    from awsmon.services.ec2 import create_security_group as svc

    data = svc(app_ctx(ctx), group_name=group_name, description=description, vpc_id=vpc_id,
               tag_specifications=tag_specifications)  # fmt: skip
    renderer(ctx).render(data, columns=[Column("GroupId"), Column("SecurityGroupArn")])


service_command(app, "delete-security-group", "awsmon.services.ec2:delete_security_group",
                "Delete a security group (DeleteSecurityGroup).\n\n"
                "Example: awsmon ec2 delete-security-group --group-id sg-0123456789abcdef0",
                ("group_id", str | None, typer.Option(None, "--group-id", help="Security group id.")),
                ("group_name", str | None, typer.Option(None, "--group-name", help="Security group name (default VPC).")))  # fmt: skip


@app.command("describe-security-groups")
def describe_security_groups(
    ctx: typer.Context,
    group_ids: list[str] | None = typer.Option(None, "--group-ids", help="Security group ids (repeatable)."),
    group_names: list[str] | None = typer.Option(None, "--group-names", help="Security group names (repeatable)."),
    filters: list[str] | None = typer.Option(None, "--filters", help="Name=group-name,Values=web (repeatable)."),
) -> None:
    """Describe security groups and their rules (DescribeSecurityGroups).

    Example: awsmon ec2 describe-security-groups --group-ids sg-0123456789abcdef0 -o json
    """
    from awsmon.services.ec2 import describe_security_groups as svc

    data = svc(app_ctx(ctx), group_ids=split_values(group_ids), group_names=split_values(group_names),
               filter_values=filters)  # fmt: skip
    renderer(ctx).render(data, rows_key="SecurityGroups", columns=_GROUP_COLUMNS)


def _ingress_command(name: str, authorize: bool, summary: str, example: str) -> None:
    def command(
        ctx: typer.Context,
        group_id: str | None = typer.Option(None, "--group-id", help="Security group id."),
        group_name: str | None = typer.Option(None, "--group-name", help="Security group name (default VPC)."),
        protocol: str | None = typer.Option(None, "--protocol", help="tcp, udp, icmp, icmpv6, all or a number."),
        port: str | None = typer.Option(None, "--port", help="Port or FROM-TO range."),
        cidr: str | None = typer.Option(None, "--cidr", help="IPv4 CIDR, e.g. 0.0.0.0/0."),
        source_group: str | None = typer.Option(None, "--source-group", help="Allow from this security group id."),
        ip_permissions: str | None = typer.Option(None, "--ip-permissions", help="IpPermissions JSON (or file://PATH)."),
    ) -> None:
        from awsmon.services.ec2 import change_ingress, permissions

        perms = permissions(protocol=protocol, port=port, cidr=cidr, source_group=source_group,
                            ip_permissions=ip_permissions)  # fmt: skip
        data = change_ingress(app_ctx(ctx), authorize=authorize, group_id=group_id, group_name=group_name, perms=perms)
        renderer(ctx).render(data, rows_key="SecurityGroupRules" if authorize else None,
                             columns=[Column("SecurityGroupRuleId"), Column("IpProtocol"), Column("FromPort"),
                                      Column("ToPort"), Column("CidrIpv4")] if authorize else [Column("Return")])  # fmt: skip

    command.__doc__ = f"{summary}\n\n    Example: {example}\n    "
    command.__name__ = name.replace("-", "_")
    app.command(name)(command)


_ingress_command("authorize-security-group-ingress", True,
                 "Add inbound rules to a security group (AuthorizeSecurityGroupIngress).",
                 "awsmon ec2 authorize-security-group-ingress --group-id sg-0123456789abcdef0 --protocol tcp --port 22 --cidr 0.0.0.0/0")
_ingress_command("revoke-security-group-ingress", False,
                 "Remove inbound rules from a security group (RevokeSecurityGroupIngress).",
                 "awsmon ec2 revoke-security-group-ingress --group-id sg-0123456789abcdef0 --protocol tcp --port 22 --cidr 0.0.0.0/0")


service_command(app, "set-instance-health", "awsmon.services.ec2:set_instance_health",
                "Local only: make a status check fail or pass from now on (StatusCheckFailed_System/_Instance follow).\n\n"
                "Example: awsmon ec2 set-instance-health --instance-id i-0123456789abcdef0 --check system --failing",
                ("instance_id", str, typer.Option(..., "--instance-id", help="Instance id.")),
                ("check", str, typer.Option("system", "--check", help="system (hardware) or instance (OS) status check.")),
                ("failing", bool, typer.Option(True, "--failing/--passing", help="Make the check fail (default) or pass.")))  # fmt: skip
