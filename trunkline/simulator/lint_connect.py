"""Amazon Connect's own rules for flow-language documents: what fails to publish, or cannot run as written.

Each rule comes from the flow-language reference (action pages: parameters, errors, restrictions) or from the
shapes Connect accepted in published exports; ``docs/flows.md`` ("What Connect accepts") lists the facts and their
sources. A whole-value ``%Token%`` placeholder is accepted wherever a value is (it is filled before deploying).
Anything Connect accepts must pass here: third-party flows are judged by these rules only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trunkline.simulator.actions import (
    ACTION_SPECS,
    allowed_errors,
    condition_label,
    flow_type_problem,
    phone_validation,
    stores_input,
    transition_list,
)
from trunkline.simulator.findings import Findings
from trunkline.simulator.lint_parameters import PARAMETER_CHECKS, ParameterCheck
from trunkline.simulator.lint_shapes import (
    FLOW_LANGUAGE_VERSION,
    FORBIDDEN_IDENTIFIER_CHARS,
    MAX_ACTIONS,
    MAX_IDENTIFIER,
    OPERATORS,
    RESERVED_IDENTIFIERS,
    TOP_LEVEL_KEYS,
    conditions_of,
    error_types_of,
    transitions_of,
)


def check_document(document: Mapping[str, Any], out: Findings) -> dict[str, Mapping[str, Any]] | None:
    """Document-level rules; the actions by Identifier, or None when there is no Actions list to check."""
    if document.get("Version") != FLOW_LANGUAGE_VERSION:
        out.connect("", f"Version must be {FLOW_LANGUAGE_VERSION!r}, got {document.get('Version')!r}")
    if not isinstance(document.get("Metadata", {}), Mapping):
        out.connect("", "Metadata must be an object")
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            out.connect("", f"unexpected top-level key {key!r}")
    actions = document.get("Actions")
    if not isinstance(actions, list):
        hint = " (this looks like a console export, not the flow language)" if "modules" in document else ""
        out.connect("", f"Actions must be a list{hint}")
        return None
    if len(actions) > MAX_ACTIONS:
        out.connect("", f"{len(actions)} actions; a flow may have at most {MAX_ACTIONS}")
    by_id: dict[str, Mapping[str, Any]] = {}
    for index, action in enumerate(actions):
        identifier = action.get("Identifier") if isinstance(action, Mapping) else None
        if not isinstance(identifier, str) or not identifier:
            out.connect(f"Actions[{index}]", "action without a string Identifier")
            continue
        if identifier in by_id:
            out.connect(identifier, "duplicate Identifier")
        by_id.setdefault(identifier, action)
        if len(identifier) > MAX_IDENTIFIER:
            out.connect(identifier, f"Identifier longer than {MAX_IDENTIFIER} characters")
        if bad := sorted(set(identifier) & FORBIDDEN_IDENTIFIER_CHARS):
            out.connect(identifier, f"Identifier contains forbidden characters {''.join(bad)!r}")
        if identifier in RESERVED_IDENTIFIERS:
            out.connect(identifier, "Identifier is a reserved name")
    start = document.get("StartAction")
    if not isinstance(start, str) or start not in by_id:
        out.connect("", f"StartAction {start!r} is not an action Identifier")
    return by_id


def check_action(
    identifier: str, action: Mapping[str, Any], by_id: Mapping[str, Any], flow_type: str | None, out: Findings
) -> None:
    """Connect's rules for one action: transitions for every type, parameters for the types the simulator models."""
    action_type = str(action.get("Type"))
    if flow_type and (problem := flow_type_problem(action, flow_type)):
        out.connect(identifier, problem)
    _check_targets(identifier, action, by_id, out)
    spec = ACTION_SPECS.get(action_type)
    if spec is None:
        out.warn(
            identifier,
            f"action Type {action.get('Type')!r} is not modeled by the simulator: only its transitions are checked",
        )
        return
    params = action.get("Parameters", {})
    if not isinstance(params, Mapping):
        out.connect(identifier, "Parameters must be an object")
        params = {}
    _check_strings(identifier, params, "Parameters", out)
    allowed = allowed_errors(action)
    for error_type in error_types_of(action):
        if error_type not in allowed:
            out.connect(identifier, f"{_mode(action)} cannot raise {error_type!r} (it can raise {sorted(allowed)})")
    conditions = conditions_of(action)
    if conditions and not spec.conditions:
        out.connect(identifier, f"{action_type} does not support Conditions")
    _check_conditions(identifier, conditions, out)
    continues = spec.uses_next if action_type != "GetParticipantInput" else stores_input(action)
    if continues and not transitions_of(action).get("NextAction"):
        out.connect(identifier, "no NextAction: the success branch is not connected")
    check = PARAMETER_CHECKS.get(action_type)
    if check is not None:
        check(ParameterCheck(identifier, action, params, out))


