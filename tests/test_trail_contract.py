"""Contract tests: trail CRUD, status and selectors behave the same on the local backend and a real moto server.

moto has no LookupEvents or ListPublicKeys, so those are tested on the local backend only (test_trail_lookup.py).
"""

from __future__ import annotations

import json

from tests.conftest import Cli, trail_bucket


def _bucket(cli: Cli, name: str) -> None:
    """Both backends need the bucket, with CloudTrail's policy (moto checks only that the bucket exists)."""
    trail_bucket(cli, name)


def test_trail_crud_status_and_errors(backend_cli: Cli) -> None:
    cli = backend_cli
    trail_bucket(cli, "contract-bucket", prefix="pfx")
    created = cli.json("trail", "create", "--name", "contract", "--s3-bucket-name", "contract-bucket",
                       "--s3-key-prefix", "pfx", "--is-multi-region-trail", "--enable-log-file-validation")  # fmt: skip
    assert created["Name"] == "contract" and created["S3BucketName"] == "contract-bucket"
    assert created["TrailARN"].endswith(":trail/contract") and created["LogFileValidationEnabled"] is True
    assert created["IsMultiRegionTrail"] is True
    trails = cli.json("trail", "describe")["trailList"]
    assert [t["Name"] for t in trails] == ["contract"] and trails[0]["S3KeyPrefix"] == "pfx"
    assert cli.json("trail", "describe", "--trail-name-list", "contract")["trailList"][0]["HomeRegion"] == "us-east-1"
    listed = cli.json("trail", "list")["Trails"]
    assert [(t["Name"], t["HomeRegion"], t["TrailARN"]) for t in listed] == [("contract", "us-east-1", created["TrailARN"])]
    combo = cli("trail", "create", "--name", "combo", "--s3-bucket-name", "contract-bucket", "--is-multi-region-trail",
                "--no-include-global-service-events")  # fmt: skip
    assert combo.exit_code == 2
    assert combo.stderr == ("awsmon: error: InvalidParameterCombinationException: "
                            "Multi-Region trail must include global service events.\n")  # fmt: skip
    assert cli.json("trail", "get-status", "--name", "contract")["IsLogging"] is False
    cli.ok("trail", "start-logging", "--name", "contract")
    status = cli.json("trail", "get-status", "--name", "contract")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    cli.ok("trail", "stop-logging", "--name", "contract")
    assert cli.json("trail", "get-status", "--name", "contract")["IsLogging"] is False
    updated = cli.json("trail", "update", "--name", "contract", "--no-enable-log-file-validation")
    assert updated["LogFileValidationEnabled"] is False
    if cli.env.get("AWSMON_BACKEND") != "aws":  # moto 5 silently replaces a trail of the same name
        dup = cli("trail", "create", "--name", "contract", "--s3-bucket-name", "contract-bucket")
        assert dup.exit_code == 2 and "TrailAlreadyExistsException" in dup.stderr
    bad = cli("trail", "create", "--name", "-bad", "--s3-bucket-name", "contract-bucket")
    assert bad.exit_code == 2
    assert bad.stderr == "awsmon: error: InvalidTrailNameException: Trail name must starts with a letter or number.\n"
    short = cli("trail", "create", "--name", "ab", "--s3-bucket-name", "contract-bucket")
    assert short.exit_code == 2 and "Trail name too short" in short.stderr
    missing = cli("trail", "get-status", "--name", "nosuchtrail")
    assert missing.exit_code == 1 and "TrailNotFoundException" in missing.stderr
    cli.ok("trail", "delete", "--name", "contract")
    assert cli.json("trail", "describe")["trailList"] == []


