"""CloudWatch dashboards of the simulated account: PutDashboard, GetDashboard, ListDashboards, DeleteDashboards.

Dashboards are global to the account (their ARN has no Region), so every Region's client sees the same ones. The body
is validated as PutDashboard validates it (:mod:`awsmon.engines.dashboard`) and stored verbatim, as AWS returns it.
"""

from __future__ import annotations

from typing import Any

from awsmon.backends.local.base import api
from awsmon.errors import ServiceError

MAX_BODY_BYTES = 1_048_576  # PutDashboard bodies are at most 1 MB (AWS quota)
PAGE = 1000


class DashboardsMixin:
    """Mixed into LocalCloudWatch (uses its connection, clock and account id)."""

    conn: Any
    account_id: str

    def _dashboard_arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch::{self.account_id}:dashboard/{name}"

    def _check_name(self, name: Any) -> str:
        from awsmon.engines.dashboard import NAME_MESSAGE, NAME_RE

        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ServiceError("InvalidParameterInput", NAME_MESSAGE)
        return name

    @api("PutDashboard")
    def put_dashboard(self, *, DashboardName: str, DashboardBody: str, **kw: Any) -> dict[str, Any]:
        from awsmon.engines.dashboard import DashboardBodyError, validate_body

        name = self._check_name(DashboardName)
        if isinstance(DashboardBody, str) and len(DashboardBody.encode()) > MAX_BODY_BYTES:
            raise ServiceError("InvalidParameterInput", "The dashboard body is too large (more than 1 MB).")
        try:
            validate_body(DashboardBody)
        except DashboardBodyError as exc:
            raise ServiceError(exc.code, exc.message) from exc
        now = int(self.now().timestamp() * 1000)  # type: ignore[attr-defined]
        self.conn.execute(
            "INSERT INTO dashboards (name, body, modified_ms) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET body = excluded.body, modified_ms = excluded.modified_ms",
            (name, DashboardBody, now),
        )
        return {"DashboardValidationMessages": []}

    @api("GetDashboard")
    def get_dashboard(self, *, DashboardName: str, **kw: Any) -> dict[str, Any]:
        row = self.conn.execute("SELECT name, body FROM dashboards WHERE name = ?", (DashboardName,)).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFound", f"Dashboard {DashboardName} does not exist", status=404)
        return {"DashboardArn": self._dashboard_arn(row[0]), "DashboardBody": row[1], "DashboardName": row[0]}

    @api("ListDashboards")
    def list_dashboards(self, *, DashboardNamePrefix: str | None = None, NextToken: str | None = None,
                        **kw: Any) -> dict[str, Any]:  # fmt: skip
        from datetime import UTC, datetime

        prefix = DashboardNamePrefix or ""
        rows = self.conn.execute(
            "SELECT name, length(CAST(body AS BLOB)), modified_ms FROM dashboards WHERE substr(name, 1, ?) = ? "
            "AND name > ? ORDER BY name LIMIT ?",
            (len(prefix), prefix, NextToken or "", PAGE + 1),
        ).fetchall()
        entries = [{"DashboardName": n, "DashboardArn": self._dashboard_arn(n),
                    "LastModified": datetime.fromtimestamp(ms / 1000, UTC), "Size": int(size)}
                   for n, size, ms in rows[:PAGE]]  # fmt: skip
        out: dict[str, Any] = {"DashboardEntries": entries}
        if len(rows) > PAGE:
            out["NextToken"] = rows[PAGE - 1][0]
        return out

    @api("DeleteDashboards")
    def delete_dashboards(self, *, DashboardNames: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        names = list(DashboardNames or [])
        if not names:
            raise ServiceError("InvalidParameterValue", "The parameter DashboardNames is required.")
        found = {r[0] for r in self.conn.execute(
            f"SELECT name FROM dashboards WHERE name IN ({','.join('?' * len(names))})", names)}  # fmt: skip
        missing = [n for n in names if n not in found]
        if missing:  # nothing is deleted when any name is unknown
            raise ServiceError("ResourceNotFound", f"The specified dashboard does not exist. [{', '.join(missing)}]",
                               status=404)  # fmt: skip
        self.conn.execute(f"DELETE FROM dashboards WHERE name IN ({','.join('?' * len(names))})", names)
        return {}

    def _resources(self, op: str, params: dict[str, Any], result: Any) -> list[dict[str, str]]:
        if op in ("PutDashboard", "GetDashboard") and isinstance(params.get("DashboardName"), str):
            names = [params["DashboardName"]]
        elif op == "DeleteDashboards" and isinstance(params.get("DashboardNames"), list):
            names = [n for n in params["DashboardNames"] if isinstance(n, str)]
        else:
            names = []
        if names:
            return [{"type": "AWS::CloudWatch::Dashboard", "ARN": self._dashboard_arn(n), "name": n} for n in names]
        return super()._resources(op, params, result)  # type: ignore[misc]
