"""trail query: Athena's CloudTrail table over the local history, --path folders, Athena (moto) and the DDL;
trail import at scale: bad files isolated, kill -9 resumability."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, shared_path

ATHENA_COLUMNS = [
    "eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress",
    "useragent", "errorcode", "errormessage", "requestparameters", "responseelements", "additionaleventdata",
    "requestid", "eventid", "readonly", "resources", "eventtype", "apiversion", "recipientaccountid",
    "serviceeventdetails", "sharedeventid", "vpcendpointid", "vpcendpointaccountid", "eventcategory", "addendum",
    "sessioncredentialfromconsole", "edgedevicedetails", "tlsdetails",
]  # fmt: skip


def _rec(i: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventVersion": "1.10", "eventTime": f"2026-11-20T10:{i % 60:02d}:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "eu-west-1", "eventID": f"00000000-0000-4000-8000-{i:012d}",
        "readOnly": True, "sourceIPAddress": "203.0.113.9", "eventCategory": "Data", "managementEvent": False,
        "userIdentity": {"type": "AssumedRole", "principalId": "AROA:s", "arn": "arn:aws:sts::1:assumed-role/app/s",
                         "accountId": "111122223333", "accessKeyId": "ASIAX",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::1:role/app",
                                                              "userName": "app"},
                                            "attributes": {"mfaAuthenticated": "false"}}},
        "requestParameters": {"bucketName": f"bucket-{i % 3}", "key": f"k/{i}"}, "responseElements": None,
        "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::bucket-{i % 3}/k/{i}"}],
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": "s3.amazonaws.com"},
    }  # fmt: skip
    base.update(kw)
    return base


@pytest.fixture
def history(pinned: Cli, tmp_path: Path) -> Cli:
    recs = [_rec(i) for i in range(30)]
    recs += [_rec(100 + i, eventName="DeleteBucket", eventSource="s3.amazonaws.com", eventCategory="Management",
                  readOnly=False, managementEvent=True, errorCode="AccessDenied" if i % 2 else None)
             for i in range(6)]  # fmt: skip
    (tmp_path / "h.json.gz").write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    pinned.ok("trail", "import", str(tmp_path / "h.json.gz"))
    return pinned


def _rows(cli: Cli, sql: str, *extra: str) -> list[dict[str, Any]]:
    res = cli.ok("trail", "query", sql, "-o", "jsonl", *extra)
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_table_has_exactly_athenas_columns(history: Cli) -> None:
    rows = _rows(history, "SELECT * FROM cloudtrail_logs WHERE eventcategory = 'Data' ORDER BY eventid LIMIT 1")
    assert list(rows[0]) == ATHENA_COLUMNS
    r = rows[0]
    assert r["readonly"] == "true" and r["eventtime"] == "2026-11-20T10:00:00Z"  # strings, as in Athena
    assert json.loads(r["requestparameters"]) == {"bucketName": "bucket-0", "key": "k/0"}  # JSON text
    assert r["useridentity"]["sessioncontext"]["sessionissuer"]["username"] == "app"  # nested, lower-case
    assert r["resources"] == [{"arn": "arn:aws:s3:::bucket-0/k/0", "accountid": None, "type": "AWS::S3::Object"}]
    assert r["tlsdetails"]["tlsversion"] == "TLSv1.3"


@pytest.mark.parametrize(("sql", "expected"), [
    # Athena user guide, "Example queries for CloudTrail logs" (shapes kept, table name cloudtrail_logs).
    ("SELECT useridentity.arn, eventname, sourceipaddress, eventtime FROM cloudtrail_logs "
     "WHERE eventname = 'DeleteBucket' AND errorcode = 'AccessDenied' ORDER BY eventtime",
     [{"arn": "arn:aws:sts::1:assumed-role/app/s", "eventname": "DeleteBucket", "sourceipaddress": "203.0.113.9",
       "eventtime": t} for t in ("2026-11-20T10:41:00Z", "2026-11-20T10:43:00Z", "2026-11-20T10:45:00Z")]),
    ("SELECT eventsource, eventname, count(*) AS total FROM cloudtrail_logs GROUP BY eventsource, eventname "
     "ORDER BY total DESC",
     [{"eventsource": "s3.amazonaws.com", "eventname": "GetObject", "total": 30},
      {"eventsource": "s3.amazonaws.com", "eventname": "DeleteBucket", "total": 6}]),
    ("SELECT json_extract_scalar(requestparameters, '$.bucketName') AS bucket, count(*) AS n FROM cloudtrail_logs "
     "WHERE eventname = 'GetObject' GROUP BY 1 ORDER BY 1",
     [{"bucket": "bucket-0", "n": 10}, {"bucket": "bucket-1", "n": 10}, {"bucket": "bucket-2", "n": 10}]),
    ("SELECT date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour, approx_distinct(eventid) AS ids "
     "FROM cloudtrail_logs GROUP BY 1",
     [{"hour": "2026-11-20T10:00:00Z", "ids": 36}]),
    ("SELECT count(*) AS n FROM cloudtrail_logs WHERE from_iso8601_timestamp(eventtime) "
     "BETWEEN from_iso8601_timestamp('2026-11-20T10:05:00Z') AND from_iso8601_timestamp('2026-11-20T10:09:59Z')",
     [{"n": 5}]),
    ("SELECT eventid FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(res) "
     "WHERE res.arn = 'arn:aws:s3:::bucket-1/k/4'",
     [{"eventid": "00000000-0000-4000-8000-000000000004"}]),
    ("SELECT count(*) AS n FROM cloudtrail_logs WHERE any_match(resources, r -> r.type = 'AWS::S3::Object') "
     "AND cardinality(resources) = 1 AND regexp_like(useridentity.arn, 'assumed-role/app/')",
     [{"n": 36}]),
    ("SELECT useridentity.sessioncontext.sessionissuer.username AS role, count(DISTINCT eventname) AS apis "
     "FROM cloudtrail_logs WHERE eventtime >= '2026-11-20T10:00:00Z' GROUP BY 1",
     [{"role": "app", "apis": 2}]),
])  # fmt: skip
def test_athena_example_queries_run_unchanged(history: Cli, sql: str, expected: list[dict[str, Any]]) -> None:
    assert _rows(history, sql) == expected


def test_unaliased_expressions_are_named_like_athena_and_csv(history: Cli) -> None:
    assert _rows(history, "SELECT count(*), max(eventtime) FROM cloudtrail_logs") == [
        {"_col0": 36, "_col1": "2026-11-20T10:45:00Z"}]  # fmt: skip
    csv = history.ok("trail", "query", "SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY 1 ORDER BY 1",
                     "-o", "csv").stdout  # fmt: skip
    assert csv.splitlines() == ["eventname,n", "DeleteBucket,6", "GetObject,30"]


def test_trino_arithmetic_and_non_finite_values(history: Cli) -> None:
    """Trino divides integers as integers (truncating toward zero); DuckDB's `/` would give 3.5. A non-finite double
    prints as Athena's string for it: a bare Infinity/NaN token is not JSON."""
    assert _rows(history, "SELECT 7/2 AS a, -7/2 AS b, 7.0/2 AS c, count(*)/5 AS d FROM cloudtrail_logs") == [
        {"a": 3, "b": -3, "c": 3.5, "d": 7}]  # fmt: skip
    out = history.ok("trail", "query", "SELECT CAST('Infinity' AS DOUBLE) AS i, -CAST('Infinity' AS DOUBLE) AS m, "
                     "CAST('NaN' AS DOUBLE) AS n, 1.5 AS f", "-o", "jsonl").stdout  # fmt: skip
    assert json.loads(out) == {"i": "Infinity", "m": "-Infinity", "n": "NaN", "f": 1.5}
    assert "Infinity" not in history.ok("trail", "query", "SELECT 1.5 AS f", "-o", "json").stdout