def test_event_selectors_basic_and_advanced(backend_cli: Cli) -> None:
    cli = backend_cli
    _bucket(cli, "sel-bucket")
    cli.ok("trail", "create", "--name", "sel-trail", "--s3-bucket-name", "sel-bucket")
    put = cli.json("trail", "put-event-selectors", "--trail-name", "sel-trail", "--management-events", "read")
    table = cli.ok("trail", "get-event-selectors", "--trail-name", "sel-trail", "-o", "table").stdout.splitlines()
    assert table[0].split()[:2] == ["ReadWriteType", "IncludeManagementEvents"] and table[1].split()[:2] == ["ReadOnly", "true"]
    basic = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
              "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::sel-bucket/"]}]}]  # fmt: skip
    put = cli.json("trail", "put-event-selectors", "--trail-name", "sel-trail", "--event-selectors", json.dumps(basic))
    assert put["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    got = cli.json("trail", "get-event-selectors", "--trail-name", "sel-trail")
    assert got["TrailARN"].endswith(":trail/sel-trail")
    assert got["EventSelectors"][0]["DataResources"] == basic[0]["DataResources"]
    advanced = [{"Name": "writes", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                      {"Field": "readOnly", "Equals": ["false"]}]}]  # fmt: skip
    put = cli.json("trail", "put-event-selectors", "--trail-name", "sel-trail", "--advanced-event-selectors",
                   json.dumps(advanced))  # fmt: skip
    assert put["AdvancedEventSelectors"] == advanced
    got = cli.json("trail", "get-event-selectors", "--trail-name", "sel-trail")
    assert got["AdvancedEventSelectors"] == advanced


def test_sixth_trail_is_refused_and_nothing_is_lost(pinned: Cli) -> None:
    trail_bucket(pinned, "five-bucket")
    for i in range(5):
        pinned.ok("trail", "create", "--name", f"trail-{i}", "--s3-bucket-name", "five-bucket")
    res = pinned("trail", "create", "--name", "trail-5", "--s3-bucket-name", "five-bucket")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1
    assert "MaximumNumberOfTrailsExceededException" in res.stderr
    assert len(pinned.json("trail", "describe")["trailList"]) == 5
    failed = pinned.json("trail", "lookup", "--event-name", "CreateTrail", "--records")["Records"]
    assert sum(1 for r in failed if r.get("errorCode") == "MaximumNumberOfTrailsExceededException") == 1


def test_home_region_rules_and_shadow_trails(pinned: Cli) -> None:
    trail_bucket(pinned, "gb-bucket")
    pinned.ok("trail", "create", "--name", "global-trail", "--s3-bucket-name", "gb-bucket", "--is-multi-region-trail")
    pinned.ok("trail", "create", "--name", "local-trail", "--s3-bucket-name", "gb-bucket")
    west = pinned.json("--region", "eu-west-1", "trail", "describe")["trailList"]
    assert [t["Name"] for t in west] == ["global-trail"] and west[0]["HomeRegion"] == "us-east-1"
    assert pinned.json("--region", "eu-west-1", "trail", "describe", "--no-include-shadow-trails")["trailList"] == []
    res = pinned("--region", "eu-west-1", "trail", "start-logging", "--name", "global-trail")
    assert res.exit_code == 1 and "InvalidHomeRegionException" in res.stderr


def test_malformed_selectors_are_one_line_usage_errors(pinned: Cli, ctx: object) -> None:
    pinned.ok("trail", "create", "--name", "shape-trail", "--s3-new-bucket", "shape-bucket")
    bad = [("--event-selectors", "[1]"), ("--advanced-event-selectors", '"x"'),
           ("--event-selectors", '[{"DataResources": "x"}]'),
           ("--event-selectors", '[{"DataResources": [{"Type": "AWS::S3::Object", "Values": "arn"}]}]'),
           ("--advanced-event-selectors", '[{"FieldSelectors": [{"Field": "eventCategory", "Equals": "Data"}]}]'),
           ("--advanced-event-selectors", '[{"FieldSelectors": "eventCategory"}]')]  # fmt: skip
    for opt, value in bad:
        res = pinned("trail", "put-event-selectors", "--trail-name", "shape-trail", opt, value)
        assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "unexpected" not in res.stderr, (value, res.stderr)
    one = pinned.json("trail", "put-event-selectors", "--trail-name", "shape-trail", "--event-selectors",
                      '{"ReadWriteType": "WriteOnly"}')  # a single object is a list of one  # fmt: skip
    assert [s["ReadWriteType"] for s in one["EventSelectors"]] == ["WriteOnly"]


