"""Local AWS Config organization deployments: organization conformance packs and organization config rules.

The home's organization (backends/local/organization.py) is every local account, managed by the home's default
account. Only that account may deploy (``OrganizationAccessDeniedException``). A deployment puts the pack or rule into
every account of the organization except ``ExcludedAccounts`` (the management account included) as
``OrgConformsPack-<name>-<suffix>`` / ``OrgConfigRule-<name>-<suffix>`` created by
``config-multiaccountsetup.amazonaws.com``. Each member is written in its own transaction (AWS's multi-account setup
acts in each member account): a member that refuses gets ``CREATE_FAILED`` with its error, the others still succeed.
Putting again updates the members, deploys to accounts no longer excluded and removes it from newly excluded ones.

Kept in the management account's ``cfg_org`` table: the organization object (API shape, times in ms) plus "Member"
(the member name), "Verb" (CREATE | UPDATE) and "Statuses" {account: {Status, ErrorCode, ErrorMessage, LastUpdateTime}}.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from awsmon.errors import ServiceError

LocalConfig = Any  # the LocalConfig of one account and Region (not imported: config.py imports this module)

CREATOR = "config-multiaccountsetup.amazonaws.com"


@dataclass(frozen=True)
class Kind:
    """What differs between organization packs and organization rules: names of fields and errors."""

    key: str  # cfg_org.kind
    name_field: str  # OrganizationConformancePackName
    arn_field: str
    arn_type: str  # in the ARN: organization-conformance-pack
    member_prefix: str  # OrgConformsPack
    status_field: str  # in the organization status: Status | OrganizationRuleStatus
    member_status_field: str  # in the detailed status: Status | MemberAccountRuleStatus
    member_name_field: str  # ConformancePackName | ConfigRuleName
    missing_code: str
    missing_text: str  # Describe* of an unknown name
    delete_missing_text: str  # Delete* of an unknown name ({name})


PACK = Kind("pack", "OrganizationConformancePackName", "OrganizationConformancePackArn", "organization-conformance-pack",
            "OrgConformsPack", "Status", "Status", "ConformancePackName", "NoSuchOrganizationConformancePackException",
            "One or more organization conformance packs with specified names are not present. Ensure your names are "
            "correct and try your request again later.",
            "Could not find an OrganizationConformancePack for given request with resourceName {name}")  # fmt: skip
# [inferred] texts: moto has no organization config rules and AWS's are not published.
RULE = Kind("rule", "OrganizationConfigRuleName", "OrganizationConfigRuleArn", "organization-config-rule",
            "OrgConfigRule", "OrganizationRuleStatus", "MemberAccountRuleStatus", "ConfigRuleName",
            "NoSuchOrganizationConfigRuleException",
            "One or more organization config rules with specified names are not present. Ensure your names are "
            "correct and try your request again later.",
            "Could not find an OrganizationConfigRule for given request with resourceName {name}")  # fmt: skip


def _ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def in_account(svc: LocalConfig, account: str, fn: Callable[[LocalConfig], Any]) -> tuple[str, str] | None:
    """Run ``fn`` on this Region's Config of a local account (its own write transaction when it is another
    account); a ServiceError is returned as (code, message)."""
    from awsmon.backends.local.store import AccountStore

    try:
        if account == svc.account_id:
            with svc.store.transaction():
                fn(svc)
            return None
        other = AccountStore.open(svc.store.home, account)
        try:
            with other.transaction():
                fn(type(svc)(other, svc.region))
        finally:
            other.close()
    except ServiceError as exc:
        return exc.code, exc.message
    return None


def _status(verb: str, err: tuple[str, str] | None, now_ms: int) -> dict[str, Any]:
    out: dict[str, Any] = {"Status": f"{verb}_{'FAILED' if err else 'SUCCESSFUL'}", "LastUpdateTime": now_ms}
    if err:
        out["ErrorCode"], out["ErrorMessage"] = err
    return out


def _row(svc: LocalConfig, kind: Kind, name: str) -> dict[str, Any] | None:
    row = svc.conn.execute("SELECT config FROM cfg_org WHERE region = ? AND kind = ? AND name = ?",
                           (svc.region, kind.key, name)).fetchone()  # fmt: skip
    return None if row is None else dict(json.loads(row[0]))


def get(svc: LocalConfig, kind: Kind, name: str) -> dict[str, Any]:
    cfg = _row(svc, kind, name)
    if cfg is None:
        raise ServiceError(kind.missing_code, kind.missing_text)
    return cfg


def deploy(svc: LocalConfig, kind: Kind, name: str, excluded: list[str], fields: dict[str, Any],
           put: Callable[[LocalConfig, str], Any], remove: Callable[[LocalConfig, str], Any]) -> dict[str, Any]:  # fmt: skip
    """Deploy ``put(member_svc, member_name)`` into every organization account but ``excluded`` (``remove`` from
    the newly excluded); store and return the organization object."""
    from awsmon.backends.local.organization import local_organization

    org = local_organization(svc.store.home)
    assert org is not None  # the caller checked the management account
    old = _row(svc, kind, name)
    suffix = old["Member"].rsplit("-", 1)[-1] if old else uuid.uuid4().hex[:8]
    member = f"{kind.member_prefix}-{name}-{suffix}"
    verb = "UPDATE" if old else "CREATE"
    now_ms = _ms(svc.now())
    statuses: dict[str, dict[str, Any]] = {}
    for account in org.accounts:
        was = (old or {}).get("Statuses", {}).get(account)
        deployed = was is not None and was["Status"] not in ("DELETE_SUCCESSFUL", "CREATE_FAILED")
        if account in excluded:
            if deployed:
                statuses[account] = _status("DELETE", in_account(svc, account, lambda s: remove(s, member)), now_ms)
            continue
        err = in_account(svc, account, lambda s: put(s, member))
        statuses[account] = _status("UPDATE" if deployed else "CREATE", err, now_ms)
    arn = old[kind.arn_field] if old else f"arn:aws:config:{svc.region}:{svc.account_id}:{kind.arn_type}/{name}-{suffix}"
    cfg: dict[str, Any] = {kind.name_field: name, kind.arn_field: arn, **fields, "ExcludedAccounts": excluded,
                           "LastUpdateTime": now_ms, "Member": member, "Statuses": statuses, "Verb": verb}  # fmt: skip
    svc.conn.execute("INSERT INTO cfg_org (region, kind, name, config) VALUES (?,?,?,?) ON CONFLICT (region, kind, name) "
                     "DO UPDATE SET config = excluded.config", (svc.region, kind.key, name, json.dumps(cfg)))  # fmt: skip
    return cfg


def listed(svc: LocalConfig, kind: Kind, names: list[str] | None) -> list[dict[str, Any]]:
    if names:
        return [get(svc, kind, n) for n in names]
    return [json.loads(r[0]) for r in svc.conn.execute(
        "SELECT config FROM cfg_org WHERE region = ? AND kind = ? ORDER BY name", (svc.region, kind.key))]  # fmt: skip


def describe(cfg: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The organization object in API shape."""
    out = {k: v for k, v in cfg.items() if k not in ("Member", "Statuses", "Verb", *drop)}
    out["LastUpdateTime"] = _dt(cfg["LastUpdateTime"])
    return out


