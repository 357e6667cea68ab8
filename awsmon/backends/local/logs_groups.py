"""CloudWatch Logs group settings (a mixin of the local logs service): log classes, tags, KMS keys, data protection.

* Log classes: STANDARD and INFREQUENT_ACCESS, fixed at creation. An INFREQUENT_ACCESS group refuses metric filters,
  subscription filters, FilterLogEvents and live tail with InvalidOperationException "The log group <name> is of
  log-group-class INFREQUENT_ACCESS. <Operation> is not supported for this log class." (AWS's FilterLogEvents text;
  the same form for the other operations is [inferred]).
* Tags: TagResource / UntagResource / ListTagsForResource on the group ARN (without ``:*``); at most 50 tags.
* AssociateKmsKey / DisassociateKmsKey: ``kmsKeyId`` in DescribeLogGroups (the key is not checked against a KMS
  simulation: the local account has none).
* Data protection: PutDataProtectionPolicy / GetDataProtectionPolicy / DeleteDataProtectionPolicy. Events ingested
  while a policy is set are masked (EmailAddress, CreditCardNumber: :mod:`awsmon.engines.dataprotection`) when read
  with GetLogEvents / FilterLogEvents, unless ``unmask=true``; events ingested before the policy stay as they were.
"""

from __future__ import annotations

import json
import re
from typing import Any

from awsmon.backends.local.base import api
from awsmon.errors import ServiceError

LOG_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY")
MAX_TAGS = 50
_TAG_KEY = re.compile(r"[\w\s_.:/=+\-@]{1,128}", re.UNICODE)
_KMS_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+")


def refuse_infrequent(name: str, log_class: str, operation: str) -> None:
    if log_class == "INFREQUENT_ACCESS":
        raise ServiceError("InvalidOperationException", f"The log group {name} is of log-group-class "
                           f"INFREQUENT_ACCESS. {operation} is not supported for this log class.")  # fmt: skip