def test_double_division_by_zero_is_infinity_as_in_trino(history: Cli) -> None:
    """Trino: a DOUBLE or REAL divided by zero is +-Infinity (the zero's sign counts) or NaN for 0/0; an integer or
    DECIMAL one fails (tested below). A division by a non-zero DOUBLE is unchanged."""
    out = history.ok("trail", "query", "SELECT 1e0/0 AS a, -1e0/0 AS b, 0e0/0 AS c, 1e0/-0e0 AS d, "
                     "CAST(count(*) AS double)/0 AS e, avg(1)/0 AS f, (1e0/0)/0 AS g, 7.5e0/2 AS h, "
                     "CAST(NULL AS double)/0 AS i, CAST(3 AS real)/0 AS j FROM cloudtrail_logs", "-o", "jsonl").stdout
    assert json.loads(out) == {"a": "Infinity", "b": "-Infinity", "c": "NaN", "d": "-Infinity", "e": "Infinity",
                               "f": "Infinity", "g": "Infinity", "h": 3.75, "i": None, "j": "Infinity"}  # fmt: skip
    for sql in ("SELECT 1.5/0", "SELECT count(*)/0 FROM cloudtrail_logs", "SELECT 7/0"):
        res = history("trail", "query", sql)
        assert res.exit_code == 2 and "Division by zero" in res.stderr, sql


