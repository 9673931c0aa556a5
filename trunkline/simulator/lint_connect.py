"""Amazon Connect's own rules for flow-language documents: what fails to publish, or cannot run as written.

Each rule comes from the flow-language reference (action pages: parameters, errors, restrictions) or from the
shapes Connect accepted in published exports; ``docs/flows.md`` ("What Connect accepts") lists the facts and their
sources. A whole-value ``%Token%`` placeholder is accepted wherever a value is (it is filled before deploying).
Anything Connect accepts must pass here: third-party flows are judged by these rules only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from trunkline.simulator.actions import (
    ACTION_SPECS,
    MAX_CONTACT_TAGS,
    MAX_TAG_VALUE_CHARS,
    allowed_errors,
    condition_label,
    flow_type_problem,
    phone_validation,
    stores_input,
    tag_key_problem,
    transition_list,
)
from trunkline.simulator.findings import Findings
from trunkline.simulator.flow import TOKEN
from trunkline.simulator.paths import is_reference

FLOW_LANGUAGE_VERSION: Final = "2019-10-30"
MAX_ACTIONS: Final = 250
MAX_IDENTIFIER: Final = 50
MAX_LAMBDA_SECONDS: Final = 8
FORBIDDEN_IDENTIFIER_CHARS: Final = frozenset("%:()\\/=$,;[]{}")
RESERVED_IDENTIFIERS: Final = frozenset(
    {
        "__proto__",
        "constructor",
        "toString",
        "valueOf",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
    }
)
OPERATORS: Final = frozenset(
    {
        "Equals",
        "TextContains",
        "TextStartsWith",
        "TextEndsWith",
        "NumberGreaterThan",
        "NumberGreaterOrEqualTo",
        "NumberLessThan",
        "NumberLessOrEqualTo",
    }
)
TOP_LEVEL_KEYS: Final = frozenset({"Version", "StartAction", "Metadata", "Actions", "Settings"})
RESPONSE_TYPES: Final = frozenset({"STRING_MAP", "JSON"})
PROMPT_KEYS: Final = ("Text", "SSML", "PromptId", "Media")
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")

Params = Mapping[str, Any]


def is_placeholder(value: object) -> bool:
    """A whole-value ``%Token%``: stands for whatever value is filled in before deploying."""
    return isinstance(value, str) and TOKEN.match(value) is not None


def static_int(value: object) -> int | None:
    """The integer a static string parameter holds, or None (a reference, a number not written as a string…)."""
    if isinstance(value, str) and not is_reference(value) and re.fullmatch(r"\d+", value.strip()):
        return int(value)
    return None


def transitions_of(action: Mapping[str, Any]) -> Mapping[str, Any]:
    """The action's Transitions object (empty when absent or malformed)."""
    transitions = action.get("Transitions")
    return transitions if isinstance(transitions, Mapping) else {}


