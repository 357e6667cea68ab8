"""awsmon metrics put/list/get/get-data/graph through the CLI on the local backend (clock pinned at 12:00Z)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

NS = "App"
DIM = ["-d", "Service=checkout"]


def put(cli, *args: str):
    return cli("metrics", "put", "-n", NS, *args)


def test_put_and_get_doc_example(pinned) -> None:
    # publishingMetrics.md: values 2, 4, 5 in one minute (corpus ST-DOC-1)
    pinned.ok("metrics", "put", "-n", NS, "--metric-name", "Lat", "--values", "2,4", "--values", "5", *DIM,
              "--timestamp", "2026-11-20T11:55:10Z")  # fmt: skip
    out = pinned.json("metrics", "get", "-n", NS, "--metric-name", "Lat", "-d", "Name=Service,Value=checkout",
                      "--start", "1h", "-s", "SampleCount,Average", "-s", "Sum", "-s", "Minimum,Maximum")  # fmt: skip
    assert out == {
        "Label": "Lat",
        "Datapoints": [
            {"Timestamp": "2026-11-20T11:55:00Z", "SampleCount": 3.0, "Average": 3.6666666666666665, "Sum": 11.0,
             "Minimum": 2.0, "Maximum": 5.0, "Unit": "None"}  # fmt: skip
        ],
    }


def test_put_json_output_is_empty_response_and_message_on_stderr(pinned) -> None:
    res = pinned("metrics", "put", "-n", NS, "--metric-name", "X", "--value", "1", "-o", "json")
    assert res.exit_code == 0
    assert res.stdout == ""  # PutMetricData returns nothing: nothing on stdout, as aws-cli
    assert "Put 1 datum into App" in res.stderr


def test_values_counts_statistic_sets_and_units(pinned) -> None:
    ts = "2026-11-20T11:50:00Z"
    pinned.ok("metrics", "put", "-n", NS, "--metric-name", "M", "--values", "1 2 3", "--counts", "1,2,3", "--timestamp", ts)
    pinned.ok("metrics", "put", "-n", NS, "--metric-name", "M", "--statistic-values",
              "Sum=10,Minimum=1,Maximum=6,SampleCount=3", "--timestamp", ts)  # fmt: skip
    pinned.ok("metrics", "put", "-n", NS, "--metric-name", "M", "--value", "100", "--unit", "Count", "--timestamp", ts)
    out = pinned.json("metrics", "get", "-n", NS, "--metric-name", "M", "--start", "1h", "-s", "SampleCount,Sum")
    by_unit = {d["Unit"]: d for d in out["Datapoints"]}
    assert by_unit["None"]["SampleCount"] == 9.0 and by_unit["None"]["Sum"] == 24.0
    assert by_unit["Count"]["Sum"] == 100.0
    only = pinned.json("metrics", "get", "-n", NS, "--metric-name", "M", "--start", "1h", "-s", "Sum", "--unit", "Count")
    assert [d["Sum"] for d in only["Datapoints"]] == [100.0]
    # the statistic set (not expandable) makes percentiles unavailable in its period
    ext = pinned.json("metrics", "get", "-n", NS, "--metric-name", "M", "--start", "1h", "-x", "p50", "--unit", "None")
    assert ext["Datapoints"][0]["ExtendedStatistics"] == {}


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--metric-name", "X", "--value", "nan"], "The value NaN for parameter MetricData.member.1.Value is invalid."),
        (["--metric-name", "X", "--value", "1", "--timestamp", "15 days ago"],
         "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks."),
        (["--metric-name", "X", "--value", "1", "--timestamp", "in 3h"],
         "must specify a time no more than two hours in the future."),
        (["--metric-name", "X", "--value", "1", "--values", "2"], "are mutually exclusive and you have specified both."),
        (["--metric-name", "X", "--values", "1,2", "--counts", "1"], "must be of the same size."),
        (["--metric-name", "X", "--statistic-values", "Sum=1,Minimum=1,Maximum=1"],
         'Missing required parameter in MetricData[0].StatisticValues: "SampleCount"'),
        (["--metric-name", "X", "--value", "1", "--storage-resolution", "30"],
         "The value 30 for parameter MetricData.member.1.StorageResolution is invalid."),
        (["--metric-name", "X", "--value", "1", "--unit", "Parsecs"],
         "The value Parsecs for parameter MetricData.member.1.Unit is invalid."),
        (["--metric-name", "X", "--value", "1", *[f"-d=K{i}=v" for i in range(31)]],
         "The collection MetricData.member.1.Dimensions must not have a size greater than 30."),
    ],
)  # fmt: skip
def test_put_bad_input_aws_texts_exit_2_nothing_stored(pinned, args: list[str], text: str) -> None:
    res = put(pinned, *[a.replace("-d=", "") if a.startswith("-d=") else a for a in _expand(args)])
    assert res.exit_code == 2, res.stderr
    assert text in res.stderr
    assert "Traceback" not in res.stderr
    assert pinned.json("metrics", "list") == {"Metrics": []}


def _expand(args: list[str]) -> list[str]:
    out: list[str] = []
    for a in args:
        if a.startswith("-d="):
            out += ["-d", a[3:]]
        else:
            out.append(a)
    return out


def test_aws_namespace_rejected(pinned) -> None:
    res = pinned("metrics", "put", "-n", "AWS/EC2", "--metric-name", "X", "--value", "1")
    assert res.exit_code == 2 and "The value AWS/ for parameter Namespace is invalid." in res.stderr


def test_batch_file_all_or_nothing(pinned, tmp_path: Path) -> None:
    good = [{"MetricName": "B", "Value": i, "Timestamp": "2026-11-20T11:00:00Z"} for i in range(1500)]
    f = tmp_path / "data.json"
    f.write_text(json.dumps(good))
    res = pinned("metrics", "put", "-n", NS, "--metric-data", f"file://{f}")
    assert res.exit_code == 0 and "Put 1500 datums into App (2 call(s))" in res.stderr
    out = pinned.json("metrics", "get", "-n", NS, "--metric-name", "B", "--start", "2h", "-s", "SampleCount,Sum")
    assert out["Datapoints"][0]["SampleCount"] == 1500.0 and out["Datapoints"][0]["Sum"] == sum(range(1500))
    bad = [{"MetricName": "C", "Value": 1}] * 1200 + [{"MetricName": "C", "Value": "NaN"}]
    res = pinned("metrics", "put", "-n", NS, "--metric-data", "-", input=json.dumps(bad))
    assert res.exit_code == 2 and "MetricData.member.201.Value" in res.stderr
    assert pinned.json("metrics", "list", "--metric-name", "C") == {"Metrics": []}


def test_batch_json_lines_from_stdin_with_request_object(pinned) -> None:
    lines = "\n".join(json.dumps({"MetricName": "L", "Value": v, "Dimensions": [{"Name": "A", "Value": "1"}]})
                      for v in (1, 2, 3))  # fmt: skip
    pinned.ok("metrics", "put", "-n", NS, "--metric-data", "-", input=lines)
    req = {"Namespace": "Other", "MetricData": [{"MetricName": "R", "Value": 5}]}
    pinned.ok("metrics", "put", "--metric-data", "-", input=json.dumps(req))
    names = [(m["Namespace"], m["MetricName"]) for m in pinned.json("metrics", "list")["Metrics"]]
    assert names == [("App", "L"), ("Other", "R")]


def test_list_filters_and_recently_active(pinned) -> None:
    put(pinned, "--metric-name", "A", "--value", "1", "-d", "Host=h1,Zone=z1")
    put(pinned, "--metric-name", "A", "--value", "1", "-d", "Host=h2")
    put(pinned, "--metric-name", "B", "--value", "1")
    assert len(pinned.json("metrics", "list", "-n", NS)["Metrics"]) == 3
    assert len(pinned.json("metrics", "list", "--metric-name", "A")["Metrics"]) == 2
    one = pinned.json("metrics", "list", "-d", "Name=Host,Value=h1")["Metrics"]
    assert one == [{"Namespace": NS, "MetricName": "A", "Dimensions": [{"Name": "Host", "Value": "h1"},
                                                                        {"Name": "Zone", "Value": "z1"}]}]  # fmt: skip
    assert len(pinned.json("metrics", "list", "-d", "Name=Host")["Metrics"]) == 2
    # -n NS: the account's own AWS/Usage metrics (CallCount of these very calls) are listed too, as on AWS.
    assert len(pinned.json("metrics", "list", "-n", NS, "--recently-active", "PT3H")["Metrics"]) == 3
    pinned.ok("account", "clock", "advance", "4h")
    assert pinned.json("metrics", "list", "-n", NS, "--recently-active", "PT3H")["Metrics"] == []
    assert len(pinned.json("metrics", "list", "-n", NS)["Metrics"]) == 3
    pinned.ok("account", "clock", "advance", "14d")
    assert pinned.json("metrics", "list", "-n", NS)["Metrics"] == []  # no data for two weeks: hidden
    table = pinned.ok("metrics", "list", "-n", NS, "-o", "table")
    assert table.stdout == ""


def test_exact_dimension_set_identity(pinned) -> None:
    put(pinned, "--metric-name", "D", "--value", "7", "-d", "Server=Prod,Domain=Frankfurt")
    both = pinned.json("metrics", "get", "-n", NS, "--metric-name", "D", "-d", "Server=Prod", "-d", "Domain=Frankfurt",
                       "-s", "Sum")  # fmt: skip
    assert [d["Sum"] for d in both["Datapoints"]] == [7.0]
    for dims in (["-d", "Server=Prod"], []):
        part = pinned.json("metrics", "get", "-n", NS, "--metric-name", "D", *dims, "-s", "Sum")
        assert part["Datapoints"] == []


def test_get_bad_statistics_and_periods(pinned) -> None:
    base = ["metrics", "get", "-n", NS, "--metric-name", "X"]
    res = pinned(*base, "-s", "Average", "-x", "p99")
    assert res.exit_code == 2 and "mutually exclusive" in res.stderr
    res = pinned(*base, "-s", "Median")
    assert res.exit_code == 2 and "The value Median for parameter Statistics.member.1 is invalid." in res.stderr
    res = pinned(*base, "-x", "p101")
    assert res.exit_code == 2 and "The value p101 for parameter ExtendedStatistics.member.1 is invalid." in res.stderr
    res = pinned(*base, "-x", "TM(90%:10%)")
    assert res.exit_code == 2
    res = pinned(*base, "--period", "45")
    assert res.exit_code == 2 and "Period" in res.stderr
    res = pinned(*base, "--start", "30d", "--period", "60")
    assert res.exit_code == 2 and "exceeds the limit of 1,440" in res.stderr
    res = pinned(*base, "--start", "now", "--end", "1h")
    assert res.exit_code == 2 and "StartTime must be less than" in res.stderr


def test_percentiles_and_extended_statistics(pinned) -> None:
    pinned.ok("metrics", "put", "-n", NS, "--metric-name", "P", "--values", ",".join(str(v) for v in range(1, 101)),
              "--timestamp", "2026-11-20T11:30:00Z")  # fmt: skip
    stats = "p50,p90,p99.9,tm90,IQM,TM(10%:90%),PR(:10),TC(:50),wm98"
    out = pinned.json("metrics", "get", "-n", NS, "--metric-name", "P", "--start", "1h", "--period", "3600", "-x", stats)
    ext = out["Datapoints"][0]["ExtendedStatistics"]
    # corpus ST-DER-1
    assert ext == {"p50": 50.0, "p90": 90.0, "p99.9": 100.0, "tm90": 45.5, "IQM": 50.5, "TM(10%:90%)": 50.5,
                   "PR(:10)": 10.0, "TC(:50)": 50.0, "wm98": pytest.approx(50.47)}  # fmt: skip
    table = pinned.ok("metrics", "get", "-n", NS, "--metric-name", "P", "--start", "1h", "--period", "3600",
                      "-x", "p99", "-o", "csv")  # fmt: skip
    assert table.stdout.splitlines() == ["Timestamp,p99,Unit", "2026-11-20T11:00:00Z,99.0,None"]


def test_negative_values_have_no_percentiles(pinned) -> None:
    put(pinned, "--metric-name", "N", "--values", "-1,5,9")
    out = pinned.json("metrics", "get", "-n", NS, "--metric-name", "N", "-x", "p50")
    assert out["Datapoints"][0]["ExtendedStatistics"] == {}


def test_bucket_alignment_from_rounded_start(pinned) -> None:
    for minute in range(0, 60, 5):
        put(pinned, "--metric-name", "T", "--value", "1", "--timestamp", f"2026-11-20T11:{minute:02d}:00Z")
    out = pinned.json("metrics", "get", "-n", NS, "--metric-name", "T", "--start", "2026-11-20T10:59:42Z",
                      "--end", "2026-11-20T12:00:00Z", "--period", "1200", "-s", "SampleCount")  # fmt: skip
    # StartTime rounds down to the minute (10:59); buckets step by Period from there (corpus TA-1, TA-6)
    assert [(d["Timestamp"], d["SampleCount"]) for d in out["Datapoints"]] == [
        ("2026-11-20T10:59:00Z", 4.0), ("2026-11-20T11:19:00Z", 4.0), ("2026-11-20T11:39:00Z", 4.0)]  # fmt: skip


def test_high_resolution_and_sub_minute_periods(pinned) -> None:
    for sec in (1, 4, 12, 13):
        put(pinned, "--metric-name", "H", "--value", "1", "--storage-resolution", "1",
            "--timestamp", f"2026-11-20T11:59:{sec:02d}.500Z")  # fmt: skip
    put(pinned, "--metric-name", "S", "--value", "1", "--timestamp", "2026-11-20T11:59:30Z")
    hi = pinned.json("metrics", "get", "-n", NS, "--metric-name", "H", "--start", "2026-11-20T11:59:00Z",
                     "--period", "10", "-s", "SampleCount")  # fmt: skip
    assert [(d["Timestamp"][11:19], d["SampleCount"]) for d in hi["Datapoints"]] == [("11:59:00", 2.0), ("11:59:10", 2.0)]
    lo = pinned.json("metrics", "get", "-n", NS, "--metric-name", "S", "--start", "2026-11-20T11:59:00Z",
                     "--period", "10", "-s", "SampleCount")  # fmt: skip
    assert [d["Timestamp"][11:19] for d in lo["Datapoints"]] == ["11:59:00"]  # standard data sits on the minute
    # a sub-minute period for a start more than 3 hours ago: no datapoints, not an error (corpus TA-7)
    old = pinned.json("metrics", "get", "-n", NS, "--metric-name", "H", "--start", "4h", "--end", "3h",
                      "--period", "10", "-s", "Sum")  # fmt: skip
    assert old["Datapoints"] == []


def test_get_data_math_and_errors(pinned) -> None:
    for minute, (a, b) in enumerate([(30, 20), (20, None), (0, 20), (0, None)]):
        ts = f"2026-11-20T11:0{minute}:00Z"
        put(pinned, "--metric-name", "m1", "--value", str(a), "--timestamp", ts)
        if b is not None:
            put(pinned, "--metric-name", "m2", "--value", str(b), "--timestamp", ts)

    def q(i: str, name: str) -> dict:
        return {"Id": i, "MetricStat": {"Metric": {"Namespace": NS, "MetricName": name}, "Period": 60, "Stat": "Sum"},
                "ReturnData": False}  # fmt: skip

    queries = [q("a", "m1"), q("b", "m2"), {"Id": "lt", "Expression": "(a < b)"},
               {"Id": "both", "Expression": "(a > 15 AND b > 15)", "Label": "both high"}]  # fmt: skip
    out = pinned.json("metrics", "get-data", "--start", "2026-11-20T11:00:00Z", "--end", "2026-11-20T11:04:00Z",
                      "--metric-data-queries", json.dumps(queries))  # fmt: skip
    res = {r["Id"]: r for r in out["MetricDataResults"]}
    assert set(res) == {"lt", "both"}  # ReturnData false hides the inputs
    assert res["lt"]["Values"] == [0.0, 0.0, 1.0, 0.0]  # corpus metric_math.comparison
    assert res["both"]["Values"] == [1.0, 0.0, 0.0, 0.0] and res["both"]["Label"] == "both high"
    assert res["lt"]["Timestamps"][0] == "2026-11-20T11:00:00Z"
    desc = pinned.json("metrics", "get-data", "--start", "2026-11-20T11:00:00Z", "--end", "2026-11-20T11:04:00Z",
                       "--scan-by", "TimestampDescending", "--metric-data-queries", json.dumps(queries))  # fmt: skip
    assert desc["MetricDataResults"][0]["Timestamps"][0] == "2026-11-20T11:03:00Z"
    csv_out = pinned.ok("metrics", "get-data", "--start", "2026-11-20T11:00:00Z", "--end", "2026-11-20T11:04:00Z",
                        "--metric-data-queries", json.dumps(queries), "-o", "csv").stdout.splitlines()  # fmt: skip
    assert csv_out[0] == "Id,Label,Timestamp,Value" and len(csv_out) == 9
    bad = [q("a", "m1"), {"Id": "e", "Expression": "INSIGHT_RULE_METRIC('rule', 'Sum')"}]
    res2 = pinned("metrics", "get-data", "--metric-data-queries", json.dumps(bad))
    assert res2.exit_code == 2 and "INSIGHT_RULE_METRIC" in res2.stderr
    res3 = pinned("metrics", "get-data", "--metric-data-queries", json.dumps([{**q("Bad-Id", "m1")}]))
    assert res3.exit_code == 2 and "Bad-Id" in res3.stderr
    res4 = pinned("metrics", "get-data", "--metric-data-queries", "[not json")
    assert res4.exit_code == 2 and "invalid JSON in --metric-data-queries" in res4.stderr


def test_get_data_percentile_stat(pinned) -> None:
    put(pinned, "--metric-name", "V", "--values", "1,2,3,4,90,95,98,99", "--timestamp", "2026-11-20T11:00:00Z")
    query = [{"Id": "p", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "V"}, "Period": 60, "Stat": "p50"}}]
    out = pinned.json("metrics", "get-data", "--start", "1h", "--metric-data-queries", json.dumps(query))
    assert out["MetricDataResults"][0]["Values"] == [4.0]  # nearest rank, not 47 (interpolation)


def test_dimension_parse_errors_exit_2(pinned) -> None:
    res = pinned("metrics", "put", "-n", NS, "--metric-name", "X", "--value", "1", "-d", "novalue")
    assert res.exit_code == 2 and "invalid --dimensions" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "InstanceId=i-1" in res.stderr  # one line, forms included
    res = pinned("metrics", "put", "-n", NS, "--metric-name", "X", "--statistic-values", "Sum")
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1 and "Sum=11" in res.stderr
    res = pinned("metrics", "put", "-n", NS, "--metric-name", "X", "--statistic-values", "Sum=1,Median=2")
    assert res.exit_code == 2 and "Median" in res.stderr


def test_graph_chart_table_and_json(pinned) -> None:
    for minute in range(30):
        put(pinned, "--metric-name", "G", "--value", str(100 + (400 if minute == 20 else minute)),
            "--timestamp", f"2026-11-20T11:{minute + 10:02d}:00Z")  # fmt: skip
        put(pinned, "--metric-name", "R", "--value", str(minute), "--timestamp", f"2026-11-20T11:{minute + 10:02d}:00Z")
    chart = pinned.ok("metrics", "graph", "-n", NS, "--metric-name", "G", "--metric-name", "R", "--start", "1h",
                      "--style", "line", "-o", "table", "--width", "80").stdout  # fmt: skip
    lines = chart.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("App G, R (Average, period 60s)")
    assert "* G Average (min 100, max 500)" in chart and "o R Average (min 0, max 29)" in chart
    assert "11:00" in chart and "\x1b[" not in chart  # piped: ASCII, no colour
    spark = pinned.ok("metrics", "graph", "-n", NS, "--metric-name", "G", "--start", "1h", "--style", "spark",
                      "-o", "table").stdout  # fmt: skip
    assert spark.startswith("G Average") and "100..500" in spark
    table = pinned.ok("metrics", "graph", "-n", NS, "--metric-name", "G", "--start", "1h", "-o", "table").stdout
    assert table.splitlines()[0] == "Timestamp\tG Average" and len(table.splitlines()) == 31
    data = pinned.json("metrics", "graph", "-n", NS, "--metric-name", "G", "--metric-name", "R", "-e", "m1+m2",
                       "--start", "1h")  # fmt: skip
    assert [r["Id"] for r in data["MetricDataResults"]] == ["e1"]
    assert data["MetricDataResults"][0]["Values"][0] == 100.0
    bad = pinned("metrics", "graph", "-n", NS, "--metric-name", "G", "--style", "pie")
    assert bad.exit_code == 2


WINDOW = ["--start", "2026-11-20T00:00:00Z", "--end", "in 1h"]  # other demo steps (trail first) move the clock


def test_demo_step_idempotent(pinned) -> None:
    from awsmon.context import AppContext
    from awsmon.services.metrics import demo_step

    first = pinned.ok("demo", "-o", "json")
    assert first.exit_code == 0
    out = pinned.json("metrics", "get", "-n", "AwsmonDemo", "--metric-name", "Latency", "-d", "Service=checkout",
                      *WINDOW, "--period", "3600", "-s", "SampleCount,Maximum")  # fmt: skip
    assert sum(d["SampleCount"] for d in out["Datapoints"]) == 6 * 60 * 20
    ctx = AppContext.create(backend="local", output="json")
    try:
        tips = demo_step(ctx)
    finally:
        ctx.close()
    assert any(t.startswith("awsmon metrics graph") for t in tips)
    again = pinned.json("metrics", "get", "-n", "AwsmonDemo", "--metric-name", "Latency", "-d", "Service=checkout",
                        *WINDOW, "--period", "3600", "-s", "SampleCount")  # fmt: skip
    assert sum(d["SampleCount"] for d in again["Datapoints"]) == 6 * 60 * 20
    spike = max(out["Datapoints"], key=lambda d: d["Maximum"])
    last = max(d["Timestamp"] for d in out["Datapoints"])
    hours = (datetime.fromisoformat(last) - datetime.fromisoformat(spike["Timestamp"])).total_seconds() / 3600
    assert 1 <= hours <= 3  # the spike is about two hours before the end of the data


def test_records_cloudtrail_events(pinned, ctx) -> None:
    put(pinned, "--metric-name", "X", "--value", "1")
    pinned("metrics", "put", "-n", NS, "--metric-name", "X", "--value", "nan")
    pinned.ok("metrics", "list")
    rows = ctx.store().conn.execute(
        "SELECT event_name, read_only, record FROM events WHERE event_source = 'monitoring.amazonaws.com' ORDER BY event_time"
    ).fetchall()
    assert sorted((r[0], r[1]) for r in rows) == [("ListMetrics", "true"), ("PutMetricData", "false"),
                                                   ("PutMetricData", "false")]  # fmt: skip
    assert [json.loads(r[2]).get("errorCode") for r in rows if r[0] == "PutMetricData"].count("InvalidParameterValue") == 1


def test_table_and_csv_show_dotted_percentiles_and_every_requested_column(pinned) -> None:
    # Regression: `p99.5` vanished from tables (column paths split on dots), and a statistic without a value in any
    # period had no column at all.
    put(pinned, "--metric-name", "R", "--values", "1,2,3,4,90,95,98,99", "--timestamp", "2026-11-20T11:50:00Z")
    out = pinned.ok("metrics", "get", "-n", NS, "--metric-name", "R", "--start", "1h", "-x", "p99.5",
                    "-x", "p50", "-o", "csv").stdout  # fmt: skip
    assert out.splitlines() == ["Timestamp,p99.5,p50,Unit", "2026-11-20T11:50:00Z,99.0,4.0,None"]
    put(pinned, "--metric-name", "N", "--value", "-1", "--timestamp", "2026-11-20T11:50:00Z")
    out = pinned.ok("metrics", "get", "-n", NS, "--metric-name", "N", "--start", "1h", "-x", "p90", "-o", "csv").stdout
    assert out.splitlines() == ["Timestamp,p90,Unit", "2026-11-20T11:50:00Z,,None"]
    out = pinned.ok("metrics", "get", "-n", NS, "--metric-name", "N", "--start", "1h", "-s", "Maximum", "-s", "Sum",
                    "-o", "tsv").stdout  # fmt: skip
    assert out.splitlines()[0] == "Timestamp\tMaximum\tSum\tUnit"


def test_graph_piped_without_output_option_prints_text_or_the_forced_chart(pinned) -> None:
    # Regression: the implicit "json when piped" output default replaced both the plain-text fallback of --style auto
    # and a chart forced with --style; only an explicit -o json (or --query) prints the API shape.
    for minute in range(5):
        put(pinned, "--metric-name", "G", "--value", str(minute), "--timestamp", f"2026-11-20T11:{minute + 10:02d}:00Z")
    args = ["metrics", "graph", "-n", NS, "--metric-name", "G", "--start", "1h"]
    plain = pinned.ok(*args).stdout.splitlines()
    assert plain[0] == "Timestamp\tG Average" and plain[1] == "2026-11-20T11:10:00Z\t0.0"
    chart = pinned.ok(*args, "--style", "line", "--width", "80").stdout
    assert chart.startswith("App G (Average, period 60s)") and "* G Average (min 0, max 4)" in chart
    assert pinned.ok(*args, "--style", "spark").stdout.startswith("G Average")
    narrow = pinned.ok(*args, "--style", "line", "--width", "10").stdout  # clamped to 40: the title stays whole
    assert narrow.startswith("App G (Average, period 60s)") and max(len(x) for x in narrow.splitlines()) <= 40
    csv = pinned.ok(*args, "-o", "csv").stdout.splitlines()
    assert csv[:2] == ["Id,Label,Timestamp,Value", "m1,G Average,2026-11-20T11:10:00Z,0.0"]
    assert pinned.ok(*args, "--query", "MetricDataResults[0].Values[4]").stdout.strip() == "4.0"


def test_get_data_default_labels_tell_series_apart(pinned) -> None:
    put(pinned, "--metric-name", "L", "--values", "1,2,3", "--timestamp", "2026-11-20T11:50:00Z")

    def q(i: str, stat: str, period: int = 60) -> dict:
        return {"Id": i, "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "L"}, "Period": period, "Stat": stat}}

    out = pinned.json("metrics", "get-data", "--start", "1h", "--queries", json.dumps([q("a", "Sum"), q("b", "p99")]))
    assert [r["Label"] for r in out["MetricDataResults"]] == ["L Sum", "L p99"]
    out = pinned.json("metrics", "get-data", "--start", "1h", "--queries", json.dumps([q("a", "Sum"), q("b", "Sum", 300)]))
    assert [r["Label"] for r in out["MetricDataResults"]] == ["L 60", "L 300"]
    out = pinned.json("metrics", "get-data", "--start", "1h", "--queries", json.dumps([q("a", "Sum")]))
    assert out["MetricDataResults"][0]["Label"] == "L"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["metrics", "put", "-n", NS, "--metric-data", '[{"MetricName":"a","Values":"1,2"}]'],
         "The value 1,2 for parameter MetricData.member.1.Values is invalid."),
        (["metrics", "put", "-n", NS, "--metric-data", '[{"MetricName":"a","Values":[1,2],"Counts":"1,1"}]'],
         "The value 1,1 for parameter MetricData.member.1.Counts is invalid."),
        (["metrics", "get-data", "--queries", '[{"Id":"m1","MetricStat":"x"}]'], "must be a MetricStat structure"),
        (["metrics", "get-data", "--queries", '[{"Id":"m1","MetricStat":{"Metric":"x","Period":60,"Stat":"Sum"}}]'],
         "must be a MetricStat structure"),
        (["metrics", "get-data", "--queries", '[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"X","MetricName":"M",'
          '"Dimensions":"x"},"Period":60,"Stat":"Sum"}}]'], "MetricStat.Metric.Dimensions is invalid"),
        (["metrics", "get-data", "--queries", '[{"Id":"e1","Expression":5}]'], "member.1.Expression is invalid"),
    ],
)  # fmt: skip
def test_malformed_json_shapes_are_exit_2_not_crashes(pinned, args: list[str], text: str) -> None:
    # Regression: wrong JSON types crashed with "unexpected AttributeError" (exit 1) or iterated a string.
    res = pinned(*args)
    assert res.exit_code == 2 and text in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert pinned.json("metrics", "list")["Metrics"] == []


def test_line_chart_joins_sparse_points_but_not_missing_data() -> None:
    from awsmon.charts import ChartSeries, line_chart

    # five points a minute apart on 40+ columns: joined by dots; then a 10-minute hole (missing data) stays open
    s = ChartSeries("s", [0, 60, 120, 180, 240, 840, 900], [0, 4, 8, 4, 0, 8, 8])
    chart = line_chart([s], width=60, height=5, ascii=True)
    rows = chart.splitlines()[:5]
    plot = [r.split("|", 1)[1] if "|" in r else r.split("+", 1)[1] for r in rows]
    first, last = plot[4].index("*"), max(p.rfind("*") for p in plot)
    assert "." in "".join(plot)  # interpolated path between neighbouring points
    hole = [c for c in range(first, last) if all(p[c] == " " for p in plot)]
    assert len(hole) > 10  # the 10-minute gap is not bridged
