"""Routing criteria: the config's steps as Connect's ``RoutingCriteria.Steps`` for a JSON Lambda reply.

``route`` answers ``routing_criteria`` as JSON text in its STRING_MAP reply (a string map cannot nest). When it is
set, the inbound flow calls ``route`` a second time with ``trunkline_request=routing_criteria`` and
``ResponseValidation: JSON``; this module turns the text into the nested list ``UpdateContactRoutingCriteria``
reads as ``$.External.Steps`` (docs/flows.md, "Routing criteria": what only a real instance proves).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

REQUEST = "routing_criteria"  # the ``trunkline_request`` parameter value


def _condition(raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        level = float(raw["ProficiencyLevel"])
    except (KeyError, TypeError, ValueError):
        return None
    name, value = raw.get("Name"), raw.get("Value")
    if not isinstance(name, str) or not isinstance(value, str):
        return None
    return {
        "Name": name,
        "Value": value,
        "ProficiencyLevel": level,  # "a float value": 1.0 .. 5.0
        "ComparisonOperator": str(raw.get("ComparisonOperator") or "NumberGreaterOrEqualTo"),
    }


def _expression(raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        return None
    if "AttributeCondition" in raw:
        condition = _condition(raw["AttributeCondition"])
        return {"AttributeCondition": condition} if condition else None
    parts = raw.get("AndExpression")
    if isinstance(parts, list) and parts:
        conditions = [_condition(p.get("AttributeCondition")) if isinstance(p, Mapping) else None for p in parts]
        if all(conditions):
            return {"AndExpression": [{"AttributeCondition": c} for c in conditions]}
    return None


def connect_steps(text: str) -> list[dict[str, Any]]:
    """Config-form steps (``[{"expression": {...}, "expiry_seconds": 30}]``) as Connect Steps; [] if unusable.

    All or nothing: one malformed step drops the criteria (the contact is then routed by its queue alone, as
    without criteria), never a partial list that would route by the wrong requirement.
    """
    try:
        raw = json.loads(text) if text else []
    except ValueError:
        return []
    if not isinstance(raw, list):
        return []
    steps: list[dict[str, Any]] = []
    for item in raw:
        expression = _expression(item.get("expression")) if isinstance(item, Mapping) else None
        if expression is None:
            return []
        step: dict[str, Any] = {"Expression": expression}
        expiry = item.get("expiry_seconds")
        if isinstance(expiry, int) and not isinstance(expiry, bool) and expiry > 0:
            step["Expiry"] = {"DurationInSeconds": expiry}
        steps.append(step)
    return steps


def criteria_reply(parameters: Mapping[str, object]) -> dict[str, Any]:
    """The JSON reply for ``trunkline_request=routing_criteria``: ``{"Steps": [...]}`` (empty list: none)."""
    text = parameters.get("routing_criteria")
    return {"Steps": connect_steps(text if isinstance(text, str) else "")}