def test_sql_errors_are_one_line_exit_2(history: Cli) -> None:
    # an unknown column is Athena's COLUMN_NOT_FOUND, without DuckDB's candidates and caret line
    res = history("trail", "query", "SELECT nope FROM cloudtrail_logs")
    assert res.stderr == "awsmon: error: query failed: COLUMN_NOT_FOUND: Column 'nope' cannot be resolved\n"
    for sql, words in (("SELECT nope FROM cloudtrail_logs", "query failed"), ("SELEC 1 FROM", "invalid query"),
                       ("DELETE FROM cloudtrail_logs", "only SELECT"), ("SELECT 1; SELECT 2", "exactly one"),
                       ("", "empty query"), ("SELECT 1/0", "query failed: Division by zero"),
                       ("SELECT count(*) % 0 FROM cloudtrail_logs", "query failed: Division by zero"),
                       ("SELECT * FROM nope", "TABLE_NOT_FOUND: Table 'nope' does not exist")):  # fmt: skip
        res = history("trail", "query", sql)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and words in res.stderr, (sql, res.stderr)
        assert "Traceback" not in res.stderr


def test_locally_recorded_events_are_in_the_table(pinned: Cli) -> None:
    pinned.ok("trail", "create", "--name", "q-trail", "--s3-new-bucket", "q-bucket")
    rows = _rows(pinned, "SELECT eventname, eventcategory FROM cloudtrail_logs WHERE eventname = 'CreateTrail'")
    assert rows == [{"eventname": "CreateTrail", "eventcategory": "Management"}]


def test_path_queries_a_bucket_folder_in_place(pinned: Cli, tmp_path: Path) -> None:
    base = tmp_path / "bucket" / "prefix" / "AWSLogs" / "o-abcdefghij" / "111122223333" / "CloudTrail" / "eu-west-1"
    day = base / "2026" / "11" / "20"
    day.mkdir(parents=True)
    for f in range(3):
        recs = [_rec(f * 10 + i) for i in range(10)]
        (day / f"111122223333_CloudTrail_eu-west-1_20261120T10{f}0Z_abc{f}.json.gz").write_bytes(
            gzip.compress(json.dumps({"Records": recs}).encode()))  # fmt: skip
    digest = tmp_path / "bucket" / "prefix" / "AWSLogs" / "o-abcdefghij" / "111122223333" / "CloudTrail-Digest"
    digest.mkdir(parents=True)
    (digest / "x_CloudTrail-Digest_eu-west-1_t.json.gz").write_bytes(gzip.compress(b'{"digestS3Object": "x", "logFiles": []}'))
    rows = _rows(pinned, "SELECT count(*) AS n, count(DISTINCT eventid) AS ids FROM cloudtrail_logs",
                 "--path", str(tmp_path / "bucket"))  # fmt: skip
    assert rows == [{"n": 30, "ids": 30}]
    assert _rows(pinned, "SELECT count(*) AS n FROM cloudtrail_logs") == [{"n": 0}]  # nothing was imported
    res = pinned("trail", "query", "SELECT 1", "--path", str(tmp_path / "nothing-here"))
    assert res.exit_code == 2


