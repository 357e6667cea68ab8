"""CloudWatch Logs account policies (a mixin of the local logs service): PutAccountPolicy,
DescribeAccountPolicies, DeleteAccountPolicy, for the two types whose consequences the local account simulates.

* ``SUBSCRIPTION_FILTER_POLICY``: one per account and Region; the document ``{"DestinationArn", "RoleArn",
  "FilterPattern", "Distribution"}`` is checked as PutSubscriptionFilter checks its parameters (the destination's
  health check included); ``selectionCriteria`` may only be ``LogGroupName NOT IN ["a", "b"]`` (at most 25 KB). Every
  STANDARD log group not excluded, existing or created later, sends its matching events to the destination, in
  addition to (at most 2) group-level filters: the message names the policy in ``subscriptionFilters`` and carries
  ``"policyLevel": "ACCOUNT_LEVEL_POLICY"``.
* ``DATA_PROTECTION_POLICY``: one per account and Region, the same document as PutDataProtectionPolicy; masking is
  cumulative with a group's own policy (what either names is masked when ingested).

The other policy types (field index, transformer, metric extraction, retention) are refused: nothing in the local
account would act on them. Error texts AWS does not publish are [inferred].
"""

from __future__ import annotations

import json
import re
from typing import Any

from awsmon.backends.local.base import api
from awsmon.errors import ServiceError

POLICY_TYPES = ("DATA_PROTECTION_POLICY", "SUBSCRIPTION_FILTER_POLICY", "FIELD_INDEX_POLICY", "TRANSFORMER_POLICY",
                "METRIC_EXTRACTION_POLICY", "RETENTION_POLICY")  # fmt: skip
SIMULATED = ("DATA_PROTECTION_POLICY", "SUBSCRIPTION_FILTER_POLICY")
MAX_SELECTION_BYTES = 25 * 1024
_NOT_IN = re.compile(r"\s*LogGroupName\s+NOT\s+IN\s*(\[.*\])\s*", re.DOTALL)
POLICY_MISSING = "The specified account policy does not exist."


def excluded_groups(selection: str | None) -> set[str]:
    """The log group names a ``LogGroupName NOT IN [...]`` selection leaves out (empty: none)."""
    if not selection:
        return set()
    m = _NOT_IN.fullmatch(selection)
    names = json.loads(m.group(1)) if m else None
    return {str(n) for n in names} if isinstance(names, list) else set()