class GroupSettingsMixin:
    conn: Any
    region: str

    def _settings(self, name: str) -> Any:
        from awsmon.backends.local.logs_common import GROUP_MISSING

        row = self.conn.execute(
            "SELECT id, name, log_class, kms_key, tags, data_protection FROM log_groups WHERE region = ? AND name = ?",
            (self.region, name),
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", GROUP_MISSING)
        return row

    def check_class(self, name: str, operation: str) -> None:
        row = self.conn.execute("SELECT log_class FROM log_groups WHERE region = ? AND name = ?",
                                (self.region, name)).fetchone()  # fmt: skip
        if row is not None:
            refuse_infrequent(name, row["log_class"], operation)

    @staticmethod
    def validate_create_settings(logGroupClass: Any, kmsKeyId: Any, tags: Any) -> dict[str, Any]:
        from awsmon.backends.local.logs_common import constraint_error

        cls = logGroupClass or "STANDARD"
        if cls not in LOG_CLASSES:
            raise constraint_error(cls, "logGroupClass",
                                   "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")  # fmt: skip
        if kmsKeyId is not None and (not isinstance(kmsKeyId, str) or not _KMS_ARN.fullmatch(kmsKeyId)):
            raise ServiceError("InvalidParameterException", f"Specified KMS key ARN '{kmsKeyId}' is not valid.")
        return {"log_class": cls, "kms_key": kmsKeyId, "tags": json.dumps(_check_tags(tags or {}))}

    # -- tags -------------------------------------------------------------------------------------------------------
    def _group_of_arn(self, resourceArn: Any) -> Any:
        parts = str(resourceArn or "").split(":")
        if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
            raise ServiceError("InvalidParameterException", f"Invalid resource arn: {resourceArn}")
        return self._settings(parts[6])

    @api("TagResource")
    def tag_resource(self, *, resourceArn: str, tags: dict[str, str], **kw: Any) -> dict[str, Any]:
        row = self._group_of_arn(resourceArn)
        merged = {**json.loads(row["tags"]), **_check_tags(tags)}
        if len(merged) > MAX_TAGS:
            raise ServiceError("TooManyTagsException", f"A resource can have no more than {MAX_TAGS} tags.")
        self.conn.execute("UPDATE log_groups SET tags = ? WHERE id = ?", (json.dumps(merged), row["id"]))
        return {}

    @api("UntagResource")
    def untag_resource(self, *, resourceArn: str, tagKeys: list[str], **kw: Any) -> dict[str, Any]:
        row = self._group_of_arn(resourceArn)
        tags = {k: v for k, v in json.loads(row["tags"]).items() if k not in set(tagKeys or [])}
        self.conn.execute("UPDATE log_groups SET tags = ? WHERE id = ?", (json.dumps(tags), row["id"]))
        return {}

    @api("ListTagsForResource")
    def list_tags_for_resource(self, *, resourceArn: str, **kw: Any) -> dict[str, Any]:
        return {"tags": json.loads(self._group_of_arn(resourceArn)["tags"])}

    # -- KMS --------------------------------------------------------------------------------------------------------
    @api("AssociateKmsKey")
    def associate_kms_key(self, *, kmsKeyId: str, logGroupName: str | None = None, **kw: Any) -> dict[str, Any]:
        if not logGroupName:
            raise ServiceError("InvalidParameterException", "Should provide either logGroupName or resourceIdentifier.")
        row = self._settings(logGroupName)
        self.validate_create_settings(None, kmsKeyId, None)
        self.conn.execute("UPDATE log_groups SET kms_key = ? WHERE id = ?", (kmsKeyId, row["id"]))
        return {}

    @api("DisassociateKmsKey")
    def disassociate_kms_key(self, *, logGroupName: str | None = None, **kw: Any) -> dict[str, Any]:
        if not logGroupName:
            raise ServiceError("InvalidParameterException", "Should provide either logGroupName or resourceIdentifier.")
        row = self._settings(logGroupName)
        self.conn.execute("UPDATE log_groups SET kms_key = NULL WHERE id = ?", (row["id"],))
        return {}

    # -- data protection --------------------------------------------------------------------------------------------
    @api("PutDataProtectionPolicy")
    def put_data_protection_policy(self, *, logGroupIdentifier: str, policyDocument: str, **kw: Any) -> dict[str, Any]:
        from awsmon.engines.dataprotection import PolicyError, identifiers

        name = self._name_from_identifier(str(logGroupIdentifier))  # type: ignore[attr-defined]
        row = self._settings(name)
        try:
            identifiers(policyDocument)
        except PolicyError as exc:
            raise ServiceError("InvalidParameterException", str(exc)) from None
        now = int(self.now().timestamp() * 1000)  # type: ignore[attr-defined]
        stored = json.dumps({"document": policyDocument, "updated": now})
        self.conn.execute("UPDATE log_groups SET data_protection = ? WHERE id = ?", (stored, row["id"]))
        return {"logGroupIdentifier": logGroupIdentifier, "policyDocument": policyDocument,
                "lastUpdatedTime": now}  # fmt: skip

    @api("GetDataProtectionPolicy")
    def get_data_protection_policy(self, *, logGroupIdentifier: str, **kw: Any) -> dict[str, Any]:
        row = self._settings(self._name_from_identifier(str(logGroupIdentifier)))  # type: ignore[attr-defined]
        out: dict[str, Any] = {"logGroupIdentifier": logGroupIdentifier}
        stored = json.loads(row["data_protection"] or "{}")
        if stored.get("document"):
            out.update({"policyDocument": stored["document"], "lastUpdatedTime": stored["updated"]})
        return out

    @api("DeleteDataProtectionPolicy")
    def delete_data_protection_policy(self, *, logGroupIdentifier: str, **kw: Any) -> dict[str, Any]:
        row = self._settings(self._name_from_identifier(str(logGroupIdentifier)))  # type: ignore[attr-defined]
        if not json.loads(row["data_protection"] or "{}").get("document"):
            raise ServiceError("ResourceNotFoundException", "The specified data protection policy does not exist.")
        # Events masked while the policy was set stay masked: the marker keeps readers looking them up.
        self.conn.execute("UPDATE log_groups SET data_protection = ? WHERE id = ?",
                          (json.dumps({"document": None}), row["id"]))  # fmt: skip
        return {}

    def _mask_new_events(self, gid: int, first_seq: int, messages: list[str]) -> list[str]:
        """At ingestion: store the masked form of the events a policy protects (what readers see). Returns the
        messages as every egress point (subscription filters, export) must see them."""
        row = self.conn.execute("SELECT data_protection FROM log_groups WHERE id = ?", (gid,)).fetchone()
        document = json.loads(row[0] or "{}").get("document") if row is not None else None
        account = self.account_policy("DATA_PROTECTION_POLICY")  # type: ignore[attr-defined]
        if not document and account is None:
            return messages
        from awsmon.engines.dataprotection import identifiers, mask

        # The account-level policy and the group's are cumulative: what either names is masked.
        names = list(dict.fromkeys([*(identifiers(document) if document else []),
                                    *(identifiers(account["document"]) if account is not None else [])]))  # fmt: skip
        if row is not None and row[0] is None:  # readers look masked events up only in groups marked as protected
            self.conn.execute("UPDATE log_groups SET data_protection = ? WHERE id = ?",
                              (json.dumps({"document": None}), gid))  # fmt: skip
        masked = [mask(msg, names) for msg in messages]
        updates = [(m, gid, first_seq + i) for i, m in enumerate(masked) if m is not None]
        if updates:
            self.conn.executemany("UPDATE log_events SET masked = ? WHERE group_id = ? AND seq = ?", updates)
        return [msg if m is None else m for msg, m in zip(messages, masked, strict=True)]

    def _masked(self, gid: int, events: list[dict[str, Any]], seqs: list[int], unmask: Any) -> None:
        """Replace returned messages by their masked form (unless ``unmask``)."""
        if unmask or not events:
            return
        # Only groups that ever had a policy hold masked events (no scan of the group's events to find out).
        row = self.conn.execute("SELECT data_protection FROM log_groups WHERE id = ?", (gid,)).fetchone()
        if row is None or row[0] is None:
            return
        found: dict[int, str] = {}
        for i in range(0, len(seqs), 500):
            chunk = seqs[i:i + 500]
            q = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT seq, masked FROM log_events WHERE group_id = ? AND masked IS NOT NULL AND seq IN ({q})",
                (gid, *chunk)).fetchall())  # fmt: skip
        for ev, seq in zip(events, seqs, strict=True):
            if seq in found:
                ev["message"] = found[seq]


def _check_tags(tags: Any) -> dict[str, str]:
    if not isinstance(tags, dict):
        raise ServiceError("InvalidParameterException", "tags must be a map of tag keys to values.")
    for k, v in tags.items():
        if not isinstance(k, str) or not _TAG_KEY.fullmatch(k) or k.lower().startswith("aws:"):
            raise ServiceError("InvalidParameterException", f"Invalid tag key: {k}")
        if not isinstance(v, str) or len(v) > 256:
            raise ServiceError("InvalidParameterException", f"Invalid tag value for key {k}")
    if len(tags) > MAX_TAGS:
        raise ServiceError("TooManyTagsException", f"A resource can have no more than {MAX_TAGS} tags.")
    return {str(k): str(v) for k, v in tags.items()}

