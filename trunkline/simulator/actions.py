"""What the simulator knows about each action type: its error types, conditions, and how it leaves.

Sources: the Amazon Connect flow-language reference pages (``interactions-invokelambdafunction``,
``flow-control-actions-compare``, ``contact-actions-transfercontacttoqueue``…), summarised in
``/work/shared/reference/amazon-connect.md`` §2.2. Branch labels used in traces and coverage:

* ``NextAction`` — the success transition;
* ``<Operator>:<operand|operand>`` — a condition (``Equals:ROUTED``);
* the ``ErrorType`` — an error transition (``NoMatchingError``, ``QueueAtCapacity``…);
* ``Transferred`` / ``TransferredToFlow`` / ``Disconnected`` / ``Ended`` — the run ends (or leaves the flow).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

NEXT: Final = "NextAction"
TRANSFERRED: Final = "Transferred"
TRANSFERRED_TO_FLOW: Final = "TransferredToFlow"
DISCONNECTED: Final = "Disconnected"
ENDED: Final = "Ended"

#: Connect accepts a ``NoMatchingError`` branch on every action: console exports give one to TagContact and
#: UpdateFlowAttributes, whose reference pages list no errors (voicemail-express and gitlab CI/CD samples).
NO_MATCHING_ERROR: Final = "NoMatchingError"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """The transitions an action type may declare and take."""

    errors: frozenset[str] = frozenset()  # every error type the action may declare, in any of its modes
    conditions: bool = False
    uses_next: bool = True  # success continues at NextAction
    terminal: str | None = None  # the branch label when the action ends the run / leaves the flow


def _spec(
    errors: tuple[str, ...] = (), *, conditions: bool = False, uses_next: bool = True, terminal: str | None = None
) -> ActionSpec:
    return ActionSpec(frozenset((*errors, NO_MATCHING_ERROR)), conditions, uses_next, terminal)


ACTION_SPECS: Final[Mapping[str, ActionSpec]] = {
    "InvokeLambdaFunction": _spec(),
    "Compare": _spec(("NoMatchingCondition",), conditions=True, uses_next=False),
    "UpdateContactAttributes": _spec(),
    "UpdateFlowAttributes": _spec(),
    "UpdateContactTargetQueue": _spec(),
    "TransferContactToQueue": _spec(("QueueAtCapacity",), uses_next=False, terminal=TRANSFERRED),
    "UpdateContactRoutingBehavior": _spec(),
    "CheckHoursOfOperation": _spec(conditions=True, uses_next=False),
    "MessageParticipant": _spec(),
    # every mode together; ``allowed_errors`` narrows them to the action's mode
    "GetParticipantInput": _spec(
        ("InputTimeLimitExceeded", "NoMatchingCondition", "InvalidPhoneNumber"), conditions=True
    ),
    "UpdateContactCallbackNumber": _spec(("InvalidCallbackNumber", "CallbackNumberNotDialable")),
    "CreateCallbackContact": _spec(),
    "TransferToFlow": _spec(uses_next=False, terminal=TRANSFERRED_TO_FLOW),
    "DisconnectParticipant": _spec(uses_next=False, terminal=DISCONNECTED),
    "EndFlowExecution": _spec(uses_next=False, terminal=ENDED),
    "UpdateFlowLoggingBehavior": _spec(),
    "TagContact": _spec(),  # the reference lists no errors; exports declare NoMatchingError (see above)
    # The reference page is titled UpdateRoutingCriteria; exports and the service use this Type (docs/flows.md).
    "UpdateContactRoutingCriteria": _spec(),
    "UpdateContactTextToSpeechVoice": _spec(),
}

#: TagContact limits (API reference, ``TagContact``): user tags per contact, key pattern and lengths. The pattern is
#: AWS's verbatim; note that ``+-=`` inside the class is a range (``+`` … ``=``), so digits and ``,;<`` pass too.
MAX_CONTACT_TAGS: Final = 6
MAX_TAG_KEY_CHARS: Final = 128
MAX_TAG_VALUE_CHARS: Final = 256
TAG_KEY_PATTERN: Final = re.compile(r"^(?!aws:)[a-zA-Z+-=._:/]+$")

#: Types whose run ends in this flow: every path of a flow must reach one of these (or leave by TransferToFlow).
TERMINAL_TYPES: Final = frozenset(t for t, s in ACTION_SPECS.items() if s.terminal is not None)


#: CfnContactFlow ``Type`` values.
FLOW_TYPES: Final = frozenset(
    {
        "CONTACT_FLOW",
        "CUSTOMER_QUEUE",
        "CUSTOMER_HOLD",
        "CUSTOMER_WHISPER",
        "AGENT_HOLD",
        "AGENT_WHISPER",
        "OUTBOUND_WHISPER",
        "AGENT_TRANSFER",
        "QUEUE_TRANSFER",
        "CAMPAIGN",
    }
)
STORE_INPUT: Final = "GetParticipantInput (StoreInput True)"
_INBOUND_AND_TRANSFER: Final = frozenset({"CONTACT_FLOW", "AGENT_TRANSFER", "QUEUE_TRANSFER"})
_HOLD: Final = frozenset({"CUSTOMER_HOLD", "AGENT_HOLD"})
_WHISPER: Final = frozenset({"CUSTOMER_WHISPER", "AGENT_WHISPER", "OUTBOUND_WHISPER"})
#: Flow types the "Restrictions" of each action's flow-language reference page name ("supported only in inbound
#: contact flows and transfer flows"…), for the action types where we could read them (docs/flows.md, "What Connect
#: accepts"). An action type not listed here is not restricted by the lint. ``CAMPAIGN`` flows are not classified
#: by those pages, so they are not checked.
ALLOWED_FLOW_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "TransferContactToQueue": _INBOUND_AND_TRANSFER,
    "UpdateContactTargetQueue": _INBOUND_AND_TRANSFER,
    "TransferToFlow": _INBOUND_AND_TRANSFER,
    "UpdatePreviousContactParticipantState": _INBOUND_AND_TRANSFER,
    "UpdateContactRoutingBehavior": frozenset({"CONTACT_FLOW"}),
    "InvokeFlowModule": frozenset({"CONTACT_FLOW"}),
    "UpdateContactCallbackNumber": _INBOUND_AND_TRANSFER | {"CUSTOMER_QUEUE"},
    "EndFlowExecution": _WHISPER | {"CUSTOMER_QUEUE"},
    "MessageParticipantIteratively": _HOLD | {"CUSTOMER_QUEUE"},
    "UpdateContactMediaStreamingBehavior": FLOW_TYPES - _HOLD - {"CAMPAIGN"},
    "DisconnectParticipant": _INBOUND_AND_TRANSFER | {"CUSTOMER_QUEUE"},
    # the "Store customer input" block's page (flow types of the block, not of GetParticipantInput as a whole)
    STORE_INPUT: _INBOUND_AND_TRANSFER | {"CUSTOMER_QUEUE"},
}


def flow_type_problem(action: Mapping[str, Any], flow_type: str) -> str | None:
    """Why ``action`` cannot appear in a flow of ``flow_type``, or None when it can (or we cannot tell)."""
    kind = STORE_INPUT if action.get("Type") == "GetParticipantInput" and stores_input(action) else action.get("Type")
    allowed = ALLOWED_FLOW_TYPES.get(str(kind))
    if allowed is None or flow_type == "CAMPAIGN" or flow_type in allowed:
        return None
    return f"{kind} is not supported in {flow_type} flows (only in {', '.join(sorted(allowed))})"


def phone_validation(action: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """GetParticipantInput's ``InputValidation.PhoneNumberValidation`` object, or None."""
    params = action.get("Parameters")
    validation = params.get("InputValidation") if isinstance(params, Mapping) else None
    phone = validation.get("PhoneNumberValidation") if isinstance(validation, Mapping) else None
    return phone if isinstance(phone, Mapping) else None


