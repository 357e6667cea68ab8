"""Contract tests: the same metrics commands against the local backend and a real moto server.

moto is not an oracle for semantics (spec §5.1: buckets from the first datapoint, no percentiles, math only as a bare
id, partial dimension matches), so these check the plumbing both backends share: shapes, exit codes, totals.
"""

from __future__ import annotations

import json

NS = "Contract"


def test_put_list_get_roundtrip(backend_cli) -> None:
    cli = backend_cli
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "Lat", "--values", "2,4,5", "-d", "Service=checkout",
           "--unit", "Milliseconds")  # fmt: skip
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "Req", "--value", "3", "-d", "Name=Service,Value=checkout")
    listed = cli.json("metrics", "list", "-n", NS)["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in listed] == [
        ("Lat", [{"Name": "Service", "Value": "checkout"}]), ("Req", [{"Name": "Service", "Value": "checkout"}])]  # fmt: skip
    assert [m["MetricName"] for m in cli.json("metrics", "list", "-n", NS, "--metric-name", "Req")["Metrics"]] == ["Req"]
    out = cli.json("metrics", "get", "-n", NS, "--metric-name", "Lat", "-d", "Service=checkout", "--start", "1h",
                   "--end", "in 5m", "-s", "SampleCount,Sum,Minimum,Maximum", "--period", "3600")  # fmt: skip
    assert out["Label"] == "Lat"
    assert sum(d["SampleCount"] for d in out["Datapoints"]) == 3.0
    assert sum(d["Sum"] for d in out["Datapoints"]) == 11.0
    assert {d["Unit"] for d in out["Datapoints"]} == {"Milliseconds"}
    assert min(d["Minimum"] for d in out["Datapoints"]) == 2.0


def test_statistic_set_and_counts(backend_cli) -> None:
    cli = backend_cli
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "S", "--statistic-values", "Sum=15,Minimum=1,Maximum=6,SampleCount=4")
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "S", "--values", "1,2", "--counts", "1,1")
    out = cli.json("metrics", "get", "-n", NS, "--metric-name", "S", "--start", "1h", "--end", "in 5m",
                   "--period", "3600", "-s", "SampleCount,Sum")  # fmt: skip
    assert sum(d["SampleCount"] for d in out["Datapoints"]) == 6.0
    assert sum(d["Sum"] for d in out["Datapoints"]) == 18.0


def test_get_data_bare_metric(backend_cli) -> None:
    cli = backend_cli
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "G", "--value", "7")
    q = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "G"}, "Period": 60, "Stat": "Sum"}}]
    out = cli.json("metrics", "get-data", "--start", "1h", "--end", "in 5m", "--metric-data-queries", json.dumps(q))
    [res] = out["MetricDataResults"]
    assert res["Id"] == "m1" and res["Values"] == [7.0] and res["StatusCode"] == "Complete"


def test_put_errors_exit_2_on_both(backend_cli) -> None:
    cli = backend_cli
    res = cli("metrics", "put", "-n", NS, "--metric-name", "X", "--values", "1,2", "--counts", "1")
    assert res.exit_code == 2 and "Traceback" not in res.stderr
    res = cli("metrics", "put", "-n", NS, "--metric-name", "X", "--value", "1", "--values", "2")
    assert res.exit_code == 2 and "mutually exclusive" in res.stderr
    assert cli.json("metrics", "list", "-n", NS)["Metrics"] == []


def test_list_shows_each_metric_once(backend_cli) -> None:
    # Regression: moto repeats a metric once per datum in ListMetrics; a metric is namespace + name + dimension set.
    cli = backend_cli
    for v in ("1", "2", "3"):
        cli.ok("metrics", "put", "-n", NS, "--metric-name", "Dup", "--value", v, "-d", "A=1,B=2")
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "Dup", "--value", "4", "-d", "B=2,A=1")
    listed = cli.json("metrics", "list", "-n", NS, "--metric-name", "Dup")["Metrics"]
    assert len(listed) == 1 and sorted(d["Name"] for d in listed[0]["Dimensions"]) == ["A", "B"]




def test_metrics_query_plumbing(backend_cli) -> None:
    """`metrics query` is one GetMetricData Expression query on both backends (moto sums the period for any SELECT,
    spec §5, so only the local values are checked)."""
    cli = backend_cli
    cli.ok("metrics", "put", "-n", NS, "--metric-name", "Cpu", "--values", "10,30", "-d", "InstanceId=i-1")
    out = cli.json("metrics", "query", f'SELECT AVG(Cpu) FROM SCHEMA("{NS}", InstanceId)', "--start", "1h",
                   "--end", "in 5m", "--period", "3600")  # fmt: skip
    assert out["MetricDataResults"] and {r["Id"] for r in out["MetricDataResults"]} == {"q1"}
    if "AWSMON_BACKEND" not in cli.env:
        assert [r["Values"] for r in out["MetricDataResults"]] == [[20.0]]