def test_athena_ddl_has_projection_and_the_current_columns() -> None:
    from awsmon.engines.athena_cloudtrail import athena_ddl

    ddl = athena_ddl(table="ct", bucket="my-bucket", prefix="/logs/", account_id="111122223333",
                     org_id="o-abcdefghij", projection_start="2024/01/01")  # fmt: skip
    assert "LOCATION 's3://my-bucket/logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail'" in ddl
    assert "'projection.timestamp.range'='2024/01/01,NOW'" in ddl
    assert "'storage.location.template'='s3://my-bucket/logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail/${region}/${timestamp}'" in ddl
    for col in ATHENA_COLUMNS:
        assert f"\n  {col} " in ddl
    assert "webidfederationdata: STRUCT<" in ddl and "attributes: MAP<STRING,STRING>" in ddl


def test_athena_ddl_command_validates(cli: Cli) -> None:
    out = cli.ok("trail", "athena-ddl", "--s3-bucket", "b-1.x", "--account-id", "111122223333",
                 "--regions", "us-east-1,eu-west-1").stdout  # fmt: skip
    assert out.startswith("CREATE EXTERNAL TABLE cloudtrail_logs (") and out.endswith(");\n")
    assert "'projection.region.values'='us-east-1,eu-west-1'" in out
    for bad in (("--s3-bucket", "Bad_Bucket"), ("--account-id", "12"), ("--projection-start", "2024-01-01")):
        args = {"--s3-bucket": "b-1.x", "--account-id": "111122223333", **dict([bad])}
        res = cli("trail", "athena-ddl", *[x for kv in args.items() for x in kv])
        assert res.exit_code == 2 and res.stderr.count("\n") == 1


# -- translation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("trino", "duck"), [
    ("SELECT json_extract_scalar(requestparameters, '$.a') FROM t", "requestparameters ->> '$.a'"),
    ("SELECT approx_distinct(x) FROM t", "APPROX_COUNT_DISTINCT(x)"),
    ("SELECT from_iso8601_timestamp(eventtime) FROM t", "CAST(eventtime AS TIMESTAMPTZ)"),
    ("SELECT date_add('day', -7, now())", "INTERVAL"),
    ("SELECT cardinality(resources) FROM t", "ARRAY_LENGTH(resources)"),
    ("SELECT format_datetime(t, 'yyyy-MM-dd''T''HH:mm') FROM x", "STRFTIME(t, '%Y-%m-%dT%H:%M')"),
])  # fmt: skip
def test_translation(trino: str, duck: str) -> None:
    from awsmon.engines.athena_cloudtrail import translate

    assert duck in translate(trino)


def test_translated_functions_run_in_duckdb() -> None:
    from awsmon.duck import duck
    from awsmon.engines.athena_cloudtrail import translate

    con = duck()
    cases = {
        "SELECT to_unixtime(from_iso8601_timestamp('2024-01-01T00:00:10Z'))": 1704067210,
        "SELECT date_diff('second', from_iso8601_timestamp('2024-01-01T00:00:00Z'), "
        "from_iso8601_timestamp('2024-01-01T00:01:00Z'))": 60,
        "SELECT json_array_contains('[1, 2, 3]', 2)": True,
        "SELECT any_match(ARRAY[1, 2, 3], x -> x > 2)": True,
        "SELECT all_match(ARRAY[1, 2, 3], x -> x > 2)": False,
        "SELECT none_match(ARRAY[1, 2, 3], x -> x > 5)": True,
        "SELECT split_part('ec2.amazonaws.com', '.', 1)": "ec2",
        "SELECT element_at(ARRAY['a', 'b'], 2)": "b",
        "SELECT from_iso8601_date('2024-01-02')": __import__("datetime").date(2024, 1, 2),
        "SELECT to_iso8601(from_iso8601_timestamp('2024-01-01T00:00:10Z'))": "2024-01-01T00:00:10.000Z",
        "SELECT format_datetime(from_iso8601_timestamp('2024-01-01T13:05:10Z'), 'yyyy/MM/dd HH:mm')": "2024/01/01 13:05",
    }  # fmt: skip
    for sql, expected in cases.items():
        assert con.execute(translate(sql)).fetchone()[0] == expected, sql


