"""The documented structure of a Connect testing-language document, as checks (no published JSON schema exists).

Sources: the testing-language pages of the Connect developer guide (observations, events, actions), summarized with
their keys in ../shared/reference/connect-testing.md §1. Where AWS's copies disagree this follows the current one
(``Version`` 2019-10-30, ``MatchingCriteria`` an object inside ``Properties``, no ``Usage``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VERSIONS = {"2019-10-30"}
EVENTS = {"TestInitiated", "TestCompleted", "MessageReceived", "FlowActionStarted", "FlowActionCompleted"}
STARTED_ACTIONS = {
    "InvokeLambdaFunction": "LambdaFunctionARN",
    "CheckHoursOfOperation": "HoursOfOperationId",
    "TransferContactToQueue": "QueueId",
    "ConnectParticipantWithLexBot": "LexV2Bot",
}
OVERRIDABLE = {
    "InvokeLambdaFunction": ("LambdaFunctionARN", {"TimeLimitExceeded", "NoMatchingError"}),
    "CheckHoursOfOperation": ("HoursOfOperationId", {"NoMatchingError"}),
    "ConnectParticipantWithLexBot": ("LexV2Bot", {"TimeLimitExceeded", "NoMatchingError"}),
    "TransferContactToQueue": ("QueueId", {"QueueAtCapacity", "NoMatchingError"}),
    "DequeueAndTransferToQueue": ("QueueId", {"QueueAtCapacity", "NoMatchingError"}),
}
OPERATORS = {
    "Equals",
    "TextStartsWith",
    "TextEndsWith",
    "TextContains",
    "NumberGreaterThan",
    "NumberGreaterOrEqualTo",
    "NumberLessThan",
    "NumberLessOrEqualTo",
    "Exists",
}
PROMPT_KEYS = ("Text", "SSML", "PromptId", "Media")
MATCHING = {"Similarity", "Inclusion"}
INSTRUCTIONS = {"DtmfInput", "Utterance", "Disconnect"}
COMMANDS = {"EndTest", "LogData"}


def content_problems(content: Any) -> list[str]:
    """Every way ``content`` departs from the documented structure (empty: it conforms)."""
    if not isinstance(content, Mapping):
        return ["the document is not a JSON object"]
    problems = []
    if content.get("Version") not in VERSIONS:
        problems.append(f"Version must be one of {sorted(VERSIONS)}")
    observations = content.get("Observations")
    if not isinstance(observations, list) or not observations:
        return [*problems, "Observations must be a non-empty list"]
    ids = [o.get("Identifier") for o in observations if isinstance(o, Mapping)]
    if len(ids) != len(set(ids)) or len(ids) != len(observations):
        problems.append("every observation needs a unique Identifier")
    action_ids: list[Any] = []
    for observation in observations:
        if not isinstance(observation, Mapping):
            continue
        where = f"observation {observation.get('Identifier')!r}"
        if "Usage" in observation:
            problems.append(f"{where}: omit Usage (the console's default is the only supported one)")
        problems += [f"{where}: {p}" for p in _event_problems(observation.get("Event"))]
        actions = observation.get("Actions")
        if not isinstance(actions, list):
            problems.append(f"{where}: Actions must be a list")
            continue
        local = {a.get("Identifier") for a in actions if isinstance(a, Mapping)}
        for action in actions:
            action_ids.append(action.get("Identifier") if isinstance(action, Mapping) else None)
            problems += [f"{where}: {p}" for p in _action_problems(action, local)]
        following = (observation.get("Transitions") or {}).get("NextObservations", [])
        problems += [f"{where}: NextObservations names unknown {n!r}" for n in following if n not in ids]
    if len(action_ids) != len(set(action_ids)) or None in action_ids:
        problems.append("every action needs an Identifier, unique in the document")
    return problems


def _event_problems(event: Any) -> list[str]:
    if not isinstance(event, Mapping):
        return ["Event must be an object"]
    problems = []
    kind, props = event.get("Type"), event.get("Properties")
    if kind not in EVENTS:
        problems.append(f"unknown event Type {kind!r}")
    if event.get("Actor") != "System":
        problems.append("event Actor must be System")
    if not event.get("Identifier"):
        problems.append("event Identifier is needed (the console renders by it)")
    if not isinstance(props, Mapping):
        return [*problems, "event Properties must be an object"]
    if kind == "MessageReceived":
        given = [k for k in PROMPT_KEYS if k in props]
        if len(given) != 1:
            problems.append(f"MessageReceived needs exactly one of {PROMPT_KEYS}, has {given}")
        elif given[0] != "Media" and not str(props[given[0]]).strip():
            problems.append("MessageReceived text must not be empty")
        criteria = props.get("MatchingCriteria")
        if not isinstance(criteria, Mapping) or criteria.get("Type") not in MATCHING:
            problems.append(f"MatchingCriteria must be an object with Type in {sorted(MATCHING)}")
    elif kind in ("FlowActionStarted", "FlowActionCompleted"):
        action, parameters = props.get("ActionType"), props.get("ActionParameters")
        if action not in STARTED_ACTIONS:
            problems.append(f"{kind} ActionType {action!r} is not one the testing language observes")
        elif not isinstance(parameters, Mapping) or not parameters.get(STARTED_ACTIONS[action]):
            problems.append(f"{kind} {action} needs ActionParameters.{STARTED_ACTIONS[action]}")
    elif props:
        problems.append(f"{kind} takes empty Properties")
    return problems


def _action_problems(action: Any, local: set[Any]) -> list[str]:
    if not isinstance(action, Mapping):
        return ["an action must be an object"]
    kind, params = action.get("Type"), action.get("Parameters")
    where = f"action {action.get('Identifier')!r}"
    problems = []
    target = (action.get("Transitions") or {}).get("NextAction")
    if target is not None and target not in local:
        problems.append(f"{where}: NextAction {target!r} is not an action of this observation")
    if not isinstance(params, Mapping):
        return [*problems, f"{where}: Parameters must be an object"]
    if kind == "Assert":
        if "ActionType" in params:
            problems.append(f"{where}: Assert Parameters carry no ActionType")
        if not str(params.get("Namespace", "")).startswith("$."):
            problems.append(f"{where}: Namespace must be a $. path")
        if params.get("Operator") not in OPERATORS:
            problems.append(f"{where}: unknown Operator {params.get('Operator')!r}")
        elif params.get("Operator") != "Exists" and "Operand" not in params:
            problems.append(f"{where}: {params.get('Operator')} needs an Operand")
        return problems
    if params.get("ActionType") != kind:
        problems.append(f"{where}: Parameters.ActionType must repeat the Type {kind!r}")
    if kind == "SendInstruction":
        instruction = params.get("Instruction") or {}
        if params.get("Actor") != "Customer" or instruction.get("Type") not in INSTRUCTIONS:
            problems.append(f"{where}: a Customer instruction of type {sorted(INSTRUCTIONS)}")
        elif instruction["Type"] == "DtmfInput" and not str((instruction.get("Properties") or {}).get("Value", "")):
            problems.append(f"{where}: DtmfInput needs Properties.Value")
    elif kind == "TestControl":
        if (params.get("Command") or {}).get("Type") not in COMMANDS:
            problems.append(f"{where}: Command.Type must be one of {sorted(COMMANDS)}")
    elif kind == "OverrideSystemBehavior":
        problems += [f"{where}: {p}" for p in _override_problems(params.get("Behavior"))]
    else:
        problems.append(f"{where}: unknown action Type {kind!r}")
    return problems


def _override_problems(behavior: Any) -> list[str]:
    if not isinstance(behavior, Mapping) or behavior.get("Type") != "FlowAction":
        return ["Behavior must be {Type: FlowAction, Properties}"]
    props = behavior.get("Properties") or {}
    action = props.get("ActionType")
    if action not in OVERRIDABLE:
        return [f"{action!r} cannot be overridden"]
    key, errors = OVERRIDABLE[action]
    if not (props.get("ActionParameters") or {}).get(key):
        return [f"{action} override needs ActionParameters.{key}"]
    strategy = props.get("Strategy") or {}
    if strategy.get("Type") == "SubstituteResource":
        return [] if strategy.get("SubstituteArn") else ["SubstituteResource needs SubstituteArn"]
    if strategy.get("Type") != "MockResponse":
        return ["Strategy.Type must be MockResponse or SubstituteResource"]
    response = strategy.get("Response") or {}
    if response.get("Type") == "Error":
        value = (response.get("Error") or {}).get("Value")
        return [] if value in errors else [f"{action} cannot be mocked to fail with {value!r}"]
    result = response.get("ExecutionResult") if response.get("Type") == "ExecutionResult" else None
    if not isinstance(result, Mapping):
        return ["Response must be an ExecutionResult or an Error"]
    if action == "CheckHoursOfOperation":
        return [] if result.get("Value") in ("InHours", "OutOfHours") else ["hours mock Value: InHours|OutOfHours"]
    if action in ("InvokeLambdaFunction", "ConnectParticipantWithLexBot"):
        return [] if isinstance(result.get("LoadedData"), str) else ["LoadedData must be serialized JSON (a string)"]
    return [f"{action} has no documented ExecutionResult"]