def conditions_of(action: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The action's condition transitions."""
    return transition_list(transitions_of(action), "Conditions")


def error_types_of(action: Mapping[str, Any]) -> list[str]:
    """The ErrorType of each declared error transition, in order."""
    return [str(e.get("ErrorType")) for e in transition_list(transitions_of(action), "Errors")]


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
    check = _PARAMETER_CHECKS.get(action_type)
    if check is not None:
        check(_Check(identifier, action, params, out))


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


@dataclass(frozen=True, slots=True)
class _Check:
    """One action under a parameter check."""

    identifier: str
    action: Mapping[str, Any]
    params: Params
    out: Findings

    def error(self, message: str) -> None:
        self.out.connect(self.identifier, message)


def _exactly_one(c: _Check, names: tuple[str, ...]) -> None:
    if sum(n in c.params for n in names) != 1:
        c.error(f"exactly one of {', '.join(names)} is required")


def _static_in_range(c: _Check, name: str, low: int, high: int) -> None:
    value = c.params.get(name)
    if is_placeholder(value):
        return
    number = static_int(value)
    if number is None or not low <= number <= high:
        c.error(f"{name} must be a static string integer {low}..{high}, got {value!r}")


def _invoke_lambda(c: _Check) -> None:
    if not c.params.get("LambdaFunctionARN"):
        c.error("LambdaFunctionARN is required")
    if c.params.get("InvocationType", "SYNCHRONOUS") == "SYNCHRONOUS":
        _static_in_range(c, "InvocationTimeLimitSeconds", 1, MAX_LAMBDA_SECONDS)
    validation = c.params.get("ResponseValidation")  # absent: STRING_MAP
    if validation is not None and (
        not isinstance(validation, Mapping) or str(validation.get("ResponseType")) not in RESPONSE_TYPES
    ):
        c.error(f"ResponseValidation.ResponseType must be STRING_MAP or JSON, got {validation!r}")


def _compare(c: _Check) -> None:
    value = c.params.get("ComparisonValue")
    if not (is_reference(value) or is_placeholder(value)):
        c.error(f"ComparisonValue must be one reference ($.…), got {value!r}")
    if not conditions_of(c.action):
        c.error("Compare without conditions")


def _check_hours(c: _Check) -> None:
    for cond in conditions_of(c.action):
        condition = cond.get("Condition")
        if isinstance(condition, Mapping) and condition_label(condition) not in ("Equals:True", "Equals:False"):
            c.error(f"condition {condition_label(condition)}: only Equals True / Equals False")


def _update_contact_attributes(c: _Check) -> None:
    attributes = c.params.get("Attributes")
    if not isinstance(attributes, Mapping) or not attributes:
        c.error("Attributes must be a non-empty object")
    else:
        for key in attributes:
            dynamic = is_reference(key) or is_placeholder(key)  # keys set from a reply (rules-engine sample)
            if not dynamic and not _ATTRIBUTE_KEY.match(str(key)):
                c.error(f"attribute name {key!r} must match [A-Za-z0-9_-]+")
    if c.params.get("TargetContact", "Current") not in ("Current", "Related"):
        c.error("TargetContact must be Current or Related")


def _update_flow_attributes(c: _Check) -> None:
    if not isinstance(c.params.get("FlowAttributes"), Mapping) or not c.params.get("FlowAttributes"):
        c.error("FlowAttributes must be a non-empty object")


def _update_target_queue(c: _Check) -> None:
    _exactly_one(c, ("QueueId", "AgentId"))


def _routing_behavior(c: _Check) -> None:
    _exactly_one(c, ("QueuePriority", "QueueTimeAdjustmentSeconds"))
    priority = c.params.get("QueuePriority")
    if "QueuePriority" in c.params and not is_placeholder(priority) and (static_int(priority) or 0) < 1:
        c.error("QueuePriority must be a static integer > 0 (it cannot be a reference)")
    adjustment = c.params.get("QueueTimeAdjustmentSeconds")
    static = isinstance(adjustment, str) and re.fullmatch(r"-?\d+", adjustment) is not None
    if "QueueTimeAdjustmentSeconds" in c.params and not is_placeholder(adjustment) and not static:
        c.error("QueueTimeAdjustmentSeconds must be a static integer")


def _message_participant(c: _Check) -> None:
    _exactly_one(c, PROMPT_KEYS)


def _get_participant_input(c: _Check) -> None:
    if sum(k in c.params for k in PROMPT_KEYS) > 1:
        c.error(f"at most one of {', '.join(PROMPT_KEYS)}")
    if not stores_input(c.action):
        if "InputValidation" in c.params:
            c.error("InputValidation is only for StoreInput True (a menu matches Conditions)")
        if "InputTimeLimitSeconds" in c.params:
            _static_in_range(c, "InputTimeLimitSeconds", 1, 180)
        for cond in conditions_of(c.action):
            condition = cond.get("Condition")
            if isinstance(condition, Mapping) and condition.get("Operator") != "Equals":
                c.error(f"a menu condition must use Equals, got {condition.get('Operator')!r}")
        return
    if conditions_of(c.action):
        c.error("StoreInput True takes no Conditions (the input is stored, not matched)")
    validation = c.params.get("InputValidation")
    phone = phone_validation(c.action)
    custom = validation.get("CustomValidation") if isinstance(validation, Mapping) else None
    if phone is None and not isinstance(custom, Mapping):
        c.error("StoreInput True requires InputValidation (PhoneNumberValidation, or CustomValidation.MaximumLength)")
    elif phone is not None:
        number_format = phone.get("NumberFormat")
        if number_format not in ("Local", "E164") and not is_placeholder(number_format):
            c.error(f"PhoneNumberValidation.NumberFormat must be Local or E164, got {number_format!r}")
        if number_format == "Local" and not phone.get("CountryCode"):
            c.error("PhoneNumberValidation with NumberFormat Local needs a CountryCode")
    elif isinstance(custom, Mapping) and not custom.get("MaximumLength"):
        c.error("CustomValidation needs MaximumLength")


def _callback_number(c: _Check) -> None:
    value = c.params.get("CallbackNumber")
    if not (is_reference(value) or is_placeholder(value)):
        c.error("CallbackNumber must be a reference; it cannot be static")


def _create_callback(c: _Check) -> None:
    if "QueueId" in c.params and "AgentId" in c.params:
        c.error("QueueId and AgentId are exclusive")
    _static_in_range(c, "MaximumConnectionAttempts", 1, 2**31 - 1)
    _static_in_range(c, "RetryDelaySeconds", 1, 259_200)
    if "ContactFlowId" not in c.params:
        _static_in_range(c, "InitialCallDelaySeconds", 1, 259_200)


def _transfer_to_flow(c: _Check) -> None:
    if not c.params.get("ContactFlowId"):
        c.error("ContactFlowId is required")


def _tag_contact(c: _Check) -> None:
    tags = c.params.get("Tags")
    if not isinstance(tags, Mapping) or not tags:
        c.error("Tags must be a non-empty object of key -> value")
        return
    if len(tags) > MAX_CONTACT_TAGS:
        c.error(f"{len(tags)} tags; a contact holds at most {MAX_CONTACT_TAGS} user tags")
    for key, value in tags.items():
        if not is_placeholder(key) and (problem := tag_key_problem(str(key))):
            c.error(problem)
        if isinstance(value, str) and not is_reference(value) and len(value) > MAX_TAG_VALUE_CHARS:
            c.error(f"tag {key!r} value is longer than {MAX_TAG_VALUE_CHARS} characters")


def _logging(c: _Check) -> None:
    if c.params.get("FlowLoggingBehavior") not in ("Enabled", "Disabled"):
        c.error("FlowLoggingBehavior must be Enabled or Disabled")


_PARAMETER_CHECKS: Final[dict[str, Callable[[_Check], None]]] = {
    "InvokeLambdaFunction": _invoke_lambda,
    "Compare": _compare,
    "CheckHoursOfOperation": _check_hours,
    "UpdateContactAttributes": _update_contact_attributes,
    "UpdateFlowAttributes": _update_flow_attributes,
    "UpdateContactTargetQueue": _update_target_queue,
    "UpdateContactRoutingBehavior": _routing_behavior,
    "MessageParticipant": _message_participant,
    "GetParticipantInput": _get_participant_input,
    "UpdateContactCallbackNumber": _callback_number,
    "CreateCallbackContact": _create_callback,
    "TransferToFlow": _transfer_to_flow,
    "TagContact": _tag_contact,
    "UpdateFlowLoggingBehavior": _logging,
}