# -- trail import at scale ----------------------------------------------------------------------------------------


def test_deeply_nested_file_and_non_object_records_are_isolated(pinned: Cli, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"Records": [_rec(1)]}))
    (tmp_path / "deep.json").write_text('{"Records": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    (tmp_path / "nums.json").write_text('{"Records": [1, 2, null]}')
    (tmp_path / "z.json").write_text(json.dumps({"Records": [_rec(2)]}))
    res = pinned("trail", "import", str(tmp_path), "-o", "json")
    assert res.exit_code == 2 and "unexpected" not in res.stderr and "Traceback" not in res.stderr
    data = json.loads(res.stdout)
    assert data["Imported"] == 2 and data["Files"] == 2
    failed = {Path(f["Path"]).name: f["Reason"] for f in data["FailedFiles"]}
    assert failed["deep.json"] == "JSON nested too deeply (more than 1024 levels)"
    assert failed["nums.json"] == "record 1: not a JSON object (1)"


def _write_history(folder: Path, files: int, per_file: int) -> int:
    n = 0
    for f in range(files):
        recs = [_rec(f * per_file + i, eventCategory="Management" if i % 2 else "Data") for i in range(per_file)]
        d = folder / "AWSLogs" / "111122223333" / "CloudTrail" / "eu-west-1" / "2026" / "11" / f"{1 + f % 20:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"111122223333_CloudTrail_eu-west-1_20261101T0000Z_{f:04d}.json.gz").write_bytes(
            gzip.compress(json.dumps({"Records": recs}).encode()))  # fmt: skip
        n += len(recs)
    return n


def kill_import_midway(tmp_path: Path, env: dict[str, str], probe: Any = None) -> tuple[int, int, Any]:
    """Start ``trail import`` of 30,000 records (60 files) into ``env``'s AWSMON_HOME and SIGKILL it once two batches
    are committed: (records in the folder, batches committed, what ``probe()`` returned just before the kill)."""
    home = Path(env["AWSMON_HOME"])
    exe = [sys.executable, "-m", "awsmon"]
    subprocess.run([*exe, "account", "clock", "set", "2026-11-20T12:00:00Z"], env=env, check=True, capture_output=True)
    total = _write_history(tmp_path / "src", files=60, per_file=500)
    proc = subprocess.Popen([*exe, "trail", "import", str(tmp_path / "src")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    db = next(iter(home.glob("accounts/*/account.db")))
    deadline = time.monotonic() + 120
    parts = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db, timeout=5) as c:
                parts = c.execute("SELECT count(*) FROM ct_hist_parts").fetchone()[0]
        except sqlite3.OperationalError:
            parts = 0
        if parts >= 2:
            break
        time.sleep(0.01)
    seen = probe() if probe else None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return total, parts, seen


def test_trail_import_killed_resumes_with_nothing_lost_or_doubled(tmp_path: Path) -> None:
    env = {**os.environ, "AWSMON_HOME": str(tmp_path / "home"), "AWSMON_IMPORT_BATCH": "2000"}
    exe = [sys.executable, "-m", "awsmon"]
    total, parts, _ = kill_import_midway(tmp_path, env)
    assert parts >= 2
    res = subprocess.run([*exe, "trail", "import", str(tmp_path / "src"), "-o", "json"], env=env, capture_output=True, text=True)
    out = json.loads(res.stdout)
    assert res.returncode == 0 and out["Records"] == total and out["Imported"] + out["Duplicates"] == total
    assert 0 < out["Duplicates"] < total  # what the killed run stored is not stored again
    again = subprocess.run([*exe, "trail", "import", str(tmp_path / "src"), "-o", "json"], env=env, capture_output=True, text=True)
    assert json.loads(again.stdout)["Imported"] == 0
    q = subprocess.run([*exe, "trail", "query", "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail_logs "
                        "WHERE eventsource = 's3.amazonaws.com'", "-o", "jsonl"], env=env, capture_output=True, text=True)  # fmt: skip
    assert json.loads(q.stdout) == {"n": total, "d": total}
    lookups = subprocess.run([*exe, "--region", "eu-west-1", "trail", "lookup", "--event-name", "GetObject", "-o", "json"],
                             env=env, capture_output=True, text=True)  # fmt: skip
    ids = [e["EventId"] for e in json.loads(lookups.stdout)["Events"]]
    assert len(ids) == total // 2 == len(set(ids))  # management events only, each once


def test_invictus_lookup_and_query_agree(pinned: Cli) -> None:
    pinned.ok("trail", "import", str(shared_path("datasets", "cloudtrail", "invictus")))
    rows = _rows(pinned, "SELECT count(*) AS n FROM cloudtrail_logs WHERE eventname = 'GetUser'")
    events = pinned.json("trail", "lookup", "--event-name", "GetUser")["Events"]
    assert rows == [{"n": len(events)}] and len(events) == 130


# -- Athena and CloudTrail Lake ------------------------------------------------------------------------------------
# moto 5.2 answers "404 Not yet implemented" to every Athena call botocore 1.4x makes (the client speaks a newer
# protocol than moto parses), and moto has no CloudTrail Lake queries, so the call sequences are checked against
# recording doubles of the boto3 clients: what is sent, polling until done, paging, header-row removal, errors.


class _Athena:
    def __init__(self, states: list[str], pages: list[dict[str, Any]], reason: str = "", category: int = 2) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.states, self.pages, self.reason, self.category = states, pages, reason, category

    def start_query_execution(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("start", kw))
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **kw: Any) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        status: dict[str, Any] = {"State": state}
        if state == "FAILED":
            status.update(StateChangeReason=self.reason, AthenaError={"ErrorCategory": self.category})
        return {"QueryExecution": {"Status": status, "Statistics": {"DataScannedInBytes": 123}}}

    def get_query_results(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("results", kw))
        return self.pages[1 if kw.get("NextToken") else 0]

    def stop_query_execution(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("stop", kw))
        return {}


