"""The simulated EC2 service: instances with AWS's state machine on the simulated clock, security groups, a default VPC.

Consequences, all through :mod:`awsmon.backends.local.facts`:

* every call is one CloudTrail management record (``ec2.amazonaws.com``), which EventBridge rules see as
  "AWS API Call via CloudTrail";
* each state transition (pending, running, stopping, stopped, shutting-down, terminated) emits an "EC2 Instance
  State-change Notification" on the default bus (fact ``event``) at the simulated time it happens;
* running instances produce AWS/EC2 metrics (fact ``metric_series``): every 5 minutes (1 minute with detailed
  monitoring), status-check metrics every minute, no memory metric (it needs the CloudWatch agent);
* alarm actions ``arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover`` reach :func:`deliver_automate`
  (facts target ``automate``);
* Config records ``AWS::EC2::Instance`` and ``AWS::EC2::SecurityGroup`` from :data:`CONFIG_KINDS`.

[design choice] Timings AWS does not fix: pending lasts 15 s, stopping and shutting-down 30 s; a terminated instance
stays visible for one hour; a reboot keeps the instance running (no state change, as on AWS).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from awsmon.backends.local import facts, scheduler
from awsmon.backends.local.base import LocalService, api, config_camel
from awsmon.errors import ServiceError

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore

scheduler.register("ec2.transition", "awsmon.backends.local.ec2:run_transition")
scheduler.register("ec2.metrics", "awsmon.backends.local.ec2:run_metrics")

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
PENDING = timedelta(seconds=15)
STOPPING = timedelta(seconds=30)
SHUTTING_DOWN = timedelta(seconds=30)
TERMINATED_VISIBLE = timedelta(hours=1)
METRIC_CHUNK_MS = 3600 * 1000  # one metrics run covers at most an hour: alarms see data before they evaluate
STATUS_PERIOD_MS = 60 * 1000
_ID_RE = {"i": re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$"), "sg": re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
          "ami": re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")}  # fmt: skip
_INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6", "-1": "-1", "all": "-1",
              "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}  # fmt: skip
EC2_METRICS = (  # name, unit
    ("CPUUtilization", "Percent"), ("NetworkIn", "Bytes"), ("NetworkOut", "Bytes"),
    ("NetworkPacketsIn", "Count"), ("NetworkPacketsOut", "Count"), ("DiskReadOps", "Count"),
    ("DiskWriteOps", "Count"), ("DiskReadBytes", "Bytes"), ("DiskWriteBytes", "Bytes"),
    ("MetadataNoToken", "Count"),
)  # fmt: skip
STATUS_METRICS = ("StatusCheckFailed", "StatusCheckFailed_System", "StatusCheckFailed_Instance")


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _hex(seed: str, n: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def default_vpc(account: str, region: str) -> tuple[str, str, str, str]:
    """The default VPC, its subnet (in zone a), the default security group id and the VPC CIDR, stable per account
    and Region."""
    return (f"vpc-{_hex(f'{account}/{region}/vpc')}", f"subnet-{_hex(f'{account}/{region}/subnet')}",
            f"sg-{_hex(f'{account}/{region}/sg-default')}", "172.31.0.0/16")  # fmt: skip


def _malformed(value: Any) -> ServiceError:
    return ServiceError("InvalidInstanceID.Malformed", f'Invalid id: "{value}"')


_GROUP_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")


def _check_group_text(param: str, value: str) -> None:
    """A security group's name and description: AWS's character set (its documented constraint); the first text
    is AWS's for a character beyond ASCII, the second's wording is unverified [design choice]."""
    if not value.isascii():
        raise ServiceError("InvalidParameterValue", f"Value ({value}) for parameter {param} is invalid. "
                           "Character sets beyond ASCII are not supported.")  # fmt: skip
    if not _GROUP_TEXT.fullmatch(value):
        raise ServiceError("InvalidParameterValue", f"Invalid value '{value}' for {param}. Valid characters: "
                           "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*")  # fmt: skip


def _not_found(ids: list[str]) -> ServiceError:
    if len(ids) == 1:
        return ServiceError("InvalidInstanceID.NotFound", f"The instance ID '{ids[0]}' does not exist")
    return ServiceError("InvalidInstanceID.NotFound", f"The instance IDs '{', '.join(ids)}' do not exist")


def _tags(value: Any) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t.get("Value", ""))} for t in value or []]


def _rand(seed: int) -> float:
    """A deterministic value in [0, 1) from an integer (splitmix64): metrics are reproducible run to run."""
    z = (seed + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return ((z ^ (z >> 31)) >> 11) / float(1 << 53)


# -- permissions ------------------------------------------------------------------------------------------------------


def normalize_permissions(perms: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """IpPermissions as DescribeSecurityGroups shows them, one CIDR or group per entry (so duplicates are exact)."""
    out: list[dict[str, Any]] = []
    for p in perms:
        proto = _PROTOCOLS.get(str(p.get("IpProtocol", "")).lower())
        if proto is None:
            raise ServiceError("InvalidParameterValue",
                               f"Invalid value '{p.get('IpProtocol')}' for IP protocol. Unknown protocol.")  # fmt: skip
        base: dict[str, Any] = {"IpProtocol": proto}
        if proto != "-1":
            lo, hi = p.get("FromPort"), p.get("ToPort")
            if lo is None or hi is None:
                raise ServiceError("InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.")
            lo, hi = int(lo), int(hi)
            if proto in ("tcp", "udp") and not (0 <= lo <= hi <= 65535):
                raise ServiceError("InvalidParameterValue",
                                   f"Invalid value for portRange. Must be in range 0-65535 ({lo}-{hi}).")  # fmt: skip
            base["FromPort"], base["ToPort"] = lo, hi
        entries = 0
        for ranges, key, network in (("IpRanges", "CidrIp", ipaddress.IPv4Network),
                                     ("Ipv6Ranges", "CidrIpv6", ipaddress.IPv6Network)):  # fmt: skip
            for r in p.get(ranges) or []:
                cidr = str(r.get(key, ""))
                try:
                    network(cidr, strict=False)
                except ValueError:
                    raise ServiceError("InvalidParameterValue", f"Value ({cidr}) for parameter {key[0].lower()}{key[1:]} "
                                       "is invalid. This is not a valid CIDR block.") from None  # fmt: skip
                rng = {key: cidr, **({"Description": r["Description"]} if r.get("Description") else {})}
                out.append({**base, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": [],
                            ranges: [rng]})  # fmt: skip
                entries += 1
        for g in p.get("UserIdGroupPairs") or []:
            out.append({**base, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                        "UserIdGroupPairs": [{k: v for k, v in g.items() if k in ("GroupId", "UserId", "Description")}]})  # fmt: skip
            entries += 1
        if not entries:
            raise ServiceError("InvalidParameterValue", "The request must contain at least one of IpRanges, "
                               "Ipv6Ranges, UserIdGroupPairs or PrefixListIds.")  # fmt: skip
    return out


def _rule_key(p: Mapping[str, Any]) -> str:
    return json.dumps({k: p.get(k) for k in ("IpProtocol", "FromPort", "ToPort")}
                      | {"r": [r.get("CidrIp") for r in p.get("IpRanges") or []],
                         "r6": [r.get("CidrIpv6") for r in p.get("Ipv6Ranges") or []],
                         "g": [g.get("GroupId") for g in p.get("UserIdGroupPairs") or []]}, sort_keys=True)  # fmt: skip


def _rule_text(p: Mapping[str, Any]) -> str:
    peer = ([r["CidrIp"] for r in p.get("IpRanges") or []] + [r["CidrIpv6"] for r in p.get("Ipv6Ranges") or []]
            + [g.get("GroupId", "") for g in p.get("UserIdGroupPairs") or []])  # fmt: skip
    proto = p["IpProtocol"].upper() if p["IpProtocol"] != "-1" else "ALL"
    ports = f", from port: {p['FromPort']}, to port: {p['ToPort']}" if "FromPort" in p else ""
    return f"peer: {peer[0] if peer else ''}, {proto}{ports}, ALLOW"


# -- state-change consequences ----------------------------------------------------------------------------------------


def _state_event(store: AccountStore, region: str, iid: str, state: str, when: datetime) -> None:
    event = {
        "version": "0",
        "id": str(__import__("uuid").uuid4()),
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": store.account_id,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:ec2:{region}:{store.account_id}:instance/{iid}"],
        "detail": {"instance-id": iid, "state": state},
    }
    facts.emit(store, region, "event", event=event, bus="default", when=when)


def _public_ip(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).digest()
    return f"3.{h[0] % 250 + 1}.{h[1]}.{h[2] % 253 + 1}"


def set_state(store: AccountStore, region: str, row: Mapping[str, Any], state: str, when: datetime,
              reason: str = "", state_reason: dict[str, str] | None = None) -> None:  # fmt: skip
    """Move an instance to ``state`` at ``when``: the row, its next transition, its metrics and the event."""
    iid = row["instance_id"]
    key = f"{region}\t{iid}"
    ms = _ms(when)
    if row["state"] == "running" and state != "running":
        generate_metrics(store, region, row, ms)  # metrics up to the moment it stops running
    fields: dict[str, Any] = {"state": state, "state_ms": ms}
    if state == "running":
        fields["running_since_ms"] = ms
        fields["metrics_ms"] = ms
        _ensure_metrics_job(store, region, when)
    elif state in ("stopped", "terminated"):
        fields["running_since_ms"] = None
        fields["public_ip"] = None  # a non-Elastic public IP is released when the instance stops
    if state == "pending":
        fields["launch_ms"] = ms
        fields["health_system"] = 0
        fields["health_instance"] = 0
        if row["associate_public"]:
            fields["public_ip"] = _public_ip(f"{iid}/{ms}")
    if reason or state in ("pending", "running"):
        fields["transition_reason"] = reason
    if state_reason is not None or state in ("pending", "running"):
        fields["state_reason"] = json.dumps(state_reason) if state_reason else None
    sets = ", ".join(f"{k} = ?" for k in fields)
    store.conn.execute(f"UPDATE ec2_instances SET {sets} WHERE region = ? AND instance_id = ?",
                       (*fields.values(), region, iid))  # fmt: skip
    nxt = {"pending": PENDING, "stopping": STOPPING, "shutting-down": SHUTTING_DOWN,
           "terminated": TERMINATED_VISIBLE}.get(state)  # fmt: skip
    if nxt is None:
        scheduler.unschedule(store, "ec2.transition", key)
    else:
        scheduler.schedule(store, "ec2.transition", key, when + nxt)
    _state_event(store, region, iid, state, when)


def run_transition(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """The end of a timed state: pending -> running, stopping -> stopped, shutting-down -> terminated -> gone."""
    region, _, iid = key.partition("\t")
    row = store.conn.execute("SELECT * FROM ec2_instances WHERE region = ? AND instance_id = ?", (region, iid)).fetchone()
    if row is None:
        return None
    state = row["state"]
    if state == "pending":
        set_state(store, region, row, "running", due)
    elif state == "stopping":
        set_state(store, region, row, "stopped", due,
                  state_reason={"Code": "Client.UserInitiatedShutdown",
                                "Message": "Client.UserInitiatedShutdown: User initiated shutdown"})  # fmt: skip
    elif state == "shutting-down":
        set_state(store, region, row, "terminated", due,
                  state_reason={"Code": "Client.UserInitiatedShutdown",
                                "Message": "Client.UserInitiatedShutdown: User initiated shutdown"})  # fmt: skip
    elif state == "terminated":
        store.conn.execute("DELETE FROM ec2_instances WHERE region = ? AND instance_id = ?", (region, iid))
        return None
    return scheduler.next_due(store, "ec2.transition", key)  # set_state scheduled the next one (or none)


# -- metrics ----------------------------------------------------------------------------------------------------------


def _ensure_metrics_job(store: AccountStore, region: str, when: datetime) -> None:
    first = (_ms(when) // STATUS_PERIOD_MS + 1) * STATUS_PERIOD_MS
    current = scheduler.next_due(store, "ec2.metrics", region)
    if current is None or _ms(current) > first:
        scheduler.schedule(store, "ec2.metrics", region, _dt(first))


_SCALE = {"NetworkIn": 60_000.0, "NetworkOut": 40_000.0, "NetworkPacketsIn": 120.0, "NetworkPacketsOut": 90.0,
          "DiskReadOps": 5.0, "DiskWriteOps": 12.0, "DiskReadBytes": 20_000.0, "DiskWriteBytes": 50_000.0}  # fmt: skip


def _series(iid: str, metric: str, times_ms: list[int], period_s: int) -> list[tuple[float, float]]:
    """(epoch seconds, value) of one metric of one instance: a per-instance level plus deterministic noise."""
    seed = int.from_bytes(hashlib.blake2b(f"{iid}/{metric}".encode(), digest_size=8).digest(), "big")
    base = _rand(seed)
    if metric == "MetadataNoToken":
        return [(ts / 1000, 0.0) for ts in times_ms]
    if metric == "CPUUtilization":
        return [(ts / 1000, round(min(100.0, 2.0 + 38.0 * base + 10.0 * _rand(seed ^ (ts // 1000))), 4)) for ts in times_ms]
    level = _SCALE[metric] * period_s / 60.0 * (0.5 + base)
    return [(ts / 1000, float(round(level * (0.5 + _rand(seed ^ (ts // 1000)))))) for ts in times_ms]


def _values(iid: str, metric: str, ts_ms: int, period_s: int) -> float:
    return _series(iid, metric, [ts_ms], period_s)[0][1]


def generate_metrics(store: AccountStore, region: str, row: Mapping[str, Any], upto_ms: int) -> None:
    """Publish the instance's AWS/EC2 datapoints for the whole periods ending at or before ``upto_ms``."""
    start = row["metrics_ms"]
    if start is None or row["running_since_ms"] is None or upto_ms <= start:
        return
    iid = row["instance_id"]
    dims = {"InstanceId": iid}
    period_ms = 60_000 if row["monitoring"] == "enabled" else 300_000
    since = row["running_since_ms"]
    # Periods are aligned to the period; the first is the one the instance started running in.
    first = (since // period_ms) * period_ms
    t = max(first, ((start - first) // period_ms) * period_ms + first)
    if t + period_ms <= start:
        t += period_ms
    times: list[int] = []
    while t + period_ms <= upto_ms:
        if t + period_ms > start:
            times.append(t)
        t += period_ms
    period_s = period_ms // 1000
    for metric, unit in EC2_METRICS:
        if times:
            points = _series(iid, metric, times, period_s)
            facts.emit(store, region, "metric_series", namespace="AWS/EC2", metric_name=metric, dimensions=dims,
                       points=points, unit=unit)  # fmt: skip
    status_times = list(range(((start + STATUS_PERIOD_MS - 1) // STATUS_PERIOD_MS) * STATUS_PERIOD_MS,
                              upto_ms - STATUS_PERIOD_MS + 1, STATUS_PERIOD_MS))  # fmt: skip
    status_times = [ts for ts in status_times if ts >= (since // STATUS_PERIOD_MS) * STATUS_PERIOD_MS]
    if status_times:
        system, instance = float(row["health_system"]), float(row["health_instance"])
        for metric, value in (("StatusCheckFailed", max(system, instance)), ("StatusCheckFailed_System", system),
                              ("StatusCheckFailed_Instance", instance)):  # fmt: skip
            facts.emit(store, region, "metric_series", namespace="AWS/EC2", metric_name=metric, dimensions=dims,
                       points=[(ts / 1000, value) for ts in status_times], unit="Count")  # fmt: skip
    end = max([ts + period_ms for ts in times] + [ts + STATUS_PERIOD_MS for ts in status_times] + [start])
    store.conn.execute("UPDATE ec2_instances SET metrics_ms = ? WHERE region = ? AND instance_id = ?",
                       (min(end, upto_ms), region, iid))  # fmt: skip


def run_metrics(store: AccountStore, key: str, due: datetime, now: datetime) -> datetime | None:
    """Publish metrics of every running instance of a Region, at most an hour past ``due`` per run."""
    region = key
    upto = min(_ms(now), _ms(due) + METRIC_CHUNK_MS)
    rows = store.conn.execute("SELECT * FROM ec2_instances WHERE region = ? AND state = 'running'", (region,)).fetchall()
    if not rows:
        return None
    for row in rows:
        limit = upto
        pending = scheduler.next_due(store, "ec2.transition", f"{region}\t{row['instance_id']}")
        if pending is not None:
            limit = min(limit, _ms(pending))
        generate_metrics(store, region, row, limit)
    nxt = (upto // STATUS_PERIOD_MS + 1) * STATUS_PERIOD_MS
    return _dt(max(nxt, _ms(due) + STATUS_PERIOD_MS))


# -- alarm actions ----------------------------------------------------------------------------------------------------


def deliver_automate(store: AccountStore, arn: str, payload: str, when: datetime, **attributes: Any) -> facts.Delivery:
    """An alarm's EC2 action (``arn:aws:automate:<region>:ec2:<action>``) on the instance in its InstanceId dimension."""
    parts = arn.split(":")
    region, action = parts[3], parts[-1]
    iid = attributes.get("InstanceId")
    if not iid:
        return facts.Delivery("Failed", "The alarm has no InstanceId dimension", "InvalidParameterValue")
    row = store.conn.execute("SELECT * FROM ec2_instances WHERE region = ? AND instance_id = ?", (region, iid)).fetchone()
    if row is None:
        return facts.Delivery("Failed", f"The instance ID '{iid}' does not exist", "InvalidInstanceID.NotFound")
    state = row["state"]
    reason_text = f"User initiated ({when.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S GMT')})"
    if action == "stop":
        if state not in ("running", "pending"):
            return facts.Delivery("Failed", f"The instance '{iid}' is not in a state from which it can be stopped.",
                                  "IncorrectInstanceState")  # fmt: skip
        set_state(store, region, row, "stopping", when, reason_text)
    elif action == "terminate":
        if state in ("shutting-down", "terminated"):
            return facts.Delivery("Delivered", f"{iid} is already {state}")
        set_state(store, region, row, "shutting-down", when, reason_text)
    elif action == "reboot":
        if state != "running":
            return facts.Delivery("Failed", f"The instance '{iid}' is not in a state from which it can be rebooted.",
                                  "IncorrectInstanceState")  # fmt: skip
    elif action == "recover":
        if state != "running":
            return facts.Delivery("Failed", f"The instance '{iid}' is not running", "IncorrectInstanceState")
        # Recovery moves the instance to healthy hardware: same id, addresses and metadata; the checks pass again.
        generate_metrics(store, region, row, _ms(when))
        store.conn.execute("UPDATE ec2_instances SET health_system = 0, health_instance = 0, transition_reason = ? "
                           "WHERE region = ? AND instance_id = ?",
                           (f"Instance recovered ({when.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S GMT')})",
                            region, iid))  # fmt: skip
    else:
        return facts.Delivery("Failed", f"Unknown EC2 action {action}", "InvalidParameterValue")
    return facts.Delivery("Delivered", f"{action} {iid}")


# -- the service ------------------------------------------------------------------------------------------------------


class LocalEC2(LocalService):
    service_name = "ec2"
    event_source = "ec2.amazonaws.com"

    # -- helpers ------------------------------------------------------------------------------------------------
    def _vpc(self) -> tuple[str, str, str, str]:
        return default_vpc(self.account_id, self.region)

    def _ensure_defaults(self) -> None:
        vpc, _, sg, cidr = self._vpc()
        if self.conn.execute("SELECT 1 FROM ec2_security_groups WHERE region = ? AND group_id = ?",
                             (self.region, sg)).fetchone():  # fmt: skip
            return
        ingress = [{"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                    "UserIdGroupPairs": [{"GroupId": sg, "UserId": self.account_id}]}]  # fmt: skip
        egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                   "UserIdGroupPairs": []}]  # fmt: skip
        with self.store.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO ec2_security_groups (region, group_id, group_name, description, vpc_id, ingress, "
                "egress) VALUES (?,?,?,?,?,?,?)",
                (self.region, sg, "default", "default VPC security group", vpc, json.dumps(ingress), json.dumps(egress)),
            )

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        ids: list[str] = list(params.get("InstanceIds") or [])
        if op == "RunInstances" and isinstance(result, Mapping):
            ids = [i["InstanceId"] for i in result.get("Instances") or []]
        out = [{"type": "AWS::EC2::Instance", "ARN": f"arn:aws:ec2:{self.region}:{self.account_id}:instance/{i}",
                "name": i} for i in ids]  # fmt: skip
        gid = params.get("GroupId") or (result.get("GroupId") if isinstance(result, Mapping) else None)
        if gid:
            out.append({"type": "AWS::EC2::SecurityGroup",
                        "ARN": f"arn:aws:ec2:{self.region}:{self.account_id}:security-group/{gid}", "name": gid})  # fmt: skip
        return out

    def _rows(self, ids: list[str] | None, *, include_gone: bool = True) -> list[Any]:
        if ids:
            bad = [i for i in ids if not _ID_RE["i"].match(str(i))]
            if bad:
                raise _malformed(bad[0])
            rows = {r["instance_id"]: r for r in self.conn.execute(
                f"SELECT * FROM ec2_instances WHERE region = ? AND instance_id IN ({','.join('?' * len(ids))})",
                (self.region, *ids))}  # fmt: skip
            missing = [i for i in dict.fromkeys(ids) if i not in rows]
            if missing:
                raise _not_found(missing)
            return [rows[i] for i in dict.fromkeys(ids)]
        return self.conn.execute("SELECT * FROM ec2_instances WHERE region = ? ORDER BY launch_ms, reservation_id, "
                                 "launch_index", (self.region,)).fetchall()  # fmt: skip

    def _groups(self, ids: list[str]) -> list[Any]:
        self._ensure_defaults()
        for g in ids:
            if not _ID_RE["sg"].match(str(g)):
                raise ServiceError("InvalidGroupId.Malformed", f'Invalid id: "{g}" (expecting "sg-...")')
        rows = {r["group_id"]: r for r in self.conn.execute(
            f"SELECT * FROM ec2_security_groups WHERE region = ? AND group_id IN ({','.join('?' * len(ids))})",
            (self.region, *ids))}  # fmt: skip
        for g in ids:
            if g not in rows:
                raise ServiceError("InvalidGroup.NotFound", f"The security group '{g}' does not exist")
        return [rows[g] for g in ids]

    def _instance(self, r: Mapping[str, Any]) -> dict[str, Any]:
        groups = json.loads(r["group_ids"])
        names = {g["group_id"]: g["group_name"] for g in self.conn.execute(
            f"SELECT group_id, group_name FROM ec2_security_groups WHERE region = ? AND group_id IN "
            f"({','.join('?' * len(groups))})", (self.region, *groups))} if groups else {}  # fmt: skip
        sgs = [{"GroupName": names.get(g, ""), "GroupId": g} for g in groups]
        octets = r["private_ip"].split(".")
        private_dns = f"ip-{'-'.join(octets)}.ec2.internal" if self.region == "us-east-1" else \
            f"ip-{'-'.join(octets)}.{self.region}.compute.internal"  # fmt: skip
        gone = r["state"] == "terminated"
        public = r["public_ip"]
        public_dns = ""
        if public:
            host = f"ec2-{public.replace('.', '-')}"
            public_dns = (f"{host}.compute-1.amazonaws.com" if self.region == "us-east-1"
                          else f"{host}.{self.region}.compute.amazonaws.com")  # fmt: skip
        out: dict[str, Any] = {
            "AmiLaunchIndex": r["launch_index"],
            "ImageId": r["image_id"],
            "InstanceId": r["instance_id"],
            "InstanceType": r["instance_type"],
            "LaunchTime": _dt(r["launch_ms"]),
            "Monitoring": {"State": r["monitoring"]},
            "Placement": {"AvailabilityZone": f"{self.region}a", "GroupName": "", "Tenancy": "default"},
            "PrivateDnsName": "" if gone else private_dns,
            "ProductCodes": [],
            "PublicDnsName": public_dns,
            "State": {"Code": STATE_CODES[r["state"]], "Name": r["state"]},
            "StateTransitionReason": r["transition_reason"] or "",
            "Architecture": "x86_64",
            "BlockDeviceMappings": [] if gone else [
                {"DeviceName": "/dev/xvda", "Ebs": {"AttachTime": _dt(r["launch_ms"]), "DeleteOnTermination": True,
                                                    "Status": "attached", "VolumeId": f"vol-{_hex(r['instance_id'] + '/vol')}"}}],  # fmt: skip
            "ClientToken": "",
            "EbsOptimized": False,
            "EnaSupport": True,
            "Hypervisor": "xen",
            "NetworkInterfaces": [],
            "RootDeviceName": "/dev/xvda",
            "RootDeviceType": "ebs",
            "SecurityGroups": [] if gone else sgs,
            "SourceDestCheck": True,
            "VirtualizationType": "hvm",
            "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
            "HibernationOptions": {"Configured": False},
            "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                                "HttpEndpoint": "enabled"},  # fmt: skip
        }
        if r["key_name"]:
            out["KeyName"] = r["key_name"]
        if not gone:
            out["PrivateIpAddress"] = r["private_ip"]
            out["SubnetId"] = r["subnet_id"]
            out["VpcId"] = r["vpc_id"]
            eni = {"Attachment": {"AttachTime": _dt(r["launch_ms"]), "AttachmentId": f"eni-attach-{_hex(r['instance_id'] + '/att')}",
                                  "DeleteOnTermination": True, "DeviceIndex": 0, "Status": "attached"},
                   "Groups": sgs, "MacAddress": "0e:" + ":".join(_hex(r["instance_id"] + "/mac", 10)[i:i + 2] for i in range(0, 10, 2)),
                   "NetworkInterfaceId": f"eni-{_hex(r['instance_id'] + '/eni')}", "OwnerId": self.account_id,
                   "PrivateDnsName": private_dns, "PrivateIpAddress": r["private_ip"],
                   "PrivateIpAddresses": [{"Primary": True, "PrivateDnsName": private_dns, "PrivateIpAddress": r["private_ip"]}],
                   "SourceDestCheck": True, "Status": "in-use", "SubnetId": r["subnet_id"], "VpcId": r["vpc_id"],
                   "InterfaceType": "interface"}  # fmt: skip
            if public:
                eni["Association"] = {"IpOwnerId": "amazon", "PublicDnsName": public_dns, "PublicIp": public}
            out["NetworkInterfaces"] = [eni]
        if public:
            out["PublicIpAddress"] = public
        if r["state_reason"]:
            out["StateReason"] = json.loads(r["state_reason"])
        tags = json.loads(r["tags"])
        if tags:
            out["Tags"] = tags
        return out

    def _group(self, r: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Description": r["description"],
            "GroupName": r["group_name"],
            "IpPermissions": _merge(json.loads(r["ingress"])),
            "OwnerId": self.account_id,
            "GroupId": r["group_id"],
            "IpPermissionsEgress": _merge(json.loads(r["egress"])),
            "VpcId": r["vpc_id"],
            "SecurityGroupArn": f"arn:aws:ec2:{self.region}:{self.account_id}:security-group/{r['group_id']}",
        }
        tags = json.loads(r["tags"])
        if tags:
            out["Tags"] = tags
        return out

    @staticmethod
    def _change(r: Any, new: str) -> dict[str, Any]:
        return {"InstanceId": r["instance_id"], "CurrentState": {"Code": STATE_CODES[new], "Name": new},
                "PreviousState": {"Code": STATE_CODES[r["state"]], "Name": r["state"]}}  # fmt: skip

    # -- instances ----------------------------------------------------------------------------------------------
    @api("RunInstances")
    def run_instances(self, *, ImageId: str | None = None, MinCount: int = 1, MaxCount: int = 1,
                      InstanceType: str = "m1.small", SecurityGroupIds: list[str] | None = None,
                      SecurityGroups: list[str] | None = None, SubnetId: str | None = None, KeyName: str | None = None,
                      Monitoring: dict[str, Any] | None = None, TagSpecifications: list[dict[str, Any]] | None = None,
                      NetworkInterfaces: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not ImageId:
            raise ServiceError("MissingParameter", "The request must contain the parameter ImageId")
        if not _ID_RE["ami"].match(ImageId):
            raise ServiceError("InvalidAMIID.Malformed", f'Invalid id: "{ImageId}" (expecting "ami-...")')
        if not _INSTANCE_TYPE_RE.match(str(InstanceType)):
            raise ServiceError("InvalidParameterValue", f"Invalid value '{InstanceType}' for InstanceType.")
        lo, hi = int(MinCount), int(MaxCount)
        if lo < 1 or hi < lo:
            raise ServiceError("InvalidParameterValue", f"Invalid value '{lo}' for minCount. Must be at least 1 and "
                               "not more than maxCount.")  # fmt: skip
        if hi > 20:
            raise ServiceError("InstanceLimitExceeded", f"You have requested more instances ({hi}) than your current "
                               "instance limit of 20 allows for the specified instance type.")  # fmt: skip
        vpc, subnet, default_sg, _ = self._vpc()
        self._ensure_defaults()
        if SubnetId and SubnetId != subnet:
            raise ServiceError("InvalidSubnetID.NotFound", f"The subnet ID '{SubnetId}' does not exist")
        group_ids = list(SecurityGroupIds or [])
        for name in SecurityGroups or []:
            row = self.conn.execute("SELECT group_id FROM ec2_security_groups WHERE region = ? AND group_name = ?",
                                    (self.region, name)).fetchone()  # fmt: skip
            if row is None:
                raise ServiceError("InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC '{vpc}'")
            group_ids.append(row[0])
        associate = True
        for ni in NetworkInterfaces or []:
            if int(ni.get("DeviceIndex", 0)) == 0:
                group_ids += list(ni.get("Groups") or [])
                if "AssociatePublicIpAddress" in ni:
                    associate = bool(ni["AssociatePublicIpAddress"])
        group_ids = list(dict.fromkeys(group_ids)) or [default_sg]
        self._groups(group_ids)
        tags = [t for spec in TagSpecifications or [] if spec.get("ResourceType", "instance") == "instance"
                for t in _tags(spec.get("Tags"))]  # fmt: skip
        monitoring = "enabled" if (Monitoring or {}).get("Enabled") else "disabled"
        now = self.now()
        reservation = new_id("r")
        rows = []
        for index in range(hi):
            iid = new_id("i")
            h = hashlib.sha256(iid.encode()).digest()
            private = f"172.31.{h[0] % 240 + 16}.{h[1] % 253 + 1}"
            self.conn.execute(
                "INSERT INTO ec2_instances (region, instance_id, reservation_id, launch_index, image_id, instance_type, "
                "state, state_ms, launch_ms, monitoring, private_ip, associate_public, subnet_id, vpc_id, group_ids, "
                "key_name, tags) VALUES (?,?,?,?,?,?,'pending',?,?,?,?,?,?,?,?,?,?)",
                (self.region, iid, reservation, index, ImageId, InstanceType, _ms(now), _ms(now), monitoring, private,
                 int(associate), subnet, vpc, json.dumps(group_ids), KeyName, json.dumps(tags)),
            )  # fmt: skip
            row = self.conn.execute("SELECT * FROM ec2_instances WHERE region = ? AND instance_id = ?",
                                    (self.region, iid)).fetchone()  # fmt: skip
            set_state(self.store, self.region, row, "pending", now)
            rows.append(iid)
        instances = [self._instance(r) for r in self._rows(rows)]
        return {"Groups": [], "Instances": instances, "OwnerId": self.account_id, "ReservationId": reservation}

    @api("DescribeInstances")
    def describe_instances(self, *, InstanceIds: list[str] | None = None, Filters: list[dict[str, Any]] | None = None,
                           MaxResults: int | None = None, NextToken: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        rows = self._rows(list(InstanceIds or []))
        keep = _filter_matcher(Filters, _INSTANCE_FILTERS)
        reservations: dict[str, dict[str, Any]] = {}
        for r in rows:
            inst = self._instance(r)
            if not keep({**inst, "ReservationId": r["reservation_id"], "OwnerId": self.account_id}):
                continue
            res = reservations.setdefault(r["reservation_id"], {"Groups": [], "Instances": [], "OwnerId": self.account_id,
                                                                "ReservationId": r["reservation_id"]})  # fmt: skip
            res["Instances"].append(inst)
        return {"Reservations": list(reservations.values())}

    def _transition(self, ids: list[str] | None, op: str) -> list[dict[str, Any]]:
        if not ids:
            raise ServiceError("MissingParameter", "The request must contain the parameter InstanceId")
        rows = self._rows(list(ids))
        now = self.now()
        out = []
        for r in rows:
            state = r["state"]
            reason = f"User initiated ({now.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S GMT')})"
            iid = r["instance_id"]
            if op == "stop":
                if state == "pending":
                    raise ServiceError("IncorrectInstanceState", f"Instance '{iid}' cannot be stopped as it has never "
                                       "reached the 'running' state.")  # fmt: skip
                if state in ("shutting-down", "terminated"):
                    raise ServiceError("IncorrectInstanceState",
                                       f"The instance '{iid}' is not in a state from which it can be stopped.")
                if state == "running":
                    out.append(self._change(r, "stopping"))
                    set_state(self.store, self.region, r, "stopping", now, reason)
                else:  # stopping/stopped: no change, reported as is
                    out.append({**self._change(r, state)})
            elif op == "start":
                if state in ("shutting-down", "terminated", "stopping"):
                    raise ServiceError("IncorrectInstanceState",
                                       f"The instance '{iid}' is not in a state from which it can be started.")
                if state == "stopped":
                    out.append(self._change(r, "pending"))
                    set_state(self.store, self.region, r, "pending", now)
                else:
                    out.append(self._change(r, state))
            else:  # terminate
                if state in ("shutting-down", "terminated"):
                    out.append(self._change(r, state))
                    continue
                out.append(self._change(r, "shutting-down"))
                set_state(self.store, self.region, r, "shutting-down", now, reason)
        return out

    @api("StopInstances")
    def stop_instances(self, *, InstanceIds: list[str] | None = None, Force: bool = False, Hibernate: bool = False,
                       **kw: Any) -> dict[str, Any]:  # fmt: skip
        return {"StoppingInstances": self._transition(InstanceIds, "stop")}

    @api("StartInstances")
    def start_instances(self, *, InstanceIds: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        return {"StartingInstances": self._transition(InstanceIds, "start")}

    @api("TerminateInstances")
    def terminate_instances(self, *, InstanceIds: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        return {"TerminatingInstances": self._transition(InstanceIds, "terminate")}

    @api("RebootInstances")
    def reboot_instances(self, *, InstanceIds: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        if not InstanceIds:
            raise ServiceError("MissingParameter", "The request must contain the parameter InstanceId")
        for r in self._rows(list(InstanceIds)):
            if r["state"] in ("terminated", "shutting-down"):
                raise ServiceError("IncorrectInstanceState",
                                   f"The instance '{r['instance_id']}' is not in a state from which it can be rebooted.")
        return {}

    def _monitoring(self, ids: list[str] | None, state: str) -> dict[str, Any]:
        if not ids:
            raise ServiceError("MissingParameter", "The request must contain the parameter InstanceId")
        rows = self._rows(list(ids))
        out = []
        for r in rows:
            if r["state"] == "terminated":
                raise ServiceError("IncorrectInstanceState", f"The instance '{r['instance_id']}' is not in a state "
                                   "from which monitoring can be changed.")  # fmt: skip
            if r["state"] == "running":
                generate_metrics(self.store, self.region, r, _ms(self.now()))  # the old period up to the switch
            self.conn.execute("UPDATE ec2_instances SET monitoring = ? WHERE region = ? AND instance_id = ?",
                              (state, self.region, r["instance_id"]))  # fmt: skip
            out.append({"InstanceId": r["instance_id"],
                        "Monitoring": {"State": "pending" if state == "enabled" else "disabling"}})  # fmt: skip
        return {"InstanceMonitorings": out}

    @api("MonitorInstances")
    def monitor_instances(self, *, InstanceIds: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        return self._monitoring(InstanceIds, "enabled")

    @api("UnmonitorInstances")
    def unmonitor_instances(self, *, InstanceIds: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        return self._monitoring(InstanceIds, "disabled")

    # -- security groups ----------------------------------------------------------------------------------------
    @api("CreateSecurityGroup")
    def create_security_group(self, *, GroupName: str | None = None, Description: str | None = None,
                              VpcId: str | None = None, TagSpecifications: list[dict[str, Any]] | None = None,
                              **kw: Any) -> dict[str, Any]:  # fmt: skip
        if not GroupName:
            raise ServiceError("MissingParameter", "The request must contain the parameter GroupName")
        if not Description:
            raise ServiceError("MissingParameter", "The request must contain the parameter GroupDescription")
        if len(GroupName) > 255 or len(Description) > 255:
            raise ServiceError("InvalidParameterValue", "Value for parameter GroupName or GroupDescription is too long "
                               "(at most 255 characters).")  # fmt: skip
        if GroupName.lower().startswith("sg-"):
            raise ServiceError("InvalidParameterValue", "Group names may not be in the format sg-*.")
        for param, value in (("GroupName", GroupName), ("GroupDescription", Description)):
            _check_group_text(param, value)
        vpc = self._vpc()[0]
        self._ensure_defaults()
        if VpcId and VpcId != vpc:
            raise ServiceError("InvalidVpcID.NotFound", f"The vpc ID '{VpcId}' does not exist")
        if self.conn.execute("SELECT 1 FROM ec2_security_groups WHERE region = ? AND vpc_id = ? AND group_name = ?",
                             (self.region, vpc, GroupName)).fetchone():  # fmt: skip
            raise ServiceError("InvalidGroup.Duplicate", f"The security group '{GroupName}' already exists for VPC '{vpc}'")
        gid = new_id("sg")
        egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                   "UserIdGroupPairs": []}]  # fmt: skip
        tags = [t for spec in TagSpecifications or [] for t in _tags(spec.get("Tags"))]
        self.conn.execute(
            "INSERT INTO ec2_security_groups (region, group_id, group_name, description, vpc_id, ingress, egress, tags) "
            "VALUES (?,?,?,?,?,'[]',?,?)",
            (self.region, gid, GroupName, Description, vpc, json.dumps(egress), json.dumps(tags)),
        )
        out: dict[str, Any] = {"GroupId": gid, "SecurityGroupArn":
                               f"arn:aws:ec2:{self.region}:{self.account_id}:security-group/{gid}"}  # fmt: skip
        if tags:
            out["Tags"] = tags
        return out

    @api("DeleteSecurityGroup")
    def delete_security_group(self, *, GroupId: str | None = None, GroupName: str | None = None, **kw: Any) -> dict[str, Any]:
        gid = GroupId or self._group_id_by_name(GroupName)
        row = self._groups([gid])[0]
        if row["group_name"] == "default":
            raise ServiceError("CannotDelete", f"the specified group: \"{gid}\" name: \"default\" cannot be deleted by a user")
        users = [r["instance_id"] for r in self.conn.execute(
            "SELECT instance_id, group_ids FROM ec2_instances WHERE region = ? AND state != 'terminated'", (self.region,))
            if gid in json.loads(r["group_ids"])]  # fmt: skip
        if users:
            raise ServiceError("DependencyViolation", "resource sg-... has a dependent object".replace("sg-...", gid))
        self.conn.execute("DELETE FROM ec2_security_groups WHERE region = ? AND group_id = ?", (self.region, gid))
        return {"Return": True, "GroupId": gid}

    def _group_id_by_name(self, name: str | None) -> str:
        if not name:
            raise ServiceError("MissingParameter", "The request must contain the parameter GroupId")
        self._ensure_defaults()
        row = self.conn.execute("SELECT group_id FROM ec2_security_groups WHERE region = ? AND group_name = ?",
                                (self.region, name)).fetchone()  # fmt: skip
        if row is None:
            raise ServiceError("InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC "
                               f"'{self._vpc()[0]}'")  # fmt: skip
        return str(row[0])

    @api("DescribeSecurityGroups")
    def describe_security_groups(self, *, GroupIds: list[str] | None = None, GroupNames: list[str] | None = None,
                                 Filters: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        self._ensure_defaults()
        ids = list(GroupIds or []) + [self._group_id_by_name(n) for n in GroupNames or []]
        if ids:
            rows = self._groups(list(dict.fromkeys(ids)))
        else:
            rows = self.conn.execute("SELECT * FROM ec2_security_groups WHERE region = ? ORDER BY group_name",
                                     (self.region,)).fetchall()  # fmt: skip
        keep = _filter_matcher(Filters, _GROUP_FILTERS)
        out = [g for g in map(self._group, rows) if keep(g)]
        return {"SecurityGroups": out}

    def _change_rules(self, column: str, group_id: str | None, group_name: str | None,
                      perms: list[dict[str, Any]] | None, *, add: bool) -> dict[str, Any]:  # fmt: skip
        gid = group_id or self._group_id_by_name(group_name)
        row = self._groups([gid])[0]
        if not perms:
            raise ServiceError("MissingParameter", "The request must contain the parameter IpPermissions")
        wanted = normalize_permissions(perms)
        for p in wanted:
            for pair in p["UserIdGroupPairs"]:
                if pair.get("GroupId"):
                    self._groups([pair["GroupId"]])
                    pair.setdefault("UserId", self.account_id)
        current = json.loads(row[column])
        keys = {_rule_key(p): p for p in current}
        if add:
            for p in wanted:
                if _rule_key(p) in keys:
                    raise ServiceError("InvalidPermission.Duplicate",
                                       f'the specified rule "{_rule_text(p)}" already exists')
            current += wanted
        else:
            gone = {_rule_key(p) for p in wanted}
            if not gone <= set(keys):
                raise ServiceError("InvalidPermission.NotFound",
                                   "The specified rule does not exist in this security group.")  # fmt: skip
            current = [p for p in current if _rule_key(p) not in gone]
        self.conn.execute(f"UPDATE ec2_security_groups SET {column} = ? WHERE region = ? AND group_id = ?",
                          (json.dumps(current), self.region, gid))  # fmt: skip
        out: dict[str, Any] = {"Return": True}
        if add:
            out["SecurityGroupRules"] = [
                {"SecurityGroupRuleId": f"sgr-{_hex(gid + _rule_key(p))}", "GroupId": gid, "GroupOwnerId": self.account_id,
                 "IsEgress": column == "egress", "IpProtocol": p["IpProtocol"], "FromPort": p.get("FromPort", -1),
                 "ToPort": p.get("ToPort", -1),
                 **({"CidrIpv4": p["IpRanges"][0]["CidrIp"]} if p["IpRanges"] else {}),
                 **({"CidrIpv6": p["Ipv6Ranges"][0]["CidrIpv6"]} if p["Ipv6Ranges"] else {})}
                for p in wanted]  # fmt: skip
        return out

    @api("AuthorizeSecurityGroupIngress")
    def authorize_security_group_ingress(self, *, GroupId: str | None = None, GroupName: str | None = None,
                                         IpPermissions: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        return self._change_rules("ingress", GroupId, GroupName, IpPermissions or _legacy(kw), add=True)

    @api("RevokeSecurityGroupIngress")
    def revoke_security_group_ingress(self, *, GroupId: str | None = None, GroupName: str | None = None,
                                      IpPermissions: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        return self._change_rules("ingress", GroupId, GroupName, IpPermissions or _legacy(kw), add=False)

    # -- local-only (not AWS operations; not recorded) ----------------------------------------------------------
    def set_instance_health(self, *, InstanceId: str, System: bool | None = None, Instance: bool | None = None) -> dict[str, Any]:
        """Make an instance's status checks fail (or pass) from now on, as a hardware or OS fault would."""
        with self.store.transaction():
            row = self._rows([InstanceId])[0]
            if row["state"] == "running":
                generate_metrics(self.store, self.region, row, _ms(self.now()))
            if System is not None:
                self.conn.execute("UPDATE ec2_instances SET health_system = ? WHERE region = ? AND instance_id = ?",
                                  (int(System), self.region, InstanceId))  # fmt: skip
            if Instance is not None:
                self.conn.execute("UPDATE ec2_instances SET health_instance = ? WHERE region = ? AND instance_id = ?",
                                  (int(Instance), self.region, InstanceId))  # fmt: skip
            row = self._rows([InstanceId])[0]
        return {"InstanceId": InstanceId, "SystemStatus": "impaired" if row["health_system"] else "ok",
                "InstanceStatus": "impaired" if row["health_instance"] else "ok"}  # fmt: skip


def _legacy(kw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The older flat form (IpProtocol, FromPort, ToPort, CidrIp) as one IpPermissions entry."""
    if not kw.get("IpProtocol"):
        return []
    p: dict[str, Any] = {"IpProtocol": kw["IpProtocol"]}
    if kw.get("FromPort") is not None:
        p["FromPort"] = kw["FromPort"]
    if kw.get("ToPort") is not None:
        p["ToPort"] = kw["ToPort"]
    if kw.get("CidrIp"):
        p["IpRanges"] = [{"CidrIp": kw["CidrIp"]}]
    return [p]


def _merge(perms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored one-peer entries merged per (protocol, ports), as DescribeSecurityGroups groups them."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in perms:
        key = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"))
        if key not in out:
            out[key] = {k: v for k, v in p.items() if k not in ("IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")}
            out[key].update(IpRanges=[], Ipv6Ranges=[], PrefixListIds=[], UserIdGroupPairs=[])
        for k in ("IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs"):
            out[key][k] += p.get(k) or []
    return list(out.values())


# -- AWS Config ---------------------------------------------------------------------------------------------------------


def _ec2_unwrapped(svc: Any, op: str, **params: Any) -> Any:
    return getattr(svc, op)(**params)  # svc is a facts.Reader: reads are not recorded


def _instance_ids(record: Mapping[str, Any]) -> list[str]:
    return [str(r["ARN"]).rsplit("/", 1)[-1] for r in record.get("resources") or []
            if r.get("type") == "AWS::EC2::Instance" and r.get("ARN")]  # fmt: skip


def _instance_snapshot(svc: Any, iid: str) -> dict[str, Any] | None:
    try:
        page = _ec2_unwrapped(svc, "describe_instances", InstanceIds=[iid])
    except ServiceError:
        return None
    inst = [i for r in page["Reservations"] for i in r["Instances"]]
    if not inst or inst[0]["State"]["Name"] == "terminated":
        return None
    i = inst[0]
    cfg = config_camel(i, millis=False)
    # AWS Config's instance item has ipRanges-style flat lists and the public IP as "publicIpAddress".
    rels = [{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": g["GroupId"], "relationshipName": "Is associated with SecurityGroup"}
            for g in i.get("SecurityGroups") or []]  # fmt: skip
    if i.get("SubnetId"):
        rels.append({"resourceType": "AWS::EC2::Subnet", "resourceId": i["SubnetId"], "relationshipName": "Is contained in Subnet"})
        rels.append({"resourceType": "AWS::EC2::VPC", "resourceId": i["VpcId"], "relationshipName": "Is contained in Vpc"})
    tags = {t["Key"]: t["Value"] for t in i.get("Tags") or []}
    since = svc.conn.execute("SELECT state_ms FROM ec2_instances WHERE region = ? AND instance_id = ?",
                             (svc.region, iid)).fetchone()[0]  # fmt: skip
    # ec2-stopped-instance reads how long the instance has been in its state (AWS's rule reads Config history).
    evaluation = {"stateSinceMs": since, "evaluatedAtMs": _ms(svc.now())}
    return {"resource_id": iid, "name": iid, "arn": f"arn:aws:ec2:{svc.region}:{svc.account_id}:instance/{iid}",
            "configuration": cfg, "supplementary": {}, "relationships": rels, "created": i["LaunchTime"], "tags": tags,
            "evaluation": evaluation}  # fmt: skip


def _instance_list(svc: Any) -> list[str]:
    page = _ec2_unwrapped(svc, "describe_instances")
    return [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"]


def _group_ids(record: Mapping[str, Any]) -> list[str]:
    return [str(r["ARN"]).rsplit("/", 1)[-1] for r in record.get("resources") or []
            if r.get("type") == "AWS::EC2::SecurityGroup" and r.get("ARN")]  # fmt: skip


def _group_snapshot(svc: Any, gid: str) -> dict[str, Any] | None:
    try:
        groups = _ec2_unwrapped(svc, "describe_security_groups", GroupIds=[gid])["SecurityGroups"]
    except ServiceError:
        return None
    g = groups[0]
    cfg = config_camel({k: v for k, v in g.items() if k != "SecurityGroupArn"}, millis=False)
    # AWS Config adds the flat ipRanges list beside ipv4Ranges in each permission.
    for key in ("ipPermissions", "ipPermissionsEgress"):
        for p in cfg[key]:
            p["ipv4Ranges"] = [{"cidrIp": r["cidrIp"]} for r in p.get("ipRanges") or []]
            p["ipRanges"] = [r["cidrIp"] for r in p.get("ipRanges") or []]
    rels = [{"resourceType": "AWS::EC2::VPC", "resourceId": g["VpcId"], "relationshipName": "Is contained in Vpc"}]
    tags = {t["Key"]: t["Value"] for t in g.get("Tags") or []}
    return {"resource_id": gid, "name": g["GroupName"], "arn": g["SecurityGroupArn"], "configuration": cfg,
            "supplementary": {}, "relationships": rels, "created": None, "tags": tags}  # fmt: skip


def _group_list(svc: Any) -> list[str]:
    return [g["GroupId"] for g in _ec2_unwrapped(svc, "describe_security_groups")["SecurityGroups"]]


# Resource kinds for AWS Config's recorder: which CloudTrail events change a resource, and how to snapshot it.
CONFIG_KINDS: list[dict[str, Any]] = [
    {"resource_type": "AWS::EC2::Instance", "event_source": "ec2.amazonaws.com",
     "event_names": ("RunInstances", "StartInstances", "StopInstances", "TerminateInstances", "MonitorInstances",
                     "UnmonitorInstances", "CreateTags", "DeleteTags"),
     "service": "ec2", "ids_from_record": _instance_ids, "snapshot": _instance_snapshot, "list_ids": _instance_list},
    {"resource_type": "AWS::EC2::SecurityGroup", "event_source": "ec2.amazonaws.com",
     "event_names": ("CreateSecurityGroup", "DeleteSecurityGroup", "AuthorizeSecurityGroupIngress",
                     "RevokeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"),
     "service": "ec2", "ids_from_record": _group_ids, "snapshot": _group_snapshot, "list_ids": _group_list},
]  # fmt: skip


# -- Filters (DescribeInstances, DescribeSecurityGroups) ------------------------------------------------------------
# EC2's filter semantics: filters are ANDed, the values of one filter ORed; a value may use `*` (any run of
# characters) and `?` (one character), case-sensitive; `tag:<key>` matches a tag's value, `tag-key`/`tag-value` any
# tag's key/value; an unknown filter name is refused with InvalidParameterValue ("The filter 'x' is invalid").
# Each filter name maps to what it reads from the response shape (a list: any element may match).
def _perm_values(key: str, egress: bool = False) -> Any:
    field = "IpPermissionsEgress" if egress else "IpPermissions"

    def get(g: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        for p in g.get(field, []):
            if key == "cidr":
                out += [r["CidrIp"] for r in p.get("IpRanges", [])]
            elif key == "group-id":
                out += [r["GroupId"] for r in p.get("UserIdGroupPairs", [])]
            else:
                out.append(p.get({"protocol": "IpProtocol", "from-port": "FromPort", "to-port": "ToPort"}[key]))
        return out
    return get


def _path(*keys: str) -> Any:
    def get(obj: Mapping[str, Any]) -> list[Any]:
        cur: Any = obj
        for k in keys:
            cur = cur.get(k) if isinstance(cur, Mapping) else None
        return [cur]
    return get


def _each(list_key: str, key: str) -> Any:
    return lambda obj: [x.get(key) for x in obj.get(list_key, [])]


_TAG_FILTERS = {"tag-key": _each("Tags", "Key"), "tag-value": _each("Tags", "Value")}
_INSTANCE_FILTERS: dict[str, Any] = {
    "instance-id": _path("InstanceId"), "instance-type": _path("InstanceType"), "image-id": _path("ImageId"),
    "instance-state-name": _path("State", "Name"), "instance-state-code": _path("State", "Code"),
    "vpc-id": _path("VpcId"), "subnet-id": _path("SubnetId"), "private-ip-address": _path("PrivateIpAddress"),
    "ip-address": _path("PublicIpAddress"), "dns-name": _path("PublicDnsName"),
    "private-dns-name": _path("PrivateDnsName"), "availability-zone": _path("Placement", "AvailabilityZone"),
    "monitoring-state": _path("Monitoring", "State"), "key-name": _path("KeyName"),
    "reservation-id": _path("ReservationId"), "owner-id": _path("OwnerId"), "launch-index": _path("AmiLaunchIndex"),
    "instance.group-id": _each("SecurityGroups", "GroupId"), "instance.group-name": _each("SecurityGroups", "GroupName"),
    "group-id": _each("SecurityGroups", "GroupId"), "group-name": _each("SecurityGroups", "GroupName"),
    "architecture": _path("Architecture"), "root-device-type": _path("RootDeviceType"), **_TAG_FILTERS,
}  # fmt: skip
_GROUP_FILTERS: dict[str, Any] = {
    "group-id": _path("GroupId"), "group-name": _path("GroupName"), "vpc-id": _path("VpcId"),
    "description": _path("Description"), "owner-id": _path("OwnerId"),
    "ip-permission.cidr": _perm_values("cidr"), "ip-permission.protocol": _perm_values("protocol"),
    "ip-permission.from-port": _perm_values("from-port"), "ip-permission.to-port": _perm_values("to-port"),
    "ip-permission.group-id": _perm_values("group-id"),
    "egress.ip-permission.cidr": _perm_values("cidr", True), "egress.ip-permission.protocol": _perm_values("protocol", True),
    "egress.ip-permission.from-port": _perm_values("from-port", True),
    "egress.ip-permission.to-port": _perm_values("to-port", True), **_TAG_FILTERS,
}  # fmt: skip


def _filter_matcher(filters: list[dict[str, Any]] | None, fields: Mapping[str, Any]) -> Any:
    """A predicate over a response shape for EC2 ``Filters``; refuses unknown names before anything is read."""
    tests: list[tuple[Any, list[list[Any]]]] = []
    for f in filters or []:
        name = str(f.get("Name", ""))
        if name.startswith("tag:") and len(name) > 4:
            key = name[4:]
            get = (lambda k: lambda o: [t.get("Value") for t in o.get("Tags", []) if t.get("Key") == k])(key)
        elif name in fields:
            get = fields[name]
        else:
            raise ServiceError("InvalidParameterValue", f"The filter '{name}' is invalid")
        tests.append((get, [_wildcards(str(v)) for v in f.get("Values") or []]))

    def keep(obj: Mapping[str, Any]) -> bool:
        for get, values in tests:
            seen = [str(v) for v in get(obj) if v is not None]
            if not any(_glob(p, v) for p in values for v in seen):
                return False
        return True

    return keep


_STAR, _ONE = object(), object()  # wildcard tokens; every other token is a literal character


def _wildcards(value: str) -> list[Any]:
    """A filter value as tokens: ``*`` any run, ``?`` one character, a backslash makes the next character literal."""
    out: list[Any] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            out.append(next(chars, "\\"))
        else:
            out.append(_STAR if ch == "*" else _ONE if ch == "?" else ch)
    return out


def _glob(pattern: list[Any], text: str) -> bool:
    """In O(len(pattern) * len(text)) at worst: the greedy match that backs up only to the last ``*`` (a regex of
    several ``.*`` can backtrack exponentially)."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] is not _STAR and (pattern[p] is _ONE or pattern[p] == text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] is _STAR:
            star, mark, p = p, t, p + 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    return all(tok is _STAR for tok in pattern[p:])