class AccountPolicyMixin:
    conn: Any
    region: str

    def _check_type(self, policyType: Any) -> str:
        from awsmon.backends.local.logs_common import constraint_error

        if policyType not in POLICY_TYPES:
            raise constraint_error(policyType, "policyType",
                                   f"Member must satisfy enum value set: [{', '.join(POLICY_TYPES)}]")  # fmt: skip
        return str(policyType)

    @api("PutAccountPolicy")
    def put_account_policy(self, *, policyName: str, policyDocument: str, policyType: str, scope: str | None = None,
                           selectionCriteria: str | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        from awsmon.backends.local.logs_common import constraint_error, invalid

        kind = self._check_type(policyType)
        if not isinstance(policyName, str) or not 1 <= len(policyName) <= 256:
            raise constraint_error(policyName, "policyName", "Member must have length between 1 and 256")
        if scope not in (None, "ALL"):
            raise constraint_error(scope, "scope", "Member must satisfy enum value set: [ALL]")
        if kind not in SIMULATED:
            raise invalid(f"The local account simulates DATA_PROTECTION_POLICY and SUBSCRIPTION_FILTER_POLICY account "
                          f"policies; {kind} is not simulated.")  # fmt: skip
        if selectionCriteria is not None:
            if kind != "SUBSCRIPTION_FILTER_POLICY":
                raise invalid(f"selectionCriteria is not supported for policy type {kind}.")
            if len(selectionCriteria.encode()) > MAX_SELECTION_BYTES:
                raise invalid(f"selectionCriteria must be at most {MAX_SELECTION_BYTES} bytes.")
            m = _NOT_IN.fullmatch(selectionCriteria)
            try:
                names = json.loads(m.group(1)) if m else None
            except ValueError:
                names = None
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise invalid('Invalid selectionCriteria: the only supported filter for SUBSCRIPTION_FILTER_POLICY is '
                              'LogGroupName NOT IN ["name", ...].')  # fmt: skip
        if kind == "SUBSCRIPTION_FILTER_POLICY":
            document = self._subscription_document(policyDocument)
            self.check_destination(document["DestinationArn"], "*")  # type: ignore[attr-defined]  # every group
        else:
            from awsmon.engines.dataprotection import PolicyError, identifiers

            try:
                identifiers(policyDocument)
            except PolicyError as exc:
                raise invalid(str(exc)) from None
        other = self.conn.execute(
            "SELECT name FROM log_account_policies WHERE region = ? AND policy_type = ? AND name != ?",
            (self.region, kind, policyName),
        ).fetchone()
        if other is not None:  # one policy of each of these types per account and Region
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        now = int(self.now().timestamp() * 1000)  # type: ignore[attr-defined]
        self.conn.execute(
            "INSERT INTO log_account_policies (region, policy_type, name, document, scope, selection, updated_ms) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (region, policy_type, name) DO UPDATE SET document = "
            "excluded.document, scope = excluded.scope, selection = excluded.selection, updated_ms = excluded.updated_ms",
            (self.region, kind, policyName, policyDocument, scope or "ALL", selectionCriteria, now),
        )
        return {"accountPolicy": self._policy_item(self.account_policy(kind))}

    @staticmethod
    def _subscription_document(text: Any) -> dict[str, Any]:
        from awsmon.backends.local.logs_common import compile_or_raise, invalid
        from awsmon.backends.local.logs_subscriptions import DISTRIBUTIONS

        try:
            doc = json.loads(text)
        except (TypeError, ValueError):
            doc = None
        if not isinstance(doc, dict):
            raise invalid("Invalid policy document: it must be a JSON object.")
        unknown = set(doc) - {"DestinationArn", "RoleArn", "FilterPattern", "Distribution"}
        if unknown:
            raise invalid(f"Invalid policy document: unknown field(s) {', '.join(sorted(unknown))}.")
        if not isinstance(doc.get("DestinationArn"), str) or not doc["DestinationArn"]:
            raise invalid("Invalid policy document: DestinationArn is required.")
        pattern = doc.get("FilterPattern", "")
        if not isinstance(pattern, str) or len(pattern) > 1024:
            raise invalid("Invalid policy document: FilterPattern must be a string of at most 1024 characters.")
        compile_or_raise(pattern)
        if doc.get("Distribution", "ByLogStream") not in DISTRIBUTIONS:
            raise invalid("Invalid policy document: Distribution must be Random or ByLogStream.")
        return doc

    @api("DescribeAccountPolicies")
    def describe_account_policies(self, *, policyType: str, policyName: str | None = None,
                                  accountIdentifiers: list[str] | None = None, **kw: Any) -> dict[str, Any]:  # fmt: skip
        kind = self._check_type(policyType)
        rows = self.conn.execute(
            "SELECT * FROM log_account_policies WHERE region = ? AND policy_type = ? ORDER BY name", (self.region, kind)
        ).fetchall()
        accounts = set(accountIdentifiers or [])
        items = [self._policy_item(r) for r in rows if policyName in (None, r["name"])]
        return {"accountPolicies": [i for i in items if not accounts or i["accountId"] in accounts]}

    @api("DeleteAccountPolicy")
    def delete_account_policy(self, *, policyName: str, policyType: str, **kw: Any) -> dict[str, Any]:
        kind = self._check_type(policyType)
        cur = self.conn.execute("DELETE FROM log_account_policies WHERE region = ? AND policy_type = ? AND name = ?",
                                (self.region, kind, policyName))  # fmt: skip
        if cur.rowcount == 0:
            raise ServiceError("ResourceNotFoundException", POLICY_MISSING)
        return {}

    def _policy_item(self, row: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"policyName": row["name"], "policyDocument": row["document"],
                                "lastUpdatedTime": row["updated_ms"], "policyType": row["policy_type"],
                                "scope": row["scope"]}  # fmt: skip
        if row["selection"] is not None:
            item["selectionCriteria"] = row["selection"]
        item["accountId"] = self.store.account_id  # type: ignore[attr-defined]
        return item

    def account_policy(self, kind: str) -> Any:
        """This Region's account policy of ``kind`` (None when there is none)."""
        return self.conn.execute("SELECT * FROM log_account_policies WHERE region = ? AND policy_type = ?",
                                 (self.region, kind)).fetchone()  # fmt: skip

    def account_subscription(self, group: str, log_class: str) -> dict[str, Any] | None:
        """The account-level subscription filter that applies to ``group`` (a STANDARD group not excluded)."""
        row = self.account_policy("SUBSCRIPTION_FILTER_POLICY")
        if row is None or log_class != "STANDARD" or group in excluded_groups(row["selection"]):
            return None
        doc = json.loads(row["document"])
        return {"name": row["name"], "pattern": doc.get("FilterPattern", ""), "destination": doc["DestinationArn"],
                "distribution": doc.get("Distribution", "ByLogStream")}  # fmt: skip