def _mode(action: Mapping[str, Any]) -> str:
    action_type = str(action.get("Type"))
    if action_type != "GetParticipantInput":
        return action_type
    if not stores_input(action):
        return "GetParticipantInput (menu, StoreInput False)"
    return "GetParticipantInput (StoreInput True" + (", phone validation)" if phone_validation(action) else ")")


def _check_targets(identifier: str, action: Mapping[str, Any], by_id: Mapping[str, Any], out: Findings) -> None:
    transitions = action.get("Transitions", {})
    if not isinstance(transitions, Mapping):
        out.connect(identifier, "Transitions must be an object")
        return
    nxt = transitions.get("NextAction")
    if nxt is not None and not _exists(nxt, by_id):
        out.connect(identifier, f"NextAction {nxt!r} does not exist")
    for key in ("Errors", "Conditions"):
        entries = transitions.get(key)
        if entries is not None and not (isinstance(entries, list) and all(isinstance(e, Mapping) for e in entries)):
            out.connect(identifier, f"Transitions.{key} must be a list of objects, got {entries!r}")
    seen: set[str] = set()
    for err in transition_list(transitions, "Errors"):
        error_type = str(err.get("ErrorType"))
        if error_type in seen:
            out.connect(identifier, f"error type {error_type!r} declared twice")
        seen.add(error_type)
        if not _exists(err.get("NextAction"), by_id):
            out.connect(identifier, f"{error_type} goes to {err.get('NextAction')!r}, which does not exist")
    for cond in transition_list(transitions, "Conditions"):
        if not _exists(cond.get("NextAction"), by_id):
            label = condition_label(cond.get("Condition"))
            out.connect(identifier, f"condition {label} goes to {cond.get('NextAction')!r}, which does not exist")


def _exists(target: object, by_id: Mapping[str, Any]) -> bool:
    return isinstance(target, str) and target in by_id


def _check_strings(identifier: str, value: Any, path: str, out: Findings) -> None:
    """Every parameter value is a string, numbers and booleans included."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_strings(identifier, item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(identifier, item, f"{path}[{index}]", out)
    elif not isinstance(value, str):
        out.connect(identifier, f"{path} is {value!r}; write every value as a string")


def _check_conditions(identifier: str, conditions: list[Mapping[str, Any]], out: Findings) -> None:
    labels: set[str] = set()
    for cond in conditions:
        condition = cond.get("Condition")
        if not isinstance(condition, Mapping):
            out.connect(identifier, "a condition without a Condition object")
            continue
        operator, operands = condition.get("Operator"), condition.get("Operands")
        if not isinstance(operator, str) or operator not in OPERATORS:
            out.connect(identifier, f"unknown condition operator {operator!r}")
        if not isinstance(operands, list) or not operands or not all(isinstance(o, str) for o in operands):
            out.connect(identifier, f"condition Operands must be a non-empty list of strings, got {operands!r}")
        label = condition_label(condition)
        if label in labels:
            out.connect(identifier, f"condition {label} declared twice")
        labels.add(label)