def allowed_errors(action: Mapping[str, Any]) -> frozenset[str]:
    """The error types Connect accepts on this action in its mode (empty for a type the simulator does not model).

    GetParticipantInput storing input has no timeout and no NoMatchingCondition (a silent caller continues with
    ``Timeout`` stored), and ``InvalidPhoneNumber`` only with phone-number validation; a menu has no
    ``InvalidPhoneNumber``.
    """
    spec = ACTION_SPECS.get(str(action.get("Type")))
    if spec is None:
        return frozenset()
    if action.get("Type") != "GetParticipantInput":
        return spec.errors
    if not stores_input(action):
        return frozenset({"InputTimeLimitExceeded", "NoMatchingCondition", NO_MATCHING_ERROR})
    return frozenset({NO_MATCHING_ERROR, "InvalidPhoneNumber"} if phone_validation(action) else {NO_MATCHING_ERROR})


def tag_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a contact tag key, or None when it can."""
    if not 1 <= len(key) <= MAX_TAG_KEY_CHARS:
        return f"tag key {key!r} must be 1..{MAX_TAG_KEY_CHARS} characters"
    if not TAG_KEY_PATTERN.match(key):
        return f"tag key {key!r} must match {TAG_KEY_PATTERN.pattern} (no aws: prefix)"
    return None


def transition_list(transitions: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The ``Conditions`` / ``Errors`` entries that are objects (a malformed list is reported by the lint)."""
    entries = transitions.get(key)
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []


