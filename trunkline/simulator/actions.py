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


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """The transitions an action type may declare and take."""

    errors: frozenset[str] = frozenset()
    conditions: bool = False
    uses_next: bool = True  # success continues at NextAction
    terminal: str | None = None  # the branch label when the action ends the run / leaves the flow


def _spec(
    errors: tuple[str, ...] = (), *, conditions: bool = False, uses_next: bool = True, terminal: str | None = None
) -> ActionSpec:
    return ActionSpec(frozenset(errors), conditions, uses_next, terminal)


ACTION_SPECS: Final[Mapping[str, ActionSpec]] = {
    "InvokeLambdaFunction": _spec(("NoMatchingError",)),
    "Compare": _spec(("NoMatchingCondition",), conditions=True, uses_next=False),
    "UpdateContactAttributes": _spec(("NoMatchingError",)),
    # Console exports give UpdateFlowAttributes and TagContact a NoMatchingError branch and Connect accepts it
    # (voicemail-express VMXDefaultGuidedTaskFlow, flow-language-facts.md), although the reference lists no errors.
    "UpdateFlowAttributes": _spec(("NoMatchingError",)),
    "UpdateContactTargetQueue": _spec(("NoMatchingError",)),
    "TransferContactToQueue": _spec(("QueueAtCapacity", "NoMatchingError"), uses_next=False, terminal=TRANSFERRED),
    "UpdateContactRoutingBehavior": _spec(),
    "CheckHoursOfOperation": _spec(("NoMatchingError",), conditions=True, uses_next=False),
    "MessageParticipant": _spec(("NoMatchingError",)),
    "GetParticipantInput": _spec(
        ("InputTimeLimitExceeded", "NoMatchingCondition", "NoMatchingError", "InvalidPhoneNumber"), conditions=True
    ),
    "UpdateContactCallbackNumber": _spec(("InvalidCallbackNumber", "CallbackNumberNotDialable")),
    "CreateCallbackContact": _spec(("NoMatchingError",)),
    "TransferToFlow": _spec(("NoMatchingError",), uses_next=False, terminal=TRANSFERRED_TO_FLOW),
    "DisconnectParticipant": _spec(uses_next=False, terminal=DISCONNECTED),
    "EndFlowExecution": _spec(uses_next=False, terminal=ENDED),
    "UpdateFlowLoggingBehavior": _spec(),
    "TagContact": _spec(("NoMatchingError",)),  # see UpdateFlowAttributes
    # The reference page is titled UpdateRoutingCriteria; exports and the service use this Type (docs/flows.md).
    "UpdateContactRoutingCriteria": _spec(("NoMatchingError",)),
    "UpdateContactTextToSpeechVoice": _spec(("NoMatchingError",)),
}

#: TagContact limits (API reference, ``TagContact``): user tags per contact, key pattern and lengths. The pattern is
#: AWS's verbatim; note that ``+-=`` inside the class is a range (``+`` … ``=``), so digits and ``,;<`` pass too.
MAX_CONTACT_TAGS: Final = 6
MAX_TAG_KEY_CHARS: Final = 128
MAX_TAG_VALUE_CHARS: Final = 256
TAG_KEY_PATTERN: Final = re.compile(r"^(?!aws:)[a-zA-Z+-=._:/]+$")

#: Types whose run ends in this flow: every path of a flow must reach one of these (or leave by TransferToFlow).
TERMINAL_TYPES: Final = frozenset(t for t, s in ACTION_SPECS.items() if s.terminal is not None)


def tag_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a contact tag key, or None when it can."""
    if not 1 <= len(key) <= MAX_TAG_KEY_CHARS:
        return f"tag key {key!r} must be 1..{MAX_TAG_KEY_CHARS} characters"
    if not TAG_KEY_PATTERN.match(key):
        return f"tag key {key!r} must match {TAG_KEY_PATTERN.pattern} (no aws: prefix)"
    return None


def condition_label(condition: Mapping[str, Any]) -> str:
    """``Equals:ROUTED`` for ``{"Operator": "Equals", "Operands": ["ROUTED"]}``."""
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
        for cond in transitions.get("Conditions") or []:
            if isinstance(cond, Mapping) and isinstance(cond.get("Condition"), Mapping):
                branches[condition_label(cond["Condition"])] = cond.get("NextAction")
    for err in transitions.get("Errors") or []:
        if isinstance(err, Mapping) and err.get("ErrorType") in spec.errors:
            branches[str(err["ErrorType"])] = err.get("NextAction")
    return branches


def error_target(action: Mapping[str, Any], error_type: str) -> str | None:
    """The NextAction of the action's ``error_type`` transition, or None if it declares none."""
    transitions = action.get("Transitions")
    if not isinstance(transitions, Mapping):
        return None
    for err in transitions.get("Errors") or []:
        if isinstance(err, Mapping) and err.get("ErrorType") == error_type:
            target = err.get("NextAction")
            return target if isinstance(target, str) else None
    return None
