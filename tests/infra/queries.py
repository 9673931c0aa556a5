"""Small queries over synthesized templates, shared by the infra tests (properties, never snapshots)."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk.assertions import Template

TOKEN_LEFT = re.compile(r"%[A-Za-z][A-Za-z0-9]*(?::[A-Za-z0-9_-]+)?%")


def function(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    """The one function with ``handler``: (logical id, resource)."""
    found = [
        (k, dict(v))
        for k, v in template.find_resources("AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == handler
    ]
    assert len(found) == 1, f"{len(found)} functions with handler {handler}"
    return found[0]


def alias_of(template: Template, function_id: str) -> tuple[str, dict[str, Any]]:
    """The one alias of a function: (logical id, resource)."""
    found = [
        (k, dict(v))
        for k, v in template.find_resources("AWS::Lambda::Alias").items()
        if v["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(found) == 1, f"{len(found)} aliases of {function_id}"
    return found[0]


def role_statements(template: Template, fn: dict[str, Any]) -> list[dict[str, Any]]:
    """Every policy statement attached to the function's role (inline policies)."""
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statements: list[dict[str, Any]]) -> set[str]:
    """All actions of the statements, flattened."""
    out: set[str] = set()
    for statement in statements:
        action = statement["Action"]
        out |= set(action if isinstance(action, list) else [action])
    return out


def refs(node: Any) -> set[str]:
    """Logical ids referenced (Ref / Fn::GetAtt) anywhere below ``node``."""
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return {node["Ref"]}
        if set(node) == {"Fn::GetAtt"}:
            return {node["Fn::GetAtt"][0]}
        return {r for v in node.values() for r in refs(v)}
    if isinstance(node, list):
        return {r for v in node for r in refs(v)}
    return set()


def alarms(template: Template) -> dict[str, dict[str, Any]]:
    """Every CloudWatch alarm's properties, by logical id."""
    return {k: v["Properties"] for k, v in template.find_resources("AWS::CloudWatch::Alarm").items()}


def _placeholder(token: Any) -> str:
    """A JSON-safe stand-in for an intrinsic inside a dashboard body: ``${Id}`` or ``${Id.Attr}``."""
    if isinstance(token, dict) and set(token) == {"Ref"}:
        return f"${{{token['Ref']}}}"
    if isinstance(token, dict) and set(token) == {"Fn::GetAtt"}:
        return "${" + ".".join(token["Fn::GetAtt"]) + "}"
    raise AssertionError(f"unexpected intrinsic in a dashboard body: {token}")


def dashboard(template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one dashboard: (properties, parsed body with ``${Id}`` placeholders for references)."""
    (resource,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    props = resource["Properties"]
    body = props["DashboardBody"]
    if isinstance(body, dict):
        separator, parts = body["Fn::Join"]
        body = separator.join(p if isinstance(p, str) else _placeholder(p) for p in parts)
    parsed: dict[str, Any] = json.loads(body)
    return props, parsed


def dashboard_metrics(body: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Every metric line of every graph: (widget title, the line: ``[namespace, name, dim, value, …, {opts}]`` or
    ``[{"expression": …}]``)."""
    return [
        (widget["properties"].get("title", ""), line)
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"].get("metrics", [])
    ]


def metric_dimensions(line: list[Any]) -> dict[str, Any]:
    """The dimensions of a dashboard metric line ``[namespace, name, d1, v1, d2, v2, …, {options}]``."""
    values = [v for v in line[2:] if not isinstance(v, dict)]
    return dict(zip(values[::2], values[1::2], strict=True))