def test_describe_and_validate_pick_the_named_trail_only(backend_cli: Cli) -> None:
    cli = backend_cli
    _bucket(cli, "pick-bucket")
    for name in ("pick-a", "pick-b"):
        cli.ok("trail", "create", "--name", name, "--s3-bucket-name", "pick-bucket")
    assert [t["Name"] for t in cli.json("trail", "describe", "--trail-name-list", "pick-b")["trailList"]] == ["pick-b"]
    arn = cli.json("trail", "describe", "--trail-name-list", "pick-a")["trailList"][0]["TrailARN"]
    assert [t["Name"] for t in cli.json("trail", "describe", "--trail-name-list", arn)["trailList"]] == ["pick-a"]
    res = cli("trail", "validate-digest", "--trail", "pick", "--start", "1h")
    assert res.exit_code != 0 and res.stderr.count("\n") == 1 and "pick" in res.stderr


def test_a_multi_region_trail_needs_room_in_every_region(pinned: Cli) -> None:
    west = ("--region", "eu-west-1")
    trail_bucket(pinned, "room-bucket")
    for i in range(4):
        pinned.ok(*west, "trail", "create", "--name", f"west-{i}", "--s3-bucket-name", "room-bucket")
    pinned.ok("trail", "create", "--name", "home-single", "--s3-bucket-name", "room-bucket")
    pinned.ok("trail", "create", "--name", "everywhere", "--s3-bucket-name", "room-bucket", "--is-multi-region-trail")
    res = pinned(*west, "trail", "create", "--name", "west-5", "--s3-bucket-name", "room-bucket")  # 4 + 1 shadow
    assert res.exit_code == 2 and "already has 5 trails in eu-west-1" in res.stderr
    res = pinned("trail", "create", "--name", "second-mr", "--s3-bucket-name", "room-bucket", "--is-multi-region-trail")
    assert res.exit_code == 2 and "already has 5 trails in eu-west-1" in res.stderr  # us-east-1 has room, eu-west-1 not
    res = pinned("trail", "update", "--name", "home-single", "--is-multi-region-trail")
    assert res.exit_code == 2 and "MaximumNumberOfTrailsExceededException" in res.stderr
    assert not pinned.json("trail", "describe", "--trail-name-list", "home-single")["trailList"][0]["IsMultiRegionTrail"]


def test_create_trail_needs_an_existing_bucket_that_lets_cloudtrail_write(backend_cli: Cli) -> None:
    """CreateTrail refuses a missing bucket on both backends; a bucket whose policy does not let
    cloudtrail.amazonaws.com write is refused by AWS and the local backend (moto does not check the policy)."""
    cli = backend_cli
    missing = cli("trail", "create", "--name", "trail-one", "--s3-bucket-name", "no-such-trail-bucket")
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1
    assert "S3BucketDoesNotExistException" in missing.stderr and "no-such-trail-bucket" in missing.stderr
    made = cli.json("trail", "create", "--name", "trail-two", "--s3-new-bucket", "new-trail-bucket")
    assert made["S3BucketName"] == "new-trail-bucket"
    policy = json.loads(cli.json("s3", "get-bucket-policy", "--bucket", "new-trail-bucket")["Policy"])
    assert {s["Principal"]["Service"] for s in policy["Statement"]} == {"cloudtrail.amazonaws.com"}
    cli.ok("s3", "mb", "s3://bare-trail-bucket")
    bare = cli("trail", "create", "--name", "trail-one", "--s3-bucket-name", "bare-trail-bucket")
    if "AWSMON_BACKEND" in cli.env:  # moto: any existing bucket will do
        assert bare.exit_code == 0
        return
    expected = "awsmon: error: InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected for bucket: "
    assert bare.exit_code == 1 and bare.stderr == expected + "bare-trail-bucket\n"
    assert [t["Name"] for t in cli.json("trail", "describe")["trailList"]] == ["trail-two"]


