"""Tables of the AWS Config component (append only; never edit an applied entry).

* ``cfg_recorders`` / ``cfg_channels``: the configuration recorder and delivery channel of each Region.
* ``cfg_cursor``: per Region, the last ``events.seq`` the recorder has turned into configuration items.
* ``cfg_items``: every configuration item, clustered for GetResourceConfigHistory (resource, capture time, id).
* ``cfg_resources``: the latest state per resource (for ListDiscoveredResources and change detection by MD5).
* ``cfg_rules`` and ``cfg_results``: rules, their evaluation status, and the latest result per (rule, resource).
* ``cfg_events_wake_v2``: a trigger that makes the recorder's scheduled job due as soon as a successful write of a
  recorded service lands in the event history, so the next command records it (no per-minute polling, and no
  change to the other services).
* ``cfg_pushed`` (v3): the latest state of each resource reported by a ``resource_changed`` fact (types that other
  services report themselves; discovery when recording starts and periodic rules read it).
* ``cfg_delivery`` (v4): the delivery channel's last history / snapshot / stream (SNS) delivery, and the history
  cursor; custom rules' last failed invocation and error on ``cfg_rules``; remediation configurations and
  executions (``cfg_remediations``, ``cfg_remediation_execs``); conformance packs (``cfg_packs``); aggregators and
  the authorizations this account gave (``cfg_aggregators``, ``cfg_authorizations``); the wake-up trigger (v3) also covers the services
  that register their own kinds (EC2, S3, IAM, DynamoDB, Lambda), so their changes are recorded at the next command.
"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS cfg_recorders (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        recording_group TEXT NOT NULL,     -- JSON RecordingGroup
        recording INTEGER NOT NULL DEFAULT 0,
        last_start_ms INTEGER,
        last_stop_ms INTEGER,
        last_status TEXT,
        last_status_change_ms INTEGER,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS cfg_channels (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        config TEXT NOT NULL,              -- JSON DeliveryChannel
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS cfg_cursor (
        region TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS cfg_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        capture_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        item TEXT NOT NULL                 -- JSON ConfigurationItem (configuration as an object)
    );
    CREATE INDEX IF NOT EXISTS cfg_items_res ON cfg_items (region, resource_type, resource_id, capture_ms, id);
    CREATE TABLE IF NOT EXISTS cfg_resources (
        region TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        resource_name TEXT,
        md5 TEXT,
        deleted_ms INTEGER,
        last_item_id INTEGER NOT NULL,
        PRIMARY KEY (region, resource_type, resource_id)
    );
    CREATE INDEX IF NOT EXISTS cfg_resources_name ON cfg_resources (region, resource_type, resource_name);
    CREATE TABLE IF NOT EXISTS cfg_rules (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        arn TEXT NOT NULL,
        config TEXT NOT NULL,              -- JSON ConfigRule as DescribeConfigRules shows it
        first_activated_ms INTEGER NOT NULL,
        last_invoked_ms INTEGER,
        last_evaluated_ms INTEGER,
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS cfg_results (
        region TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        compliance TEXT NOT NULL,
        annotation TEXT,
        ordering_ms INTEGER NOT NULL,
        recorded_ms INTEGER NOT NULL,
        invoked_ms INTEGER NOT NULL,
        PRIMARY KEY (region, rule_name, resource_type, resource_id)
    );
    CREATE INDEX IF NOT EXISTS cfg_results_res ON cfg_results (region, resource_type, resource_id);
    CREATE TRIGGER IF NOT EXISTS cfg_events_wake AFTER INSERT ON events
    WHEN NEW.read_only = 'false' AND NEW.origin = 'local' AND json_extract(NEW.record, '$.errorCode') IS NULL
     AND NEW.event_source IN ('logs.amazonaws.com', 'cloudtrail.amazonaws.com', 'monitoring.amazonaws.com',
                              'sns.amazonaws.com', 'events.amazonaws.com')
    BEGIN UPDATE jobs SET next_due_ms = NEW.event_time WHERE kind = 'config.record' AND key = NEW.region AND next_due_ms > NEW.event_time; END;
    """,
    # v2: the wake-up trigger must not parse the record: a record holding NaN (PutMetricData) is not valid JSON for
    # json_extract, and the failing trigger would abort the write it watches. Failed calls now wake the job too;
    # it skips them (cost: one look at the new events).
    """
    DROP TRIGGER IF EXISTS cfg_events_wake;
    CREATE TRIGGER IF NOT EXISTS cfg_events_wake_v2 AFTER INSERT ON events
    WHEN NEW.read_only = 'false' AND NEW.origin = 'local'
     AND NEW.event_source IN ('logs.amazonaws.com', 'cloudtrail.amazonaws.com', 'monitoring.amazonaws.com',
                              'sns.amazonaws.com', 'events.amazonaws.com')
    BEGIN UPDATE jobs SET next_due_ms = NEW.event_time WHERE kind = 'config.record' AND key = NEW.region AND next_due_ms > NEW.event_time; END;
    """,
    # v3: resources reported through resource_changed facts (facts.py), latest state per resource.
    """
    CREATE TABLE IF NOT EXISTS cfg_pushed (
        region TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        state TEXT NOT NULL,               -- JSON: resource_id, name, arn, configuration, supplementary, ...
        PRIMARY KEY (region, resource_type, resource_id)
    );
    """,
    # v4: delivery channel status per kind (history, snapshot, stream) and the history delivery cursor (cfg_items.id).
    """
    CREATE TABLE IF NOT EXISTS cfg_delivery (
        region TEXT NOT NULL,
        kind TEXT NOT NULL,                -- history | snapshot | stream
        last_attempt_ms INTEGER,
        last_success_ms INTEGER,
        last_status TEXT,                  -- Success | Failure
        last_error_code TEXT,
        last_error_message TEXT,
        cursor INTEGER,                    -- history: the last cfg_items.id delivered
        PRIMARY KEY (region, kind)
    );
    ALTER TABLE cfg_rules ADD COLUMN last_failed_ms INTEGER;     -- custom rules: the last failed invocation
    ALTER TABLE cfg_rules ADD COLUMN last_error_code TEXT;
    ALTER TABLE cfg_rules ADD COLUMN last_error_message TEXT;
    CREATE TABLE IF NOT EXISTS cfg_remediations (
        region TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        config TEXT NOT NULL,              -- JSON RemediationConfiguration as described
        PRIMARY KEY (region, rule_name)
    );
    CREATE TABLE IF NOT EXISTS cfg_remediation_execs (
        region TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        state TEXT NOT NULL,               -- QUEUED | IN_PROGRESS | SUCCEEDED | FAILED
        attempts INTEGER NOT NULL,
        invoked_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        steps TEXT NOT NULL,               -- JSON StepDetails (times in ms)
        PRIMARY KEY (region, rule_name, resource_type, resource_id)
    );
    CREATE TABLE IF NOT EXISTS cfg_packs (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        pack_id TEXT NOT NULL,
        arn TEXT NOT NULL,
        config TEXT NOT NULL,              -- JSON: ConformancePackDetail + "Rules" (deployed rule names)
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS cfg_aggregators (
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        config TEXT NOT NULL,              -- JSON ConfigurationAggregator (times in ms)
        PRIMARY KEY (region, name)
    );
    CREATE TABLE IF NOT EXISTS cfg_authorizations (
        region TEXT NOT NULL,              -- the source Region the authorization covers
        authorized_account TEXT NOT NULL,
        authorized_region TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (region, authorized_account, authorized_region)
    );
    DROP TRIGGER IF EXISTS cfg_events_wake_v2;
    CREATE TRIGGER IF NOT EXISTS cfg_events_wake_v3 AFTER INSERT ON events
    WHEN NEW.read_only = 'false' AND NEW.origin = 'local'
     AND NEW.event_source IN ('logs.amazonaws.com', 'cloudtrail.amazonaws.com', 'monitoring.amazonaws.com',
                              'sns.amazonaws.com', 'events.amazonaws.com', 'ec2.amazonaws.com', 's3.amazonaws.com',
                              'iam.amazonaws.com', 'dynamodb.amazonaws.com', 'lambda.amazonaws.com')
    BEGIN UPDATE jobs SET next_due_ms = NEW.event_time WHERE kind = 'config.record' AND key = NEW.region AND next_due_ms > NEW.event_time; END;
    """,
    # Organization conformance packs and organization config rules (issue 13; backends/local/config_org.py): kept in
    # the management account; each member account holds the deployed pack or rule itself.
    """
    CREATE TABLE IF NOT EXISTS cfg_org (
        region TEXT NOT NULL,
        kind TEXT NOT NULL,                -- pack | rule
        name TEXT NOT NULL,
        config TEXT NOT NULL,              -- JSON: the organization object (times in ms) + Member, Verb, Statuses
        PRIMARY KEY (region, kind, name)
    );
    """,
    # Remediation executions advance QUEUED -> IN_PROGRESS -> SUCCEEDED | FAILED on the clock: remember whether an
    # execution is automatic (its failure schedules a retry).
    """
    ALTER TABLE cfg_remediation_execs ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
    """,
]
