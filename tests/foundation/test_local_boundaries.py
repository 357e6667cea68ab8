"""Local services reach each other only through facts.py: no imports of another service's module (issue 15 #21)."""

from __future__ import annotations

import ast
from pathlib import Path

import awsmon.backends.local as local

PACKAGE = "awsmon.backends.local"
# Shared machinery every service may use; everything else in the package is a service module.
INFRASTRUCTURE = {"base", "store", "scheduler", "facts", "schema", "organization"}
# One AWS service split over modules (LocalCloudWatch = AlarmsMixin + MetricsMixin + DashboardsMixin,
# LocalLogs + InsightsMixin, CloudTrail and its imported-history store and bulk writer, LocalConfig and its
# delivery, custom-rule, remediation and aggregator modules).
SAME_SERVICE = [{"cloudwatch", "cloudwatch_alarms", "cloudwatch_metrics", "cloudwatch_dashboards",
                 "cloudwatch_anomaly", "cloudwatch_usage"},
                {"logs", "logs_insights", "logs_common", "logs_subscriptions", "logs_export", "logs_groups", "logs_batch",
                 "logs_cache", "logs_live", "logs_account"},
                {"cloudtrail", "cloudtrail_insights", "history", "history_import"},
                {"config", "config_delivery", "config_custom", "config_remediation", "config_aggregate", "config_org"}]


def _service_of(module: str) -> str:
    for group in SAME_SERVICE:
        if module in group:
            return min(group)
    return module


def _violations(path: Path) -> list[str]:
    me = path.stem if path.parent.name == "local" else path.parent.name
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or not node.module or not node.module.startswith(PACKAGE):
            continue
        rest = node.module[len(PACKAGE) :].lstrip(".")
        names = [a.name for a in node.names]
        if not rest:
            # `from awsmon.backends.local import X`: infrastructure modules only (not the SERVICES registry).
            bad = [n for n in names if n not in INFRASTRUCTURE and _service_of(n) != _service_of(me)]
            if bad and me != "facts":
                out.append(f"{path.name}:{node.lineno} imports {bad} from the backend package")
            continue
        other = rest.split(".", 1)[0]
        if other in INFRASTRUCTURE or _service_of(other) == _service_of(me):
            continue
        out.append(f"{path.name}:{node.lineno} imports {names} from the {other} service")
    return out


def test_services_import_no_other_service():
    root = Path(local.__file__).parent
    files = [p for p in root.rglob("*.py") if p.name != "__init__.py" or p.parent != root]
    assert len(files) > 8
    problems = [v for p in sorted(files) for v in _violations(p)]
    assert problems == []


def test_the_check_catches_private_and_class_imports(tmp_path):
    bad = tmp_path / "local" / "alarmsx.py"
    bad.parent.mkdir()
    bad.write_text(
        "from awsmon.backends.local.events import _pattern_rules, deliver\n"
        "def f():\n    from awsmon.backends.local.sns import LocalSNS\n"
        "from awsmon.backends.local import SERVICES, facts\n"
        "from awsmon.backends.local.facts import emit\n",
        encoding="utf-8",
    )
    found = _violations(bad)
    assert len(found) == 3
    assert "_pattern_rules" in found[0] and "LocalSNS" in " ".join(found) and "SERVICES" in " ".join(found)


def test_no_import_cycles_in_awsmon():
    """No module of awsmon imports, even lazily or for typing, a module that imports it back (context <-> output)."""
    root = Path(local.__file__).parents[2]
    modules = {".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in root.rglob("*.py")}  # fmt: skip
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules or node.module in modules:
                        graph[name].add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in modules)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return False

    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if b != a and reaches(b, a))
    assert "awsmon.context" in graph and graph["awsmon.output"]
    assert cycles == []