def test_the_bucket_policy_is_evaluated_as_cloudtrail_writes(pinned: Cli) -> None:
    """The policy must allow GetBucketAcl and PutObject under [prefix/]AWSLogs/<account>/ to the CloudTrail
    principal with its conditions met; UpdateTrail to another bucket or prefix is checked the same way;
    --s3-new-bucket writes a policy that passes, and leaves no bucket behind when the trail is refused."""
    from awsmon.services.trail import cloudtrail_bucket_policy

    acct = "123456789012"
    arn = f"arn:aws:cloudtrail:us-east-1:{acct}:trail/audit"
    pinned.ok("s3", "mb", "s3://bkt-1")
    good = json.loads(cloudtrail_bucket_policy("bkt-1", acct))

    def refused(policy: dict, *extra: str) -> bool:
        pinned.ok("s3", "put-bucket-policy", "--bucket", "bkt-1", "--policy", json.dumps(policy))
        res = pinned("trail", "create", "--name", "audit", "--s3-bucket-name", "bkt-1", *extra)
        if res.exit_code == 0:
            pinned.ok("trail", "delete", "--name", "audit")
            return False
        assert "Incorrect S3 bucket policy is detected for bucket: bkt-1" in res.stderr, res.stderr
        return True

    acl_only = {**good, "Statement": good["Statement"][:1]}
    other_service = json.loads(json.dumps(good).replace("cloudtrail.amazonaws.com", "config.amazonaws.com"))
    with_arn = json.loads(json.dumps(good))
    for st in with_arn["Statement"]:
        st.setdefault("Condition", {}).setdefault("StringEquals", {})["aws:SourceArn"] = arn
    other_trail = json.loads(json.dumps(with_arn).replace("trail/audit", "trail/other"))
    denied = {**good, "Statement": good["Statement"] + [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                                          "Resource": "arn:aws:s3:::bkt-1/*"}]}  # fmt: skip
    assert refused(acl_only) and refused(other_service) and refused(other_trail) and refused(denied)
    assert refused(good, "--s3-key-prefix", "pfx")  # the policy covers AWSLogs/ at the top, not pfx/AWSLogs/
    assert not refused(with_arn) and not refused(good)
    pinned.ok("trail", "create", "--name", "audit", "--s3-bucket-name", "bkt-1")
    pinned.ok("s3", "mb", "s3://bkt-2")
    res = pinned("trail", "update", "--name", "audit", "--s3-bucket-name", "bkt-2")
    assert res.exit_code == 1 and "Incorrect S3 bucket policy is detected for bucket: bkt-2" in res.stderr
    assert pinned.json("trail", "describe")["trailList"][0]["S3BucketName"] == "bkt-1"
    res = pinned("trail", "update", "--name", "audit", "--s3-key-prefix", "moved")
    assert res.exit_code == 1 and "InsufficientS3BucketPolicyException" in res.stderr
    created = pinned.json("trail", "create", "--name", "fresh", "--s3-new-bucket", "bkt-3", "--s3-key-prefix", "p/q")
    assert created["S3BucketName"] == "bkt-3" and created["S3KeyPrefix"] == "p/q"
    policy = json.loads(pinned.json("s3", "get-bucket-policy", "--bucket", "bkt-3")["Policy"])
    assert policy["Statement"][1]["Resource"] == f"arn:aws:s3:::bkt-3/p/q/AWSLogs/{acct}/*"
    taken = pinned("trail", "create", "--name", "fresh", "--s3-new-bucket", "bkt-4")
    assert taken.exit_code == 2 and "TrailAlreadyExistsException" in taken.stderr
    assert pinned("s3", "ls", "s3://bkt-4").exit_code != 0  # the refused trail's bucket was removed
    both = pinned("trail", "create", "--name", "x1x", "--s3-new-bucket", "bkt-5", "--s3-bucket-name", "bkt-5")
    neither = pinned("trail", "create", "--name", "x1x")
    assert both.exit_code == neither.exit_code == 2 and "exactly one of --s3-bucket-name" in both.stderr