def status(kind: Kind, cfg: dict[str, Any]) -> dict[str, Any]:
    """<verb>_FAILED when any member account failed, with the first failed account's error."""
    failed = [(a, st) for a, st in sorted(cfg["Statuses"].items()) if st["Status"].endswith("_FAILED")]
    out: dict[str, Any] = {kind.name_field: cfg[kind.name_field],
                           kind.status_field: f"{cfg['Verb']}_{'FAILED' if failed else 'SUCCESSFUL'}",
                           "LastUpdateTime": _dt(cfg["LastUpdateTime"])}  # fmt: skip
    if failed:
        out["ErrorCode"] = failed[0][1]["ErrorCode"]
        out["ErrorMessage"] = f"Account {failed[0][0]}: {failed[0][1]['ErrorMessage']}"
    return out


def detailed(kind: Kind, cfg: dict[str, Any], account: str | None, state: str | None) -> list[dict[str, Any]]:
    out = []
    for acct, st in sorted(cfg["Statuses"].items()):
        if account and account != acct or state and state != st["Status"]:
            continue
        d: dict[str, Any] = {"AccountId": acct, kind.member_name_field: cfg["Member"], kind.member_status_field: st["Status"]}
        if st.get("ErrorCode"):
            d["ErrorCode"], d["ErrorMessage"] = st["ErrorCode"], st["ErrorMessage"]
        d["LastUpdateTime"] = _dt(st["LastUpdateTime"])
        out.append(d)
    return out


def delete(svc: LocalConfig, kind: Kind, name: str, remove: Callable[[LocalConfig, str], Any]) -> None:
    """Remove it from every member account where it is deployed, then the organization object."""
    cfg = _row(svc, kind, name)
    if cfg is None:
        raise ServiceError(kind.missing_code, kind.delete_missing_text.format(name=name))
    for account, st in cfg["Statuses"].items():
        if st["Status"] not in ("DELETE_SUCCESSFUL", "CREATE_FAILED"):
            in_account(svc, account, lambda s: remove(s, cfg["Member"]))
    svc.conn.execute("DELETE FROM cfg_org WHERE region = ? AND kind = ? AND name = ?", (svc.region, kind.key, name))
