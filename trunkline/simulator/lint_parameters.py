"""Connect's parameter rules, one check per action type the simulator models (``PARAMETER_CHECKS``); each fact's
source is in ``docs/flows.md`` ("What Connect accepts")."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from trunkline.simulator.actions import (
    MAX_CONTACT_TAGS,
    MAX_TAG_VALUE_CHARS,
    condition_label,
    phone_validation,
    stores_input,
    tag_key_problem,
)
from trunkline.simulator.findings import Findings
from trunkline.simulator.lint_shapes import (
    ATTRIBUTE_KEY,
    MAX_LAMBDA_SECONDS,
    PROMPT_KEYS,
    RESPONSE_TYPES,
    Params,
    conditions_of,
    is_placeholder,
    static_int,
)
from trunkline.simulator.paths import is_reference


@dataclass(frozen=True, slots=True)
class ParameterCheck:
    """One action under a parameter check."""

    identifier: str
    action: Mapping[str, Any]
    params: Params
    out: Findings

    def error(self, message: str) -> None:
        self.out.connect(self.identifier, message)


def _exactly_one(c: ParameterCheck, names: tuple[str, ...]) -> None:
    if sum(n in c.params for n in names) != 1:
        c.error(f"exactly one of {', '.join(names)} is required")


def _static_in_range(c: ParameterCheck, name: str, low: int, high: int) -> None:
    value = c.params.get(name)
    if is_placeholder(value):
        return
    number = static_int(value)
    if number is None or not low <= number <= high:
        c.error(f"{name} must be a static string integer {low}..{high}, got {value!r}")


def _invoke_lambda(c: ParameterCheck) -> None:
    if not c.params.get("LambdaFunctionARN"):
        c.error("LambdaFunctionARN is required")
    if c.params.get("InvocationType", "SYNCHRONOUS") == "SYNCHRONOUS":
        _static_in_range(c, "InvocationTimeLimitSeconds", 1, MAX_LAMBDA_SECONDS)
    validation = c.params.get("ResponseValidation")  # absent: STRING_MAP
    if validation is not None and (
        not isinstance(validation, Mapping) or str(validation.get("ResponseType")) not in RESPONSE_TYPES
    ):
        c.error(f"ResponseValidation.ResponseType must be STRING_MAP or JSON, got {validation!r}")


def _compare(c: ParameterCheck) -> None:
    value = c.params.get("ComparisonValue")
    if not (is_reference(value) or is_placeholder(value)):
        c.error(f"ComparisonValue must be one reference ($.…), got {value!r}")
    if not conditions_of(c.action):
        c.error("Compare without conditions")


def _check_hours(c: ParameterCheck) -> None:
    for cond in conditions_of(c.action):
        condition = cond.get("Condition")
        if isinstance(condition, Mapping) and condition_label(condition) not in ("Equals:True", "Equals:False"):
            c.error(f"condition {condition_label(condition)}: only Equals True / Equals False")


def _update_contact_attributes(c: ParameterCheck) -> None:
    attributes = c.params.get("Attributes")
    if not isinstance(attributes, Mapping) or not attributes:
        c.error("Attributes must be a non-empty object")
    else:
        for key in attributes:
            dynamic = is_reference(key) or is_placeholder(key)  # keys set from a reply (rules-engine sample)
            if not dynamic and not ATTRIBUTE_KEY.match(str(key)):
                c.error(f"attribute name {key!r} must match [A-Za-z0-9_-]+")
    if c.params.get("TargetContact", "Current") not in ("Current", "Related"):
        c.error("TargetContact must be Current or Related")


def _update_flow_attributes(c: ParameterCheck) -> None:
    if not isinstance(c.params.get("FlowAttributes"), Mapping) or not c.params.get("FlowAttributes"):
        c.error("FlowAttributes must be a non-empty object")


def _update_target_queue(c: ParameterCheck) -> None:
    _exactly_one(c, ("QueueId", "AgentId"))


def _routing_behavior(c: ParameterCheck) -> None:
    _exactly_one(c, ("QueuePriority", "QueueTimeAdjustmentSeconds"))
    priority = c.params.get("QueuePriority")
    if "QueuePriority" in c.params and not is_placeholder(priority) and (static_int(priority) or 0) < 1:
        c.error("QueuePriority must be a static integer > 0 (it cannot be a reference)")
    adjustment = c.params.get("QueueTimeAdjustmentSeconds")
    static = isinstance(adjustment, str) and re.fullmatch(r"-?\d+", adjustment) is not None
    if "QueueTimeAdjustmentSeconds" in c.params and not is_placeholder(adjustment) and not static:
        c.error("QueueTimeAdjustmentSeconds must be a static integer")


def _message_participant(c: ParameterCheck) -> None:
    _exactly_one(c, PROMPT_KEYS)


def _get_participant_input(c: ParameterCheck) -> None:
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


def _callback_number(c: ParameterCheck) -> None:
    value = c.params.get("CallbackNumber")
    if not (is_reference(value) or is_placeholder(value)):
        c.error("CallbackNumber must be a reference; it cannot be static")


def _create_callback(c: ParameterCheck) -> None:
    if "QueueId" in c.params and "AgentId" in c.params:
        c.error("QueueId and AgentId are exclusive")
    _static_in_range(c, "MaximumConnectionAttempts", 1, 2**31 - 1)
    _static_in_range(c, "RetryDelaySeconds", 1, 259_200)
    if "ContactFlowId" not in c.params:
        _static_in_range(c, "InitialCallDelaySeconds", 1, 259_200)


def _transfer_to_flow(c: ParameterCheck) -> None:
    if not c.params.get("ContactFlowId"):
        c.error("ContactFlowId is required")


def _tag_contact(c: ParameterCheck) -> None:
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


def _logging(c: ParameterCheck) -> None:
    if c.params.get("FlowLoggingBehavior") not in ("Enabled", "Disabled"):
        c.error("FlowLoggingBehavior must be Enabled or Disabled")


PARAMETER_CHECKS: Final[dict[str, Callable[[ParameterCheck], None]]] = {
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