class _Ctx:
    is_local = False

    def __init__(self, client: Any) -> None:
        self._client = client

    def client(self, service: str) -> Any:
        return self._client


def _page(rows: list[list[str]], token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": v} for v in r]} for r in rows],
                                         "ResultSetMetadata": {"ColumnInfo": [{"Name": "eventname"}, {"Name": "n"}]}}}  # fmt: skip
    if token:
        out["NextToken"] = token
    return out


def test_engine_athena_polls_pages_and_drops_the_header_row() -> None:
    from awsmon.services.trail_query import query

    fake = _Athena(["QUEUED", "RUNNING", "SUCCEEDED"], [_page([["eventname", "n"], ["GetObject", "30"]], "t2"),
                                                        _page([["PutObject", "3"]])])  # fmt: skip
    progress: list[str] = []
    out = query(_Ctx(fake), "SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY 1", engine="athena",
                database="ct", workgroup="wg", output_location="s3://r/", progress=progress.append)  # fmt: skip
    assert out["Rows"] == [{"eventname": "GetObject", "n": "30"}, {"eventname": "PutObject", "n": "3"}]
    assert fake.calls[0] == ("start", {"QueryString": "SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY 1",
                                       "WorkGroup": "wg", "QueryExecutionContext": {"Database": "ct"},
                                       "ResultConfiguration": {"OutputLocation": "s3://r/"}})  # fmt: skip
    assert [c[1].get("NextToken") for c in fake.calls if c[0] == "results"] == [None, "t2"]
    assert progress and progress[0].startswith("QUEUED") and out["Statistics"]["QueryExecutionId"] == "q-1"


def test_engine_athena_failures_and_max_wait() -> None:
    from awsmon.errors import AwsmonError, UsageError
    from awsmon.services.trail_query import query

    fake = _Athena(["FAILED"], [], reason="SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved")
    with pytest.raises(UsageError, match="SYNTAX_ERROR"):
        query(_Ctx(fake), "SELECT nope FROM cloudtrail_logs", engine="athena")
    slow = _Athena(["RUNNING"], [])
    with pytest.raises(AwsmonError, match="still running after --max-wait"):
        query(_Ctx(slow), "SELECT 1", engine="athena", max_wait=0.3)
    assert slow.calls[-1] == ("stop", {"QueryExecutionId": "q-1"})


