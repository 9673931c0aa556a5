"""Static checks of flow-language documents, and the graph of their reachable (action, branch) edges.

Rules come from the flow-language reference (Identifier length and characters, 250 actions, Compare /
CheckHoursOfOperation conditions, static parameters) plus Trunkline's own policy: every Lambda call is STRING_MAP
with a short timeout and an error branch, every transfer handles a full queue, no path dead-ends, placeholders
are whole-string ``%Token%`` values from a known list.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from trunkline.simulator.actions import (
    ACTION_SPECS,
    MAX_CONTACT_TAGS,
    MAX_TAG_VALUE_CHARS,
    declared_branches,
    stores_input,
    tag_key_problem,
)
from trunkline.simulator.flow import TOKEN, Flow, iter_strings
from trunkline.simulator.paths import is_reference

FLOW_LANGUAGE_VERSION: Final = "2019-10-30"
MAX_ACTIONS: Final = 250
MAX_IDENTIFIER: Final = 50
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
_EMBEDDED_TOKEN = re.compile(r"%[A-Za-z][A-Za-z0-9]*%")
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


@dataclass(frozen=True, slots=True)
class FlowIssue:
    """One problem in a flow document."""

    flow: str
    identifier: str
    message: str

    def __str__(self) -> str:
        where = f"{self.flow}:{self.identifier}" if self.identifier else self.flow
        return f"{where}: {self.message}"


def _static_int(value: object) -> int | None:
    if isinstance(value, str) and not is_reference(value) and re.fullmatch(r"\d+", value.strip()):
        return int(value)
    return None


def _error_types(action: Mapping[str, Any]) -> list[str]:
    transitions = action.get("Transitions")
    errors = transitions.get("Errors") if isinstance(transitions, Mapping) else None
    return [str(e.get("ErrorType")) for e in errors or [] if isinstance(e, Mapping)]


def _conditions(action: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    transitions = action.get("Transitions")
    conditions = transitions.get("Conditions") if isinstance(transitions, Mapping) else None
    return [c for c in conditions or [] if isinstance(c, Mapping)]


def lint_flow(
    document: Any,
    *,
    name: str = "flow",
    known_tokens: Collection[str] | None = None,
    max_invoke_timeout_seconds: int = 8,
) -> list[FlowIssue]:
    """Every problem found in ``document`` (empty list: the flow passes).

    ``known_tokens``: when given, any ``%Token%`` not in it is reported. ``max_invoke_timeout_seconds``: Connect
    allows 8; Trunkline's flows use 3.
    """
    issues: list[FlowIssue] = []

    def issue(identifier: str, message: str) -> None:
        issues.append(FlowIssue(name, identifier, message))

    if not isinstance(document, Mapping):
        return [FlowIssue(name, "", "document is not a JSON object")]
    if document.get("Version") != FLOW_LANGUAGE_VERSION:
        issue("", f"Version must be {FLOW_LANGUAGE_VERSION!r}, got {document.get('Version')!r}")
    if not isinstance(document.get("Metadata", {}), Mapping):
        issue("", "Metadata must be an object")
    for key in document:
        if key not in {"Version", "StartAction", "Metadata", "Actions", "Settings"}:
            issue("", f"unexpected top-level key {key!r}")
    actions = document.get("Actions")
    if not isinstance(actions, list):
        return [*issues, FlowIssue(name, "", "Actions must be a list")]
    if len(actions) > MAX_ACTIONS:
        issue("", f"{len(actions)} actions; a flow may have at most {MAX_ACTIONS}")

    by_id: dict[str, Mapping[str, Any]] = {}
    for index, action in enumerate(actions):
        identifier = action.get("Identifier") if isinstance(action, Mapping) else None
        if not isinstance(identifier, str) or not identifier:
            issue(f"Actions[{index}]", "action without a string Identifier")
            continue
        if identifier in by_id:
            issue(identifier, "duplicate Identifier")
        by_id[identifier] = action
        if len(identifier) > MAX_IDENTIFIER:
            issue(identifier, f"Identifier longer than {MAX_IDENTIFIER} characters")
        if bad := sorted(set(identifier) & FORBIDDEN_IDENTIFIER_CHARS):
            issue(identifier, f"Identifier contains forbidden characters {''.join(bad)!r}")
        if identifier in RESERVED_IDENTIFIERS:
            issue(identifier, "Identifier is a reserved name")

    start = document.get("StartAction")
    if not isinstance(start, str) or start not in by_id:
        issue("", f"StartAction {start!r} is not an action Identifier")

    for identifier, action in by_id.items():
        _lint_action(identifier, action, by_id, issue, max_invoke_timeout_seconds)
    _lint_tag_budget(by_id, issue)

    for path, value in iter_strings(document):
        whole = TOKEN.match(value)
        if whole:
            if known_tokens is not None and whole.group(1) not in known_tokens:
                issue("", f"unknown token %{whole.group(1)}% at {path} (known: {sorted(known_tokens)})")
        elif _EMBEDDED_TOKEN.search(value):
            issue("", f"{path}: a token must be a whole string value, found one inside {value!r}")

    if isinstance(start, str) and start in by_id:
        _lint_graph(by_id, start, issue)
    return issues


def _lint_action(
    identifier: str,
    action: Mapping[str, Any],
    by_id: Mapping[str, Mapping[str, Any]],
    issue: Any,
    max_timeout: int,
) -> None:
    action_type = action.get("Type")
    spec = ACTION_SPECS.get(str(action_type))
    if spec is None:
        issue(identifier, f"unknown action Type {action_type!r}")
        return
    params = action.get("Parameters", {})
    if not isinstance(params, Mapping):
        issue(identifier, "Parameters must be an object")
        params = {}
    transitions = action.get("Transitions", {})
    if not isinstance(transitions, Mapping):
        issue(identifier, "Transitions must be an object")
        transitions = {}

    # numbers as strings, everywhere in Parameters
    def scalars(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                scalars(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                scalars(v, f"{path}[{i}]")
        elif not isinstance(value, str):
            issue(identifier, f"{path} is {value!r}; write every value as a string")

    scalars(params, "Parameters")

    # transitions resolve, error types belong to the action type
    nxt = transitions.get("NextAction")
    if nxt is not None and nxt not in by_id:
        issue(identifier, f"NextAction {nxt!r} does not exist")
    uses_next = stores_input(action) if action_type == "GetParticipantInput" else spec.uses_next
    if uses_next and not nxt:
        issue(identifier, "no NextAction: the success path dead-ends")
    seen_errors: set[str] = set()
    for err in transitions.get("Errors") or []:
        error_type = err.get("ErrorType") if isinstance(err, Mapping) else None
        if error_type not in spec.errors:
            issue(identifier, f"{action_type} has no error type {error_type!r} (it has {sorted(spec.errors)})")
        if error_type in seen_errors:
            issue(identifier, f"error type {error_type!r} declared twice")
        seen_errors.add(str(error_type))
        if isinstance(err, Mapping) and err.get("NextAction") not in by_id:
            issue(identifier, f"{error_type} goes to {err.get('NextAction')!r}, which does not exist")
    conditions = _conditions(action)
    if conditions and not spec.conditions:
        issue(identifier, f"{action_type} does not support Conditions")
    labels: set[str] = set()
    for cond in conditions:
        condition = cond.get("Condition")
        if not isinstance(condition, Mapping):
            issue(identifier, "a condition without a Condition object")
            continue
        operator, operands = condition.get("Operator"), condition.get("Operands")
        if operator not in OPERATORS:
            issue(identifier, f"unknown condition operator {operator!r}")
        if not isinstance(operands, list) or not operands or not all(isinstance(o, str) for o in operands):
            issue(identifier, f"condition Operands must be a non-empty list of strings, got {operands!r}")
        label = f"{operator}:{operands}"
        if label in labels:
            issue(identifier, f"condition {label} declared twice")
        labels.add(label)
        if cond.get("NextAction") not in by_id:
            issue(identifier, f"condition {label} goes to {cond.get('NextAction')!r}, which does not exist")

    errors = set(_error_types(action))

    def need_errors(*wanted: str) -> None:
        for error_type in wanted:
            if error_type not in errors:
                issue(identifier, f"{action_type} must handle {error_type}")

    def exactly_one(*names: str) -> None:
        if sum(n in params for n in names) != 1:
            issue(identifier, f"exactly one of {', '.join(names)} is required")

    if action_type == "InvokeLambdaFunction":
        if not params.get("LambdaFunctionARN"):
            issue(identifier, "LambdaFunctionARN is required")
        timeout = _static_int(params.get("InvocationTimeLimitSeconds"))
        if timeout is None or not 1 <= timeout <= max_timeout:
            issue(
                identifier,
                f"InvocationTimeLimitSeconds must be a static string integer 1..{max_timeout}, "
                f"got {params.get('InvocationTimeLimitSeconds')!r}",
            )
        validation = params.get("ResponseValidation")
        # Connect allows STRING_MAP and JSON; Trunkline uses JSON only for the routing-criteria call (tests/flows).
        if not isinstance(validation, Mapping) or validation.get("ResponseType") not in ("STRING_MAP", "JSON"):
            issue(identifier, "ResponseValidation.ResponseType must be STRING_MAP or JSON")
        if params.get("InvocationType", "SYNCHRONOUS") != "SYNCHRONOUS":
            issue(identifier, "InvocationType must be SYNCHRONOUS (routing needs the reply)")
        need_errors("NoMatchingError")
    elif action_type == "Compare":
        if not is_reference(params.get("ComparisonValue")):
            issue(identifier, "ComparisonValue must be one reference ($.…)")
        if not conditions:
            issue(identifier, "Compare without conditions")
        need_errors("NoMatchingCondition")
    elif action_type == "CheckHoursOfOperation":
        found = sorted(
            (str(c.get("Condition", {}).get("Operator")), tuple(c.get("Condition", {}).get("Operands") or ()))
            for c in conditions
        )
        if found != [("Equals", ("False",)), ("Equals", ("True",))]:
            issue(identifier, "conditions must be exactly Equals True and Equals False")
        need_errors("NoMatchingError")
    elif action_type == "UpdateContactAttributes":
        attributes = params.get("Attributes")
        if not isinstance(attributes, Mapping) or not attributes:
            issue(identifier, "Attributes must be a non-empty object")
        else:
            for key in attributes:
                if not _ATTRIBUTE_KEY.match(str(key)):
                    issue(identifier, f"attribute name {key!r} must match [A-Za-z0-9_-]+")
        if params.get("TargetContact", "Current") not in ("Current", "Related"):
            issue(identifier, "TargetContact must be Current or Related")
        need_errors("NoMatchingError")
    elif action_type == "UpdateFlowAttributes":
        if not isinstance(params.get("FlowAttributes"), Mapping) or not params.get("FlowAttributes"):
            issue(identifier, "FlowAttributes must be a non-empty object")
    elif action_type == "UpdateContactTargetQueue":
        exactly_one("QueueId", "AgentId")
        need_errors("NoMatchingError")
    elif action_type == "TransferContactToQueue":
        need_errors("QueueAtCapacity", "NoMatchingError")
    elif action_type == "UpdateContactRoutingBehavior":
        exactly_one("QueuePriority", "QueueTimeAdjustmentSeconds")
        if "QueuePriority" in params:
            priority = _static_int(params.get("QueuePriority"))
            if priority is None or priority < 1:
                issue(identifier, "QueuePriority must be a static integer > 0 (it cannot be a reference)")
        if "QueueTimeAdjustmentSeconds" in params:
            value = params.get("QueueTimeAdjustmentSeconds")
            if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
                issue(identifier, "QueueTimeAdjustmentSeconds must be a static integer")
    elif action_type == "MessageParticipant":
        exactly_one("Text", "SSML", "PromptId")
        need_errors("NoMatchingError")
    elif action_type == "GetParticipantInput":
        if sum(k in params for k in ("Text", "SSML", "PromptId")) > 1:
            issue(identifier, "at most one of Text, SSML, PromptId")
        if stores_input(action):
            need_errors("NoMatchingError")
        else:
            if not conditions:
                issue(identifier, "a menu (StoreInput not True) needs Conditions")
            need_errors("InputTimeLimitExceeded", "NoMatchingCondition", "NoMatchingError")
    elif action_type == "UpdateContactCallbackNumber":
        if not is_reference(params.get("CallbackNumber")):
            issue(identifier, "CallbackNumber must be a reference; it cannot be static")
        need_errors("InvalidCallbackNumber", "CallbackNumberNotDialable")
    elif action_type == "CreateCallbackContact":
        if "QueueId" in params and "AgentId" in params:
            issue(identifier, "QueueId and AgentId are exclusive")
        checks = [("MaximumConnectionAttempts", 1, 2**31 - 1), ("RetryDelaySeconds", 1, 259_200)]
        if "ContactFlowId" not in params:
            checks.append(("InitialCallDelaySeconds", 1, 259_200))
        for param, low, high in checks:
            value = _static_int(params.get(param))
            if value is None or not low <= value <= high:
                issue(identifier, f"{param} must be a static string integer {low}..{high}")
        need_errors("NoMatchingError")
    elif action_type == "TransferToFlow":
        if not params.get("ContactFlowId"):
            issue(identifier, "ContactFlowId is required")
        need_errors("NoMatchingError")
    elif action_type == "TagContact":
        tags = params.get("Tags")
        if not isinstance(tags, Mapping) or not tags:
            issue(identifier, "Tags must be a non-empty object of key -> value")
        else:
            if len(tags) > MAX_CONTACT_TAGS:
                issue(identifier, f"{len(tags)} tags; a contact holds at most {MAX_CONTACT_TAGS} user tags")
            for key, value in tags.items():
                if problem := tag_key_problem(str(key)):
                    issue(identifier, problem)
                if isinstance(value, str) and not is_reference(value) and len(value) > MAX_TAG_VALUE_CHARS:
                    issue(identifier, f"tag {key!r} value is longer than {MAX_TAG_VALUE_CHARS} characters")
    elif action_type == "UpdateFlowLoggingBehavior" and params.get("FlowLoggingBehavior") not in (
        "Enabled",
        "Disabled",
    ):
        issue(identifier, "FlowLoggingBehavior must be Enabled or Disabled")


def _lint_tag_budget(by_id: Mapping[str, Mapping[str, Any]], issue: Any) -> None:
    """Distinct tag keys over all TagContact actions must fit the per-contact limit.

    A conservative bound: keys set on mutually exclusive branches count together. A flow that needs more distinct
    keys than that is rare enough to be worth a second look anyway.
    """
    keys: set[str] = set()
    for action in by_id.values():
        params = action.get("Parameters")
        tags = params.get("Tags") if action.get("Type") == "TagContact" and isinstance(params, Mapping) else None
        if isinstance(tags, Mapping):
            keys |= {str(k) for k in tags}
    if len(keys) > MAX_CONTACT_TAGS:
        issue(
            "",
            f"TagContact actions set {len(keys)} distinct tag keys ({', '.join(sorted(keys))}); "
            f"a contact holds at most {MAX_CONTACT_TAGS} user tags",
        )


def _lint_graph(by_id: Mapping[str, Mapping[str, Any]], start: str, issue: Any) -> None:
    successors: dict[str, set[str]] = {}
    ends: set[str] = set()
    for identifier, action in by_id.items():
        branches = declared_branches(action)
        successors[identifier] = {t for t in branches.values() if t is not None and t in by_id}
        if any(t is None for t in branches.values()):
            ends.add(identifier)
    reachable = {start}
    queue = deque([start])
    while queue:
        for nxt in successors[queue.popleft()]:
            if nxt not in reachable:
                reachable.add(nxt)
                queue.append(nxt)
    for identifier in by_id:
        if identifier not in reachable:
            issue(identifier, "unreachable from StartAction")
    # an action from which no ending action can be reached is stuck in a cycle (or dead-ends)
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for identifier, nexts in successors.items():
            if identifier not in can_end and nexts & can_end:
                can_end.add(identifier)
                changed = True
    for identifier in sorted(reachable - can_end):
        issue(identifier, "no path from here ends the contact (queue, disconnect or end)")


def reachable_edges(flow: Flow) -> set[tuple[str, str, str]]:
    """Every ``(flow, identifier, branch)`` the simulator could take from the flow's StartAction.

    ``NextAction`` appears only for actions that continue on success; terminal actions contribute their ending
    label (``Transferred``, ``Disconnected``…). The coverage test compares this with the branches scenarios took.
    """
    edges: set[tuple[str, str, str]] = set()
    seen = {flow.start_action}
    queue = deque([flow.start_action])
    while queue:
        identifier = queue.popleft()
        action = flow.actions.get(identifier)
        if action is None:
            continue
        for label, target in declared_branches(action).items():
            edges.add((flow.name, identifier, label))
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return edges