def _target(entry: Mapping[str, Any]) -> str | None:
    target = entry.get("NextAction")
    return target if isinstance(target, str) else None


def condition_label(condition: object) -> str:
    """``Equals:ROUTED`` for ``{"Operator": "Equals", "Operands": ["ROUTED"]}``."""
    if not isinstance(condition, Mapping):
        return "?:?"
    operands = condition.get("Operands")
    values = "|".join(str(o) for o in operands) if isinstance(operands, list) else "?"
    return f"{condition.get('Operator', '?')}:{values}"


def stores_input(action: Mapping[str, Any]) -> bool:
    """GetParticipantInput in "store customer input" mode (the value goes to ``$.StoredCustomerInput``)."""
    params = action.get("Parameters")
    return isinstance(params, Mapping) and str(params.get("StoreInput", "False")).lower() == "true"


def _uses_next(action: Mapping[str, Any], spec: ActionSpec) -> bool:
    if action.get("Type") == "GetParticipantInput":
        return stores_input(action)  # a menu leaves by its conditions / NoMatchingCondition / errors
    return spec.uses_next


def declared_branches(action: Mapping[str, Any]) -> dict[str, str | None]:
    """Branch label → target Identifier (None when the branch ends the run), as the simulator can take them.

    Transitions the type never takes (``NextAction`` on a Compare, an error type the action does not have)
    are left out here and reported by ``lint_flow``.
    """
    spec = ACTION_SPECS.get(str(action.get("Type")))
    if spec is None:
        return {}
    transitions = action.get("Transitions")
    transitions = transitions if isinstance(transitions, Mapping) else {}
    branches: dict[str, str | None] = {}
    if spec.terminal is not None:
        branches[spec.terminal] = None
    nxt = transitions.get("NextAction")
    if _uses_next(action, spec) and isinstance(nxt, str) and nxt:
        branches[NEXT] = nxt
    if spec.conditions:
        for cond in transition_list(transitions, "Conditions"):
            if isinstance(cond.get("Condition"), Mapping):
                branches[condition_label(cond["Condition"])] = _target(cond)
    for err in transition_list(transitions, "Errors"):
        if isinstance(err.get("ErrorType"), str) and err["ErrorType"] in spec.errors:
            branches[err["ErrorType"]] = _target(err)
    return branches


def error_target(action: Mapping[str, Any], error_type: str) -> str | None:
    """The NextAction of the action's ``error_type`` transition, or None if it declares none."""
    transitions = action.get("Transitions")
    if not isinstance(transitions, Mapping):
        return None
    for err in transition_list(transitions, "Errors"):
        if err.get("ErrorType") == error_type:
            return _target(err)
    return None