def test_engine_lake_substitutes_the_event_data_store() -> None:
    from awsmon.services.trail_query import query

    class Lake:
        def __init__(self) -> None:
            self.statements: list[str] = []

        def start_query(self, **kw: Any) -> dict[str, Any]:
            self.statements.append(kw["QueryStatement"])
            return {"QueryId": "lq"}

        def describe_query(self, **kw: Any) -> dict[str, Any]:
            return {"QueryStatus": "FINISHED", "QueryStatistics": {"EventsScanned": 10}}

        def get_query_results(self, **kw: Any) -> dict[str, Any]:
            return {"QueryResultRows": [[{"eventName": "GetObject"}, {"n": "30"}]]}

    lake = Lake()
    out = query(_Ctx(lake), "SELECT eventName, count(*) AS n FROM cloudtrail_logs GROUP BY 1", engine="lake",
                event_data_store="arn:aws:cloudtrail:us-east-1:1:eventdatastore/eds-123")  # fmt: skip
    assert lake.statements == ["SELECT eventName, count(*) AS n FROM eds-123 GROUP BY 1"]
    assert out["Rows"] == [{"eventName": "GetObject", "n": "30"}] and out["Statistics"]["EventsScanned"] == 10


def test_engine_athena_needs_the_aws_backend(cli: Cli) -> None:
    res = cli("trail", "query", "SELECT 1", "--engine", "athena")
    assert res.exit_code == 2 and "--backend aws" in res.stderr
    res = cli("trail", "query", "SELECT 1", "--engine", "presto")
    assert res.exit_code == 2


# -- outside probe ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sql", "words"), [
    ("SELECT * FROM read_text('/etc/hostname')", "FUNCTION_NOT_FOUND: Table function 'read_text' not registered"),
    ("SELECT * FROM (SELECT * FROM read_csv('/etc/passwd'))", "Table function 'read_csv' not registered"),
    ("SELECT (SELECT content FROM read_text('/etc/hostname')) AS c", "Table function 'read_text' not registered"),
    ("SELECT * FROM cloudtrail_logs, LATERAL (SELECT * FROM read_parquet('/x.parquet'))", "'read_parquet' not registered"),
    ('SELECT * FROM "/etc/hosts.csv"', "TABLE_NOT_FOUND: Table '/etc/hosts.csv' does not exist"),
    ("SELECT * FROM information_schema.tables", "TABLE_NOT_FOUND"),
    ("SELECT * FROM duckdb_settings()", "Table function 'duckdb_settings' not registered"),
])  # fmt: skip
def test_queries_read_only_the_table(history: Cli, sql: str, words: str) -> None:
    """DuckDB's table functions and file-name tables read any file of the machine; Athena has only its tables."""
    res = history("trail", "query", sql)
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and words in res.stderr, res.stderr
    assert not res.stdout


def test_with_names_unnest_and_database_names_still_work(history: Cli) -> None:
    assert _rows(history, "WITH d AS (SELECT eventname FROM cloudtrail_logs WHERE eventname = 'DeleteBucket') "
                          "SELECT count(*) AS n FROM d") == [{"n": 6}]  # fmt: skip
    assert _rows(history, "SELECT count(*) AS n FROM default.cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r)") \
        == _rows(history, "SELECT count(*) AS n FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(r)")  # fmt: skip


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-1", "0"])
def test_max_wait_must_be_a_finite_positive_number(history: Cli, value: str) -> None:
    res = history("trail", "query", "SELECT 1", "--max-wait", value)
    assert res.exit_code == 2 and "--max-wait must be a positive number of seconds" in res.stderr


def test_empty_path_is_no_folder(history: Cli) -> None:
    """--path '' was the current folder (its *.json files queried as CloudTrail logs)."""
    res = history("trail", "query", "SELECT 1", "--path", "")
    assert res.exit_code == 2 and "--path : no such folder" in res.stderr
