"""Conformance pack templates (AWS's YAML/JSON format) -> the Config rules they deploy. Pure, no I/O.

A template has ``Parameters`` (``Name: {Type, Default}``) and ``Resources`` of ``Type: AWS::Config::ConfigRule``
whose ``Properties`` are a ConfigRule (``ConfigRuleName``, ``Source``, ``Scope``, ``InputParameters`` as a *map*,
``MaximumExecutionFrequency``, ``Description``). ``{Ref: Param}`` anywhere in the properties takes the pack's input
parameter or the parameter's default. Other resource types (e.g. ``AWS::Config::RemediationConfiguration``),
``Conditions`` and intrinsic functions other than ``Ref`` are refused with a message naming them [design choice:
awsmon deploys rules only].
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_TEMPLATE = 51_200  # TemplateBody limit in the Config API model
MAX_RULES = 130  # rules per conformance pack (configlimits.md)


class TemplateError(ValueError):
    """The template is not a conformance pack awsmon can deploy (AWS: ConformancePackTemplateValidationException)."""


def load(text: str) -> dict[str, Any]:
    import yaml

    if not isinstance(text, str) or not text.strip():
        raise TemplateError("Template body is empty.")
    if len(text) > MAX_TEMPLATE:
        raise TemplateError(f"Template body is longer than {MAX_TEMPLATE} characters.")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        pos = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        raise TemplateError(f"Template is not valid YAML or JSON{pos}: {getattr(exc, 'problem', None) or exc}.") from None
    if not isinstance(doc, dict):
        raise TemplateError("Template must be a YAML or JSON object with Resources.")
    return doc


def _resolve(value: Any, params: Mapping[str, str], where: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            name = value["Ref"]
            if name not in params:
                raise TemplateError(f"Unresolved reference {name!r} in {where}: no parameter of that name.")
            return params[name]
        fns = [k for k in value if isinstance(k, str) and k.startswith("Fn::")]
        if fns:
            raise TemplateError(f"Intrinsic function {fns[0]} in {where} is not supported (only Ref).")
        return {k: _resolve(v, params, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params, where) for v in value]
    return value


def rules(doc: Mapping[str, Any], inputs: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The ConfigRule structures a template deploys, parameters substituted, InputParameters as JSON text."""
    declared = doc.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise TemplateError("Parameters must be a map of parameter name to {Type, Default}.")
    params: dict[str, str] = {}
    for name, spec in declared.items():
        if not isinstance(spec, dict):
            raise TemplateError(f"Parameter {name} must be a map with Type and Default.")
        if "Default" in spec:
            params[str(name)] = str(spec["Default"])
    for name, value in (inputs or {}).items():
        if name not in declared:
            raise TemplateError(f"Input parameter {name} is not declared in the template's Parameters.")
        params[name] = str(value)
    missing = [n for n in declared if n not in params]
    if missing:
        raise TemplateError(f"Parameter {missing[0]} has no Default and no input value.")
    if doc.get("Conditions"):
        raise TemplateError("Conditions are not supported by awsmon's local conformance packs.")
    resources = doc.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template must have a Resources section with at least one AWS::Config::ConfigRule.")
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for logical, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::Config::ConfigRule":
            kind = res.get("Type") if isinstance(res, dict) else None
            raise TemplateError(f"Resource {logical} of type {kind} is not supported: a conformance pack deploys "
                                "AWS::Config::ConfigRule resources.")  # fmt: skip
        props = _resolve(res.get("Properties") or {}, params, f"resource {logical}")
        if not isinstance(props, dict) or not props.get("ConfigRuleName") or not isinstance(props.get("Source"), dict):
            raise TemplateError(f"Resource {logical} needs Properties with ConfigRuleName and Source.")
        name = str(props["ConfigRuleName"])
        if name in names:
            raise TemplateError(f"Two resources deploy the rule {name}.")
        names.add(name)
        rule = {k: props[k] for k in ("ConfigRuleName", "Description", "Scope", "Source", "MaximumExecutionFrequency")
                if k in props}  # fmt: skip
        ip = props.get("InputParameters")
        if ip is not None:
            if isinstance(ip, dict):
                rule["InputParameters"] = json.dumps({k: str(v) if not isinstance(v, str) else v for k, v in ip.items()})
            elif isinstance(ip, str):
                rule["InputParameters"] = ip
            else:
                raise TemplateError(f"InputParameters of resource {logical} must be a map.")
        out.append(rule)
    if len(out) > MAX_RULES:
        raise TemplateError(f"A conformance pack has at most {MAX_RULES} rules; this template has {len(out)}.")
    return out
