"""AWS Config: the recorder, configuration items and history, managed rules and compliance (both backends).

Every function calls boto3-named operations of the ``config`` client with boto3 keyword names, so the same code runs
against real AWS (or moto) and the local account. Auto-pagination follows ``nextToken`` like aws-cli does unless a
token is given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from awsmon.context import AppContext
from awsmon.errors import AwsmonError, UsageError
from awsmon.services import compact

DEFAULT_RECORDER = "default"
DEFAULT_CHANNEL = "default"
DEMO_BUCKET = "awsmon-demo-config"
DEMO_RULES = (
    ("log-group-retention", "CW_LOGGROUP_RETENTION_PERIOD_CHECK", {"MinRetentionTime": "30"}),
    ("cloudtrail-enabled", "CLOUD_TRAIL_ENABLED", {}),
)
COMPLIANCE_CHOICES = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA")
MAX_PAGES = 10_000  # a guard against a server that hands back the same empty page forever (boto/boto3#2619)


def _client(ctx: AppContext) -> Any:
    return ctx.client("config")


def default_role_arn(ctx: AppContext) -> str:
    account = ctx.backend().account_id or "123456789012"
    return f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"


# -- argument parsing ----------------------------------------------------------------------------------------------


def _split_top(text: str) -> list[str]:
    """Split aws-cli shorthand on commas outside brackets: ``a=1,b=[x,y]`` -> ``["a=1", "b=[x,y]"]``."""
    parts, depth, buf = [], 0, []
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p for p in (s.strip() for s in parts) if p]


def _scalar(value: str) -> Any:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if value.startswith("[") and value.endswith("]"):
        return [v.strip() for v in value[1:-1].split(",") if v.strip()]
    return value


def parse_structure(text: str | None, option: str) -> dict[str, Any] | None:
    """An aws-cli structure argument: JSON (inline, ``file://PATH`` or a file path) or shorthand ``k=v,k2=[a,b]``."""
    if text is None:
        return None
    from awsmon.inputs import loads_json, read_arg

    raw = read_arg(text.strip(), option, bare_path=lambda v: not v.startswith("{") and "=" not in v)
    if raw.lstrip().startswith("{"):
        value = loads_json(raw, option)
        if not isinstance(value, dict):
            raise UsageError(f"{option} must be a JSON object")
        return value
    out: dict[str, Any] = {}
    for part in _split_top(raw):
        if "=" not in part:
            raise UsageError(f"invalid {option} value {text!r}: expected JSON or key=value pairs separated by commas")
        k, _, v = part.partition("=")
        out[k.strip()] = _scalar(v.strip())
    return out


def parse_input_parameters(text: str | None, pairs: Sequence[str] | None = None) -> str | None:
    """InputParameters as the JSON string AWS takes; ``--parameter Name=Value`` pairs are merged in."""
    params: dict[str, Any] = {}
    if text:
        from awsmon.inputs import read_json_arg

        value = read_json_arg(text.strip(), "--input-parameters")
        if not isinstance(value, dict):
            raise UsageError("--input-parameters must be a JSON object such as '{\"MinRetentionTime\": \"30\"}'")
        params.update(value)
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"invalid --parameter {pair!r}: expected Name=Value")
        k, _, v = pair.partition("=")
        params[k.strip()] = v.strip()
    return json.dumps(params, separators=(",", ":")) if params or text else None


def _check_compliance_types(values: Sequence[str] | None) -> list[str]:
    out = []
    for v in values or []:
        if v.upper() not in COMPLIANCE_CHOICES:
            raise UsageError(f"invalid compliance type {v!r}: choose from {', '.join(COMPLIANCE_CHOICES)}")
        out.append(v.upper())
    return out


# -- recorder and delivery channel ---------------------------------------------------------------------------------


