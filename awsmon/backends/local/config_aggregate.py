"""Local AWS Config aggregators: one read-only view over several local accounts and Regions of the same home.

``aggregate-data.md``: an aggregator over individual accounts collects from each source account and Region only
once that account has authorized it there (PutAggregationAuthorization in the *source* account and Region, naming
the aggregator's account and Region); the aggregator's own account needs no authorization. Sources without an
authorization are not collected and show ``LastUpdateStatus: FAILED`` in DescribeConfigurationAggregatorSourcesStatus
with ``LastErrorCode: AccessDeniedException`` [inferred: AWS accepts the aggregator and reports the source].
``AllAwsRegions`` covers the Regions where the source account has Config rules or recorded resources.
PutConfigurationAggregator refuses account sources that have not authorized it (the issue's bad-input rule; see
docs/config.md), so a FAILED source means the authorization was deleted afterwards.

An ``OrganizationAggregationSource`` covers every account of the home's organization (backends/local/organization.py:
all local accounts, managed by the home's default account) at query time, with no authorization.

Source accounts are other accounts of the home (``awsmon account init --account-id ...``), opened read-only for the
query and closed after it (as EventBridge opens a target bus's account).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awsmon.backends.local.store import AccountStore


@dataclass(frozen=True)
class Source:
    account: str
    region: str
    authorized: bool
    exists: bool
    kind: str = "ACCOUNT"  # or ORGANIZATION (a member of the home's organization: no authorization needed)


@contextmanager
def _open(store: AccountStore, account: str) -> Iterator[AccountStore | None]:
    if account == store.account_id:
        yield store
        return
    if not store.home.exists(account):
        yield None
        return
    from awsmon.backends.local.store import AccountStore as Store

    other = Store.open(store.home, account)
    try:
        yield other
    finally:
        other.close()


def _regions_with_data(conn: Any) -> list[str]:
    rows = conn.execute("SELECT region FROM cfg_rules UNION SELECT region FROM cfg_resources UNION "
                        "SELECT region FROM cfg_recorders").fetchall()  # fmt: skip
    return sorted(r[0] for r in rows)


def sources(store: AccountStore, region: str, cfg: Mapping[str, Any]) -> list[Source]:
    out: list[Source] = []
    org_src = cfg.get("OrganizationAggregationSource")
    if org_src:
        from awsmon.backends.local.organization import local_organization

        org = local_organization(store.home)
        for account in org.accounts if org is not None else ():
            with _open(store, account) as other:
                if other is None:
                    continue
                regions = _regions_with_data(other.conn) if org_src.get("AllAwsRegions") else list(org_src.get("AwsRegions") or [])
                out.extend(Source(account, r, True, True, "ORGANIZATION") for r in regions)
        return out
    for src in cfg.get("AccountAggregationSources") or []:
        for account in src.get("AccountIds") or []:
            with _open(store, account) as other:
                if other is None:
                    regions = list(src.get("AwsRegions") or []) or [region]
                    out.extend(Source(account, r, False, False) for r in regions)
                    continue
                regions = _regions_with_data(other.conn) if src.get("AllAwsRegions") else list(src.get("AwsRegions") or [])
                for r in regions:
                    authorized = account == store.account_id or other.conn.execute(
                        "SELECT 1 FROM cfg_authorizations WHERE region = ? AND authorized_account = ? AND authorized_region = ?",
                        (r, store.account_id, region)).fetchone() is not None  # fmt: skip
                    out.append(Source(account, r, authorized, True))
    return out


def collect(store: AccountStore, region: str, cfg: Mapping[str, Any]) -> Iterator[tuple[Source, Any]]:
    """Each authorized (account, Region) source with its open connection."""
    for src in sources(store, region, cfg):
        if not src.authorized:
            continue
        with _open(store, src.account) as other:
            if other is not None:
                yield src, other.conn


def rule_compliance(store: AccountStore, region: str, cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """AggregateComplianceByConfigRules: one entry per rule of every authorized source."""
    from awsmon.engines.config_rules import summarize

    out = []
    for src, conn in collect(store, region, cfg):
        for (name,) in conn.execute("SELECT name FROM cfg_rules WHERE region = ? ORDER BY name", (src.region,)).fetchall():
            kinds = [r[0] for r in conn.execute("SELECT compliance FROM cfg_results WHERE region = ? AND rule_name = ?",
                                                (src.region, name))]  # fmt: skip
            ctype, count = summarize(kinds)
            if ctype == "NOT_APPLICABLE":
                ctype = "INSUFFICIENT_DATA"
            comp: dict[str, Any] = {"ComplianceType": ctype}
            if ctype == "NON_COMPLIANT":
                comp["ComplianceContributorCount"] = {"CappedCount": min(count, 100), "CapExceeded": count > 100}
            out.append({"ConfigRuleName": name, "Compliance": comp, "AccountId": src.account, "AwsRegion": src.region})
    return out


def resource_counts(store: AccountStore, region: str, cfg: Mapping[str, Any]) -> list[tuple[str, str, str, int]]:
    """(account, region, resource type, count) of the current recorded resources of every authorized source."""
    out = []
    for src, conn in collect(store, region, cfg):
        for rtype, n in conn.execute("SELECT resource_type, count(*) FROM cfg_resources WHERE region = ? AND deleted_ms "
                                     "IS NULL GROUP BY resource_type ORDER BY resource_type", (src.region,)).fetchall():  # fmt: skip
            out.append((src.account, src.region, rtype, int(n)))
    return out


def resource_items(store: AccountStore, region: str, cfg: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
    """The current configuration items of every authorized source (SelectAggregateResourceConfig)."""
    for src, conn in collect(store, region, cfg):
        for (text,) in conn.execute("SELECT i.item FROM cfg_resources r JOIN cfg_items i ON i.id = r.last_item_id "
                                    "WHERE r.region = ? AND r.deleted_ms IS NULL", (src.region,)):  # fmt: skip
            yield src, json.loads(text)
