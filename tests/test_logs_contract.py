"""Contract tests: the same awsmon logs commands against the local backend and a real moto server.

moto is only an API-shape oracle (spec logs.md §5): it ignores most filter patterns, accepts invalid names and
retention values, and has no TestMetricFilter, so those are tested on the local backend only (test_logs*.py).
With an --endpoint-url, awsmon re-checks the server's events with its own engine and answers test-pattern itself
where the endpoint lacks TestMetricFilter (tested below).
"""

from __future__ import annotations

from tests.conftest import Cli

G = "/contract/app"


def test_groups_streams_events_round_trip(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("logs", "create-group", "--log-group-name", G)
    cli.ok("logs", "create-stream", "--log-group-name", G, "--log-stream-name", "s1")
    cli.ok("logs", "create-stream", "--group", G, "--stream", "s2")
    groups = cli.json("logs", "describe-groups", "--log-group-name-prefix", "/contract")["logGroups"]
    assert [g["logGroupName"] for g in groups] == [G]
    assert groups[0]["arn"].endswith(f":log-group:{G}:*")
    streams = cli.json("logs", "describe-streams", "--group", G)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["s1", "s2"]
    put = cli.json("logs", "put-events", "--group", G, "--stream", "s1", "--message", "ERROR one", "--message", "INFO two")
    assert "nextSequenceToken" in put
    cli.ok("logs", "put-events", "--group", G, "--stream", "s2", "--message", "ERROR three")
    got = cli.json("logs", "get-events", "--group", G, "--stream", "s1", "--start-from-head")
    assert [e["message"] for e in got["events"]] == ["ERROR one", "INFO two"]
    assert set(got) >= {"events", "nextForwardToken", "nextBackwardToken"}
    everything = cli.json("logs", "filter", "--group", G)["events"]
    assert sorted(e["message"] for e in everything) == ["ERROR one", "ERROR three", "INFO two"]
    assert set(everything[0]) >= {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    errors = cli.json("logs", "filter", "--group", G, "--filter-pattern", "ERROR")["events"]
    assert sorted(e["message"] for e in errors) == ["ERROR one", "ERROR three"]
    only_s2 = cli.json("logs", "filter", "--group", G, "--log-stream-names", "s2")["events"]
    assert [e["message"] for e in only_s2] == ["ERROR three"]
    cli.ok("logs", "delete-stream", "--group", G, "--stream", "s2")
    assert [s["logStreamName"] for s in cli.json("logs", "describe-streams", "--group", G)["logStreams"]] == ["s1"]
    cli.ok("logs", "delete-group", "--group", G)
    assert cli.json("logs", "describe-groups", "--prefix", "/contract")["logGroups"] == []


def test_retention_policy(backend_cli: Cli) -> None:
    backend_cli.ok("logs", "create-group", "--name", G)
    backend_cli.ok("logs", "put-retention", "--group", G, "--retention-in-days", "14")
    assert backend_cli.json("logs", "describe-groups", "--prefix", G)["logGroups"][0]["retentionInDays"] == 14
    backend_cli.ok("logs", "delete-retention", "--group", G)
    assert "retentionInDays" not in backend_cli.json("logs", "describe-groups", "--prefix", G)["logGroups"][0]


def test_metric_filter_round_trip(backend_cli: Cli) -> None:
    cli = backend_cli
    cli.ok("logs", "create-group", "--name", G)
    cli.ok("logs", "put-metric-filter", "--log-group-name", G, "--filter-name", "errors", "--filter-pattern", "ERROR",
           "--metric-transformations", "metricName=Errors,metricNamespace=Contract,metricValue=1")  # fmt: skip
    mfs = cli.json("logs", "describe-metric-filters", "--log-group-name", G)["metricFilters"]
    assert len(mfs) == 1
    mf = mfs[0]
    assert mf["filterName"] == "errors" and mf["filterPattern"] == "ERROR" and mf["logGroupName"] == G
    t = mf["metricTransformations"][0]
    assert (t["metricName"], t["metricNamespace"], t["metricValue"]) == ("Errors", "Contract", "1")
    cli.ok("logs", "delete-metric-filter", "--group", G, "--filter-name", "errors")
    assert cli.json("logs", "describe-metric-filters", "--group", G)["metricFilters"] == []


def test_errors_have_the_same_codes(backend_cli: Cli) -> None:
    cli = backend_cli
    missing = cli("logs", "put-events", "--group", "/nope", "--stream", "s", "--message", "x")
    assert missing.exit_code == 1 and "ResourceNotFoundException" in missing.stderr
    cli.ok("logs", "create-group", "--name", G)
    dup = cli("logs", "create-group", "--name", G)
    assert dup.exit_code == 2 and "ResourceAlreadyExistsException: The specified log group already exists" in dup.stderr
    no_stream = cli("logs", "get-events", "--group", G, "--stream", "nope")
    assert no_stream.exit_code == 1 and "ResourceNotFoundException" in no_stream.stderr
    # The pattern is checked locally before any call, on both backends: AWS's text plus the position.
    bad = cli("logs", "filter", "--group", G, "--pattern", "{ $.a = ")
    assert bad.exit_code == 2 and "Invalid filter pattern (at position" in bad.stderr


def test_multi_group_filter_merges_in_time_order(backend_cli: Cli) -> None:
    cli = backend_cli
    for g, msgs in (("/contract/a", ["a-1", "a-2"]), ("/contract/b", ["b-1"])):
        cli.ok("logs", "create-group", "--name", g)
        cli.ok("logs", "create-stream", "--group", g, "--stream", "s")
        for m in msgs:
            cli.ok("logs", "put-events", "--group", g, "--stream", "s", "--message", m, "--timestamp",
                   {"a-1": "3m", "b-1": "2m", "a-2": "1m"}[m])  # fmt: skip
    events = cli.json("logs", "filter", "--group-prefix", "/contract/", "--start", "10m")["events"]
    assert [(e["logGroupName"], e["message"]) for e in events] == [
        ("/contract/a", "a-1"), ("/contract/b", "b-1"), ("/contract/a", "a-2")]  # fmt: skip
    tail = cli.ok("logs", "tail", "/contract/a", "/contract/b", "--since", "10m", "--format", "short").stdout
    assert [line.split(" ", 1)[1] for line in tail.splitlines()] == ["a-1", "b-1", "a-2"]


def test_refused_values_are_refused_on_every_endpoint(backend_cli: Cli) -> None:
    """moto accepts any retention and any batch: awsmon checks AWS's rules first, so both backends answer alike and
    nothing is half-written (regressions: --retention 8 was accepted by moto; create-group --retention 4 left the
    group behind; put-events --create made the stream before PutLogEvents refused the batch)."""
    cli = backend_cli
    bad = cli("logs", "create-group", "--name", G, "--retention", "4")
    assert bad.exit_code == 2 and "Member must satisfy enum value set" in bad.stderr
    assert cli.json("logs", "describe-groups", "--prefix", G)["logGroups"] == []
    cli.ok("logs", "create-group", "--name", G)
    bad = cli("logs", "put-retention", "--group", G, "--days", "8")
    assert bad.exit_code == 2 and "retentionInDays" in bad.stderr
    bad = cli("logs", "put-events", "--group", G, "--stream", "s", "--create", "--message", "x" * 1_048_600)
    assert bad.exit_code == 2 and "Log event too large" in bad.stderr
    bad = cli("logs", "put-events", "--group", G, "--stream", "a:b", "--create", "--message", "x")
    assert bad.exit_code == 2 and "logStreamName" in bad.stderr
    assert cli.json("logs", "describe-streams", "--group", G)["logStreams"] == []


def _two_streams(cli: Cli) -> None:
    cli.ok("logs", "create-group", "--name", G)
    for stream, msgs in (("s1", ['{"status": 500, "x": 1}', '{"status": 200}']), ("s2", ["plain 1 2", "one"])):
        cli.ok("logs", "create-stream", "--group", G, "--stream", stream)
        for i, m in enumerate(msgs):
            cli.ok("logs", "put-events", "--group", G, "--stream", stream, "--message", m, "--timestamp",
                   f"{4 - i - (2 if stream == 's1' else 0)}m")  # fmt: skip


def test_patterns_select_the_same_events_on_every_endpoint(backend_cli: Cli) -> None:
    """moto ignores JSON and space-delimited patterns (it returns every event); awsmon re-checks its answer."""
    _two_streams(backend_cli)
    for pattern, expected in (("{ $.status = 500 }", ['{"status": 500, "x": 1}']), ("[a, b = 1, c]", ["plain 1 2"]),
                              ("%^o%", ["one"])):  # fmt: skip
        got = backend_cli.json("logs", "filter", "--group", G, "--pattern", pattern)["events"]
        assert [e["message"] for e in got] == expected, pattern


def test_no_recheck_shows_what_moto_returns(cli: Cli, moto_env: dict[str, str]) -> None:
    _two_streams(cli)
    got = cli.json("logs", "filter", "--group", G, "--pattern", "{ $.status = 500 }", "--no-recheck")["events"]
    assert len(got) == 4  # moto's own answer: every event (the reason re-checking is on by default)


def test_newest_first_with_limit_returns_the_newest(backend_cli: Cli) -> None:
    _two_streams(backend_cli)
    got = backend_cli.json("logs", "filter", "--group", G, "--newest-first", "--limit", "3", "--start", "1h")
    assert [e["message"] for e in got["events"]] == ['{"status": 200}', '{"status": 500, "x": 1}', "one"]
    got = backend_cli.json("logs", "filter", "--group", G, "--newest-first", "--limit", "2")
    assert [e["message"] for e in got["events"]] == ['{"status": 200}', '{"status": 500, "x": 1}']


def test_filter_json_returns_the_searched_streams(backend_cli: Cli) -> None:
    _two_streams(backend_cli)
    got = backend_cli.json("logs", "filter", "--group", G)
    assert set(got) == {"events", "searchedLogStreams"}
    searched = got["searchedLogStreams"]
    # moto still fills the field; AWS has returned an empty list since 2020 and so does the local backend
    assert searched == [] or sorted(s["logStreamName"] for s in searched) == ["s1", "s2"]
    if "AWSMON_BACKEND" in backend_cli.env:
        assert sorted(s["logStreamName"] for s in searched) == ["s1", "s2"]


def test_test_pattern_falls_back_to_the_local_engine(backend_cli: Cli) -> None:
    res = backend_cli("logs", "test-pattern", "--pattern", "[ip, user, status=5*]", "-m", "1.2.3.4 bob 503",
                      "-m", "1.2.3.4 bob 200", "-o", "json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    matches = res.json()["matches"]
    assert [m["eventNumber"] for m in matches] == [1]
    assert matches[0]["extractedValues"] == {"$ip": "1.2.3.4", "$user": "bob", "$status": "503"}
    assert ("does not implement TestMetricFilter" in res.stderr) is ("AWSMON_BACKEND" in backend_cli.env)


def test_put_events_shorthand_log_events(backend_cli: Cli) -> None:
    """aws-cli's several shorthand --log-events values make one PutLogEvents batch on either backend (moto keeps
    them as the local backend does)."""
    cli = backend_cli
    cli.ok("logs", "create-group", "--group", G)
    cli.ok("logs", "create-stream", "--group", G, "--stream", "sh")
    import time

    # The local clock is pinned at 2026-11-20T12:00:00Z; moto compares with the real time (14 days back at most).
    base = int(time.time() * 1000) - 60_000 if "AWSMON_BACKEND" in cli.env else 1795176000000
    cli.ok("logs", "put-events", "--group", G, "--stream", "sh", "--log-events", f"timestamp={base},message=one",
           f'timestamp={base + 1},message="two, three"')  # fmt: skip
    got = cli.json("logs", "get-events", "--group", G, "--stream", "sh", "--start-from-head")["events"]
    assert [(e["timestamp"], e["message"]) for e in got] == [(base, "one"), (base + 1, "two, three")]