def put_recorder(ctx: AppContext, *, recorder: str | None = None, recording_group: str | None = None,
                 name: str | None = None, role_arn: str | None = None, resource_types: Sequence[str] = (),
                 include_global: bool | None = None) -> dict[str, Any]:  # fmt: skip
    spec = parse_structure(recorder, "--configuration-recorder") or {}
    group = parse_structure(recording_group, "--recording-group")
    if name:
        spec["name"] = name
    spec.setdefault("name", DEFAULT_RECORDER)
    if role_arn:
        spec["roleARN"] = role_arn
    spec.setdefault("roleARN", default_role_arn(ctx))
    if resource_types:
        if group and group.get("allSupported"):
            raise UsageError("--resource-types cannot be combined with allSupported=true")
        group = {**(group or {}), "allSupported": False, "resourceTypes": list(resource_types)}
    if include_global is not None:
        group = {**(group or {"allSupported": True}), "includeGlobalResourceTypes": include_global}
    if group is not None:
        spec["recordingGroup"] = group
    _client(ctx).put_configuration_recorder(ConfigurationRecorder=spec)
    return describe_recorders(ctx, [spec["name"]])


def describe_recorders(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named(_client(ctx).describe_configuration_recorders, "ConfigurationRecorderNames", names)


def recorder_status(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named(_client(ctx).describe_configuration_recorder_status, "ConfigurationRecorderNames", names)


def delete_recorder(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_configuration_recorder, ConfigurationRecorderName=name)


def start_recording(ctx: AppContext, name: str = DEFAULT_RECORDER) -> dict[str, Any]:
    _client(ctx).start_configuration_recorder(ConfigurationRecorderName=name)
    return recorder_status(ctx, [name])


def stop_recording(ctx: AppContext, name: str = DEFAULT_RECORDER) -> dict[str, Any]:
    _client(ctx).stop_configuration_recorder(ConfigurationRecorderName=name)
    return recorder_status(ctx, [name])


def put_channel(ctx: AppContext, *, channel: str | None = None, name: str | None = None, s3_bucket_name: str | None = None,
                s3_key_prefix: str | None = None, sns_topic_arn: str | None = None,
                frequency: str | None = None) -> dict[str, Any]:  # fmt: skip
    spec = parse_structure(channel, "--delivery-channel") or {}
    for key, value in (("name", name), ("s3BucketName", s3_bucket_name), ("s3KeyPrefix", s3_key_prefix),
                       ("snsTopicARN", sns_topic_arn)):  # fmt: skip
        if value is not None:
            spec[key] = value
    spec.setdefault("name", DEFAULT_CHANNEL)
    if frequency:
        spec["configSnapshotDeliveryProperties"] = {"deliveryFrequency": frequency}
    if not spec.get("s3BucketName"):
        raise UsageError("a delivery channel needs an S3 bucket: give --s3-bucket-name")
    _client(ctx).put_delivery_channel(DeliveryChannel=spec)
    return describe_channels(ctx, [spec["name"]])


def describe_channels(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named(_client(ctx).describe_delivery_channels, "DeliveryChannelNames", names)


def delete_channel(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_delivery_channel, DeliveryChannelName=name)


def deliver_snapshot(ctx: AppContext, name: str = DEFAULT_CHANNEL) -> dict[str, Any]:
    """DeliverConfigSnapshot: AWS schedules it; the local account writes it at once (and notifies the topic)."""
    return dict(_client(ctx).deliver_config_snapshot(deliveryChannelName=name))


def channel_status(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named(_client(ctx).describe_delivery_channel_status, "DeliveryChannelNames", names)


# -- configuration items -------------------------------------------------------------------------------------------


def _named(call: Any, names_param: str, names: Sequence[str] | None) -> dict[str, Any]:
    """A Describe* call (one page) that takes an optional list of names."""
    return dict(call(**({names_param: list(names)} if names else {})))


def _done(call: Any, **params: Any) -> dict[str, Any]:
    """An operation whose answer is empty (Delete*, Start*): the command prints ``{}``."""
    call(**params)
    return {}


def _pages(call: Any, key: str, token_name: str, token: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """One page when a token is given (``""``: the first page); otherwise every page merged (aws-cli's way)."""
    if token is not None:
        return dict(call(**params, **({token_name: token} if token else {})))
    items: list[Any] = []
    last = None
    for _ in range(MAX_PAGES):
        page = call(**params, **({token_name: last} if last else {}))
        items.extend(page.get(key) or [])
        nxt = page.get(token_name)
        if not nxt or nxt == last:
            break
        last = nxt
    return {key: items}


def history(ctx: AppContext, resource_type: str, resource_id: str, *, later: str | None = None,
            earlier: str | None = None, order: str | None = None, limit: int | None = None,
            next_token: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(resourceType=resource_type, resourceId=resource_id,
                     laterTime=ctx.parse_time(later) if later else None,
                     earlierTime=ctx.parse_time(earlier) if earlier else None, chronologicalOrder=order or None,
                     limit=limit)  # fmt: skip
    return _pages(_client(ctx).get_resource_config_history, "configurationItems", "nextToken", next_token, params)


def list_resources(ctx: AppContext, resource_type: str, *, resource_ids: Sequence[str] = (),
                   resource_name: str | None = None, include_deleted: bool = False, limit: int | None = None,
                   next_token: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(resourceType=resource_type, resourceIds=list(resource_ids) or None,
                     resourceName=resource_name or None, includeDeletedResources=include_deleted or None,
                     limit=limit)  # fmt: skip
    return _pages(_client(ctx).list_discovered_resources, "resourceIdentifiers", "nextToken", next_token, params)


def get_resources(ctx: AppContext, keys: Sequence[tuple[str, str]]) -> dict[str, Any]:
    if not keys:
        raise UsageError("give --resource-type and --resource-id, or --resource-keys resourceType=T,resourceId=ID")
    resp = _client(ctx).batch_get_resource_config(
        resourceKeys=[{"resourceType": t, "resourceId": i} for t, i in keys])  # fmt: skip
    return {"baseConfigurationItems": resp.get("baseConfigurationItems") or [],
            "unprocessedResourceKeys": resp.get("unprocessedResourceKeys") or []}  # fmt: skip


# -- rules ---------------------------------------------------------------------------------------------------------


def put_rule(ctx: AppContext, *, config_rule: str | None = None, name: str | None = None,
             source_identifier: str | None = None, input_parameters: str | None = None,
             parameters: Sequence[str] = (), resource_types: Sequence[str] = (), resource_id: str | None = None,
             tag_key: str | None = None, tag_value: str | None = None, frequency: str | None = None,
             description: str | None = None, owner: str = "AWS") -> dict[str, Any]:  # fmt: skip
    rule = parse_structure(config_rule, "--config-rule") or {}
    if name:
        rule["ConfigRuleName"] = name
    if not rule.get("ConfigRuleName"):
        raise UsageError("give the rule a name: --config-rule-name NAME")
    if source_identifier:
        rule["Source"] = {"Owner": owner, "SourceIdentifier": source_identifier}
    if not rule.get("Source"):
        raise UsageError("give a managed rule identifier: --source-identifier CW_LOGGROUP_RETENTION_PERIOD_CHECK")
    params = parse_input_parameters(input_parameters, parameters)
    if params is not None:
        rule["InputParameters"] = params
    if rule.get("Scope") is not None and not isinstance(rule["Scope"], dict):
        raise UsageError("Scope in --config-rule must be an object such as {\"ComplianceResourceTypes\": [...]}")
    # Options given on the command line override the same fields of --config-rule.
    scope = {**(rule.get("Scope") or {}), **compact(ComplianceResourceTypes=list(resource_types) or None,
                                                    ComplianceResourceId=resource_id or None, TagKey=tag_key or None,
                                                    TagValue=tag_value)}  # fmt: skip
    if scope:
        rule["Scope"] = scope
    rule.update(compact(MaximumExecutionFrequency=frequency or None, Description=description))
    _client(ctx).put_config_rule(ConfigRule=rule)
    return describe_rules(ctx, [rule["ConfigRuleName"]])


def describe_rules(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_config_rules, "ConfigRules", "ConfigRuleNames", names)


def delete_rule(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_config_rule, ConfigRuleName=name)


def start_evaluation(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    params = {"ConfigRuleNames": list(names)} if names else {}
    return _done(_client(ctx).start_config_rules_evaluation, **params)


def rule_status(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named(_client(ctx).describe_config_rule_evaluation_status, "ConfigRuleNames", names)


def compliance_by_rule(ctx: AppContext, names: Sequence[str] | None = None,
                       types: Sequence[str] | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(ConfigRuleNames=list(names or []) or None,
                     ComplianceTypes=_check_compliance_types(types) if types else None)  # fmt: skip
    return _pages(_client(ctx).describe_compliance_by_config_rule, "ComplianceByConfigRules", "NextToken", None, params)


def compliance_by_resource(ctx: AppContext, resource_type: str | None = None, resource_id: str | None = None,
                           types: Sequence[str] | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(ResourceType=resource_type or None, ResourceId=resource_id or None,
                     ComplianceTypes=_check_compliance_types(types) if types else None)  # fmt: skip
    return _pages(_client(ctx).describe_compliance_by_resource, "ComplianceByResources", "NextToken", None, params)


def compliance_details(ctx: AppContext, *, rule: str | None = None, resource_type: str | None = None,
                       resource_id: str | None = None, types: Sequence[str] | None = None,
                       limit: int | None = None, next_token: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = compact(ComplianceTypes=_check_compliance_types(types) if types else None)
    if rule:
        params.update(compact(ConfigRuleName=rule, Limit=limit))
        return _pages(_client(ctx).get_compliance_details_by_config_rule, "EvaluationResults", "NextToken",
                      next_token, params)  # fmt: skip
    if not (resource_type and resource_id):
        raise UsageError("give --config-rule-name, or --resource-type and --resource-id")
    params.update({"ResourceType": resource_type, "ResourceId": resource_id})
    return _pages(_client(ctx).get_compliance_details_by_resource, "EvaluationResults", "NextToken", next_token, params)


def check(ctx: AppContext, rules: Sequence[str] | None = None) -> dict[str, Any]:
    """One summary line per selected rule; ``NonCompliantRules`` counts rules with NON_COMPLIANT results."""
    names = list(rules or []) or [r["ConfigRuleName"] for r in describe_rules(ctx)["ConfigRules"]]
    if not names:
        raise AwsmonError("no Config rules to check in this account and region",
                          hint="add one with: awsmon config put-rule --config-rule-name NAME --source-identifier ID")  # fmt: skip
    summary = {c["ConfigRuleName"]: c["Compliance"] for c in compliance_by_rule(ctx, names)["ComplianceByConfigRules"]}
    out = []
    for name in names:
        details = compliance_details(ctx, rule=name, types=["COMPLIANT", "NON_COMPLIANT"])["EvaluationResults"]
        non = [d for d in details if d["ComplianceType"] == "NON_COMPLIANT"]
        ctype = (summary.get(name) or {}).get("ComplianceType", "INSUFFICIENT_DATA")
        ids = [d["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"] for d in non]
        line = f"{ctype:<17} {name}: {len(non)} non-compliant of {len(details)} evaluated"
        if ids:
            shown = ", ".join(ids[:5]) + (f", ... ({len(ids) - 5} more)" if len(ids) > 5 else "")
            line += f" ({shown})"
        out.append({"ConfigRuleName": name, "ComplianceType": ctype, "NonCompliant": len(non),
                    "Evaluated": len(details), "NonCompliantResources": ids, "Summary": line})  # fmt: skip
    failing = [r["ConfigRuleName"] for r in out if r["ComplianceType"] == "NON_COMPLIANT" or r["NonCompliant"]]
    return {"Rules": out, "Checked": len(out), "NonCompliantRules": failing}


# -- demo ----------------------------------------------------------------------------------------------------------


def demo_step(ctx: AppContext) -> list[str]:
    """Idempotently: a recorder and delivery channel, recording on, and two managed rules."""
    client = _client(ctx)
    if not describe_recorders(ctx)["ConfigurationRecorders"]:
        client.put_configuration_recorder(ConfigurationRecorder={"name": DEFAULT_RECORDER, "roleARN": default_role_arn(ctx)})
    recorder = describe_recorders(ctx)["ConfigurationRecorders"][0]["name"]
    if not describe_channels(ctx)["DeliveryChannels"]:
        client.put_delivery_channel(DeliveryChannel={"name": DEFAULT_CHANNEL, "s3BucketName": DEMO_BUCKET})
    client.start_configuration_recorder(ConfigurationRecorderName=recorder)
    have = {r["ConfigRuleName"] for r in describe_rules(ctx)["ConfigRules"]}
    for name, ident, params in DEMO_RULES:
        if name not in have:
            rule: dict[str, Any] = {"ConfigRuleName": name, "Source": {"Owner": "AWS", "SourceIdentifier": ident}}
            if params:
                rule["InputParameters"] = json.dumps(params)
            client.put_config_rule(ConfigRule=rule)
    return [
        "awsmon config describe-compliance                        # COMPLIANT / NON_COMPLIANT per Config rule",
        "awsmon config check                                      # exit 3 when a rule has NON_COMPLIANT results (for CI)",
        "awsmon config list-discovered-resources --resource-type AWS::Logs::LogGroup",
        "awsmon config history --resource-type AWS::Logs::LogGroup --resource-id /awsmon/demo/app   # items over time",
    ]


# -- remediation -----------------------------------------------------------------------------------------------------


def json_list(text: str, option: str) -> list[Any]:
    """A JSON list argument (inline, ``file://PATH``); a single object is taken as a list of one."""
    from awsmon.inputs import read_json_arg

    value = read_json_arg(text, option)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise UsageError(f"{option} must be a JSON list of objects")
    return value


def resource_keys(values: Sequence[str], option: str = "--resource-keys") -> list[dict[str, Any]]:
    """ResourceKeys: JSON lists, or ``resourceType=T,resourceId=ID`` shorthand (repeatable)."""
    keys: list[dict[str, Any]] = []
    for v in values:
        if v.lstrip().startswith(("[", "{")) or v.startswith("file://"):
            keys.extend(json_list(v, option))
        else:
            keys.append(parse_structure(v, option) or {})
    for k in keys:
        if not k.get("resourceType") or not k.get("resourceId"):
            raise UsageError(f"each {option} entry needs resourceType and resourceId")
    return keys


def put_remediations(ctx: AppContext, configurations: str) -> dict[str, Any]:
    configs = json_list(configurations, "--remediation-configurations")
    out = dict(_client(ctx).put_remediation_configurations(RemediationConfigurations=configs))
    names = [str(c.get("ConfigRuleName")) for c in configs]
    return {**out, **describe_remediations(ctx, names)}


def describe_remediations(ctx: AppContext, names: Sequence[str]) -> dict[str, Any]:
    if not names:
        raise UsageError("give the rules: --config-rule-names NAME")
    return dict(_client(ctx).describe_remediation_configurations(ConfigRuleNames=list(names)))


def delete_remediation(ctx: AppContext, name: str, resource_type: str | None = None) -> dict[str, Any]:
    return _done(_client(ctx).delete_remediation_configuration, **compact(ConfigRuleName=name, ResourceType=resource_type))


def start_remediation(ctx: AppContext, name: str, keys: Sequence[str]) -> dict[str, Any]:
    return dict(_client(ctx).start_remediation_execution(ConfigRuleName=name, ResourceKeys=resource_keys(keys)))


def remediation_status(ctx: AppContext, name: str, keys: Sequence[str] = ()) -> dict[str, Any]:
    params: dict[str, Any] = {"ConfigRuleName": name}
    if keys:
        params["ResourceKeys"] = resource_keys(keys)
    return _pages(_client(ctx).describe_remediation_execution_status, "RemediationExecutionStatuses", "NextToken",
                  None, params)  # fmt: skip


# -- conformance packs -----------------------------------------------------------------------------------------------
SAMPLE_PACKS = ("operational-best-practices-for-cis-aws-foundations", "operational-best-practices-for-amazon-s3-and-ec2")


def sample_pack(name: str) -> str:
    """The text of a sample conformance pack shipped with awsmon (awsmon/samples/conformance_packs)."""
    from importlib.resources import files

    if name not in SAMPLE_PACKS:
        raise UsageError(f"unknown sample pack {name!r}", hint=f"choose one of: {', '.join(SAMPLE_PACKS)}")
    return files("awsmon.samples").joinpath("conformance_packs", f"{name}.yaml").read_text(encoding="utf-8")


def _pack_source(template_body: str | None, template_s3_uri: str | None, sample: str | None,
                 parameters: Sequence[str]) -> dict[str, Any]:
    """TemplateBody / TemplateS3Uri / ConformancePackInputParameters of a (organization) conformance pack."""
    from awsmon.inputs import read_arg

    given = [v for v in (template_body, template_s3_uri, sample) if v is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of --template-body, --template-s3-uri or --sample")
    body = sample_pack(sample) if sample else read_arg(template_body, "--template-body") if template_body else None
    inputs = []
    for p in parameters:
        if "=" not in p:
            raise UsageError(f"invalid --conformance-pack-input-parameters value {p!r}: expected ParameterName=Value")
        k, _, v = p.partition("=")
        if k.startswith("ParameterName"):  # aws-cli shorthand ParameterName=k,ParameterValue=v
            spec = parse_structure(p, "--conformance-pack-input-parameters") or {}
            k, v = str(spec.get("ParameterName")), str(spec.get("ParameterValue"))
        inputs.append({"ParameterName": k, "ParameterValue": v})
    return compact(TemplateBody=body, TemplateS3Uri=template_s3_uri, ConformancePackInputParameters=inputs or None)


def put_pack(ctx: AppContext, name: str, *, template_body: str | None = None, template_s3_uri: str | None = None,
             sample: str | None = None, parameters: Sequence[str] = (), delivery_bucket: str | None = None) -> dict[str, Any]:  # fmt: skip
    return dict(_client(ctx).put_conformance_pack(ConformancePackName=name, **compact(DeliveryS3Bucket=delivery_bucket),
                                                  **_pack_source(template_body, template_s3_uri, sample, parameters)))  # fmt: skip


def describe_packs(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_conformance_packs, "ConformancePackDetails", "ConformancePackNames", names)


def pack_compliance(ctx: AppContext, name: str, *, rules: Sequence[str] = (), compliance_type: str | None = None) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if rules:
        filters["ConfigRuleNames"] = list(rules)
    if compliance_type:
        filters["ComplianceType"] = compliance_type
    params: dict[str, Any] = {"ConformancePackName": name, **({"Filters": filters} if filters else {})}
    return {"ConformancePackName": name, **_pages(_client(ctx).describe_conformance_pack_compliance,
                                                  "ConformancePackRuleComplianceList", "NextToken", None, params)}  # fmt: skip


def pack_summary(ctx: AppContext, names: Sequence[str]) -> dict[str, Any]:
    if not names:
        names = [p["ConformancePackName"] for p in describe_packs(ctx).get("ConformancePackDetails", [])]
    if not names:
        return {"ConformancePackComplianceSummaryList": []}
    return dict(_client(ctx).get_conformance_pack_compliance_summary(ConformancePackNames=list(names)))


def delete_pack(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_conformance_pack, ConformancePackName=name)


def put_org_pack(ctx: AppContext, name: str, *, template_body: str | None = None, template_s3_uri: str | None = None,
                 sample: str | None = None, parameters: Sequence[str] = (), delivery_bucket: str | None = None,
                 delivery_prefix: str | None = None, excluded: Sequence[str] = ()) -> dict[str, Any]:  # fmt: skip
    params = compact(DeliveryS3Bucket=delivery_bucket, DeliveryS3KeyPrefix=delivery_prefix,
                     ExcludedAccounts=list(excluded) or None)  # fmt: skip
    return dict(_client(ctx).put_organization_conformance_pack(
        OrganizationConformancePackName=name, **params, **_pack_source(template_body, template_s3_uri, sample, parameters)))


def _named_pages(call: Any, key: str, names_param: str, names: Sequence[str] | None) -> dict[str, Any]:
    """Every page of a Describe* call that takes an optional list of names."""
    return _pages(call, key, "NextToken", None, {names_param: list(names)} if names else {})


def _detailed_pages(call: Any, key: str, name_param: str, name: str, filters: dict[str, Any]) -> dict[str, Any]:
    """Every page of a Get*DetailedStatus call of one organization pack or rule, with its optional Filters."""
    return _pages(call, key, "NextToken", None, {name_param: name, **({"Filters": filters} if filters else {})})


def describe_org_packs(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_organization_conformance_packs, "OrganizationConformancePacks",
                        "OrganizationConformancePackNames", names)  # fmt: skip


def org_pack_statuses(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_organization_conformance_pack_statuses,
                        "OrganizationConformancePackStatuses", "OrganizationConformancePackNames", names)  # fmt: skip


def org_pack_detailed_status(ctx: AppContext, name: str, *, account: str | None = None,
                             status: str | None = None) -> dict[str, Any]:  # fmt: skip
    return _detailed_pages(_client(ctx).get_organization_conformance_pack_detailed_status,
                           "OrganizationConformancePackDetailedStatuses", "OrganizationConformancePackName", name,
                           compact(AccountId=account, Status=status))  # fmt: skip


def delete_org_pack(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_organization_conformance_pack, OrganizationConformancePackName=name)


def put_org_rule(ctx: AppContext, name: str, *, managed: str | None = None, custom_policy: str | None = None,
                 custom: str | None = None, excluded: Sequence[str] = ()) -> dict[str, Any]:  # fmt: skip
    """PutOrganizationConfigRule with one metadata structure (JSON or aws-cli shorthand)."""
    from awsmon.services._input import json_or_shorthand

    meta = compact(OrganizationManagedRuleMetadata=managed, OrganizationCustomPolicyRuleMetadata=custom_policy,
                   OrganizationCustomRuleMetadata=custom)  # fmt: skip
    if len(meta) != 1:
        raise UsageError("give one of --organization-managed-rule-metadata, --organization-custom-policy-rule-metadata "
                         "or --organization-custom-rule-metadata")  # fmt: skip
    key, text = next(iter(meta.items()))
    lists = ("ResourceTypesScope", "OrganizationConfigRuleTriggerTypes", "DebugLogDeliveryAccounts")
    option = "--" + "".join("-" + c.lower() if c.isupper() else c for c in key).lstrip("-")
    params = {key: json_or_shorthand(text, option, lists=lists), **compact(ExcludedAccounts=list(excluded) or None)}
    return dict(_client(ctx).put_organization_config_rule(OrganizationConfigRuleName=name, **params))


def describe_org_rules(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_organization_config_rules, "OrganizationConfigRules",
                        "OrganizationConfigRuleNames", names)  # fmt: skip


def org_rule_statuses(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_organization_config_rule_statuses, "OrganizationConfigRuleStatuses",
                        "OrganizationConfigRuleNames", names)  # fmt: skip


def org_rule_detailed_status(ctx: AppContext, name: str, *, account: str | None = None,
                             status: str | None = None) -> dict[str, Any]:  # fmt: skip
    return _detailed_pages(_client(ctx).get_organization_config_rule_detailed_status,
                           "OrganizationConfigRuleDetailedStatus", "OrganizationConfigRuleName", name,
                           compact(AccountId=account, MemberAccountRuleStatus=status))  # fmt: skip


def delete_org_rule(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_organization_config_rule, OrganizationConfigRuleName=name)


# -- aggregators -----------------------------------------------------------------------------------------------------


def put_aggregator(ctx: AppContext, name: str, sources: str | None, organization: str | None = None) -> dict[str, Any]:
    """PutConfigurationAggregator over accounts (``--account-aggregation-sources``) or the organization
    (``--organization-aggregation-source``, JSON or ``RoleArn=ARN,AllAwsRegions=true`` / ``AwsRegions=[a,b]``)."""
    from awsmon.services._input import json_or_shorthand

    params: dict[str, Any] = {"ConfigurationAggregatorName": name}
    if sources is not None:
        params["AccountAggregationSources"] = json_list(sources, "--account-aggregation-sources")
    if organization is not None:
        params["OrganizationAggregationSource"] = json_or_shorthand(organization, "--organization-aggregation-source",
                                                                    lists=("AwsRegions",))  # fmt: skip
    if len(params) == 1:
        raise UsageError("give --account-aggregation-sources JSON or --organization-aggregation-source")
    return dict(_client(ctx).put_configuration_aggregator(**params))


def describe_aggregators(ctx: AppContext, names: Sequence[str] | None = None) -> dict[str, Any]:
    return _named_pages(_client(ctx).describe_configuration_aggregators, "ConfigurationAggregators", "ConfigurationAggregatorNames", names)


def delete_aggregator(ctx: AppContext, name: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_configuration_aggregator, ConfigurationAggregatorName=name)


def aggregator_sources(ctx: AppContext, name: str) -> dict[str, Any]:
    return _pages(_client(ctx).describe_configuration_aggregator_sources_status, "AggregatedSourceStatusList",
                  "NextToken", None, {"ConfigurationAggregatorName": name})  # fmt: skip


def put_authorization(ctx: AppContext, account: str, region: str) -> dict[str, Any]:
    return dict(_client(ctx).put_aggregation_authorization(AuthorizedAccountId=account, AuthorizedAwsRegion=region))


def describe_authorizations(ctx: AppContext) -> dict[str, Any]:
    return _pages(_client(ctx).describe_aggregation_authorizations, "AggregationAuthorizations", "NextToken", None, {})


def delete_authorization(ctx: AppContext, account: str, region: str) -> dict[str, Any]:
    return _done(_client(ctx).delete_aggregation_authorization, AuthorizedAccountId=account, AuthorizedAwsRegion=region)


def aggregate_by_rules(ctx: AppContext, name: str, filters: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"ConfigurationAggregatorName": name}
    if filters:
        params["Filters"] = parse_structure(filters, "--filters")
    return _pages(_client(ctx).describe_aggregate_compliance_by_config_rules, "AggregateComplianceByConfigRules",
                  "NextToken", None, params)  # fmt: skip


def aggregate_rule_summary(ctx: AppContext, name: str, group_by: str | None = None, filters: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = compact(ConfigurationAggregatorName=name, GroupByKey=group_by,
                                     Filters=parse_structure(filters, "--filters"))  # fmt: skip
    return dict(_client(ctx).get_aggregate_config_rule_compliance_summary(**params))


def aggregate_resource_counts(ctx: AppContext, name: str, group_by: str | None = None, filters: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = compact(ConfigurationAggregatorName=name, GroupByKey=group_by,
                                     Filters=parse_structure(filters, "--filters"))  # fmt: skip
    return dict(_client(ctx).get_aggregate_discovered_resource_counts(**params))


def check_aggregate(ctx: AppContext, name: str, fail_on: Sequence[str] = ("NON_COMPLIANT",)) -> dict[str, Any]:
    """CI gate over an aggregator: one line per (account, Region, rule); failing = compliance type in ``fail_on``."""
    for t in fail_on:
        if t not in ("NON_COMPLIANT", "INSUFFICIENT_DATA", "COMPLIANT"):
            raise UsageError(f"invalid --fail-on {t!r}: use NON_COMPLIANT or INSUFFICIENT_DATA")
    rows = aggregate_by_rules(ctx, name)["AggregateComplianceByConfigRules"]
    out = []
    for r in rows:
        ctype = r["Compliance"]["ComplianceType"]
        count = (r["Compliance"].get("ComplianceContributorCount") or {}).get("CappedCount", 0)
        line = f"{ctype:<17} {r['AccountId']} {r['AwsRegion']} {r['ConfigRuleName']}"
        if ctype == "NON_COMPLIANT":
            line += f": {count} non-compliant resource(s)"
        out.append({"AccountId": r["AccountId"], "AwsRegion": r["AwsRegion"], "ConfigRuleName": r["ConfigRuleName"],
                    "ComplianceType": ctype, "Summary": line})  # fmt: skip
    failing = [f"{r['AccountId']}/{r['AwsRegion']}/{r['ConfigRuleName']}" for r in out if r["ComplianceType"] in fail_on]
    unauthorized = [f"{s['SourceId']}/{s['AwsRegion']}" for s in aggregator_sources(ctx, name)["AggregatedSourceStatusList"]
                    if s.get("LastUpdateStatus") == "FAILED"]  # fmt: skip
    return {"Rules": out, "Checked": len(out), "NonCompliantRules": failing, "UnavailableSources": unauthorized}


# -- advanced query --------------------------------------------------------------------------------------------------


def _parse_results(page: dict[str, Any]) -> dict[str, Any]:
    """Results as objects (AWS returns JSON strings; ``-o json`` shows the API shape with them decoded)."""
    return {**page, "Results": [json.loads(r) if isinstance(r, str) else r for r in page.get("Results") or []]}


def select(ctx: AppContext, expression: str, *, aggregator: str | None = None, limit: int | None = None,
           next_token: str | None = None) -> dict[str, Any]:  # fmt: skip
    """SelectResourceConfig (or SelectAggregateResourceConfig); pages followed unless a token is given."""
    client = _client(ctx)
    params = {"Expression": expression, **compact(Limit=limit, ConfigurationAggregatorName=aggregator)}
    # an empty aggregator name is a bad name (the service says so), not the account's own query
    call = client.select_resource_config if aggregator is None else client.select_aggregate_resource_config
    if next_token is not None:
        return _parse_results(dict(call(**params, **({"NextToken": next_token} if next_token else {}))))
    results: list[Any] = []
    info: dict[str, Any] = {}
    last = None
    for _ in range(MAX_PAGES):
        page = call(**params, **({"NextToken": last} if last else {}))
        results.extend(page.get("Results") or [])
        info = page.get("QueryInfo") or info
        nxt = page.get("NextToken")
        if not nxt or nxt == last or (limit is not None and len(results) >= limit):
            break
        last = nxt
    if limit is not None:
        results = results[:limit]
    return _parse_results({"Results": results, "QueryInfo": info})
