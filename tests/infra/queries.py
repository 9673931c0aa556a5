"""Small queries over synthesized templates, shared by the infra tests (properties, never snapshots)."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk.assertions import Template

TOKEN_LEFT = re.compile(r"%[A-Za-z][A-Za-z0-9]*(?::[A-Za-z0-9_-]+)?%")


def function(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    """The one function with ``handler``: (logical id, resource)."""
    found = [
        (k, v)
        for k, v in template.find_resources("AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == handler
    ]
    assert len(found) == 1, f"{len(found)} functions with handler {handler}"
    return found[0]


def alias_of(template: Template, function_id: str) -> tuple[str, dict[str, Any]]:
    """The one alias of a function: (logical id, resource)."""
    found = [
        (k, v)
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
