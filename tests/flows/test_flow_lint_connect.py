"""Connect's rules in ``lint_flow``: each invalid shape is an error on the right action, each accepted shape passes.

Small self-contained flows, linted with ``policy=False`` (Connect's rules only, as for a third-party flow) unless a
test is about the policy split. Facts and sources: docs/flows.md, "What Connect accepts".
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trunkline.simulator import ACTION_SPECS, FlowIssue, lint_flow

Action = dict[str, Any]
PHONE = {"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "US"}}


def act(
    identifier: str,
    action_type: str,
    params: dict[str, Any] | None = None,
    nxt: str | None = "End",
    errors: dict[str, str] | None = None,
    conditions: dict[str, str] | None = None,
) -> Action:
    transitions: dict[str, Any] = {}
    if nxt is not None:
        transitions["NextAction"] = nxt
    if conditions is not None:
        transitions["Conditions"] = [
            {"NextAction": target, "Condition": {"Operator": "Equals", "Operands": [operand]}}
            for operand, target in conditions.items()
        ]
    if errors is not None:
        transitions["Errors"] = [{"NextAction": target, "ErrorType": e} for e, target in errors.items()]
    return {"Identifier": identifier, "Type": action_type, "Parameters": params or {}, "Transitions": transitions}


def end() -> Action:
    return act("End", "DisconnectParticipant", nxt=None)


def doc(*actions: Action, start: str | None = None) -> dict[str, Any]:
    return {
        "Version": "2019-10-30",
        "StartAction": start if start is not None else actions[0]["Identifier"],
        "Metadata": {},
        "Actions": [*actions, end()],
    }


def store(identifier: str = "Ask", validation: dict[str, Any] | None = None, **errors: str) -> Action:
    params: dict[str, Any] = {"Text": "Your number?", "StoreInput": "True", "InputTimeLimitSeconds": "5"}
    if validation is not None:
        params["InputValidation"] = validation
    return act(identifier, "GetParticipantInput", params, errors={"NoMatchingError": "End", **errors})


def menu(identifier: str = "Menu", conditions: dict[str, str] | None = None, **errors: str) -> Action:
    params = {"Text": "Press 1", "StoreInput": "False", "InputTimeLimitSeconds": "5"}
    return act(identifier, "GetParticipantInput", params, conditions=conditions, errors=errors or None)


def invoke(identifier: str = "Invoke", **params: Any) -> Action:
    base: dict[str, Any] = {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:111122223333:function:f"}
    base.update({"InvocationTimeLimitSeconds": "3", **params})
    return act(identifier, "InvokeLambdaFunction", {k: v for k, v in base.items() if v is not None})


def lint(document: dict[str, Any], **kwargs: Any) -> list[FlowIssue]:
    return lint_flow(document, name="f", **{"policy": False, **kwargs})


def errors_on(document: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    return [(i.identifier, i.message) for i in lint(document, **kwargs) if i.is_error]


INVALID: dict[str, tuple[dict[str, Any], str, str, dict[str, Any]]] = {
    # name: (document, action id, message fragment, lint kwargs)
    "store without InputValidation": (doc(store()), "Ask", "StoreInput True requires InputValidation", {}),
    "timeout error in store mode": (
        doc(store(validation=PHONE, InputTimeLimitExceeded="End")),
        "Ask",
        "cannot raise 'InputTimeLimitExceeded'",
        {},
    ),
    "NoMatchingCondition in store mode": (
        doc(store(validation=PHONE, NoMatchingCondition="End")),
        "Ask",
        "cannot raise 'NoMatchingCondition'",
        {},
    ),
    "InvalidPhoneNumber without phone validation": (
        doc(store(validation={"CustomValidation": {"MaximumLength": "10"}}, InvalidPhoneNumber="End")),
        "Ask",
        "cannot raise 'InvalidPhoneNumber'",
        {},
    ),
    "InvalidPhoneNumber on a menu": (
        doc(menu(conditions={"1": "End"}, InvalidPhoneNumber="End")),
        "Menu",
        "cannot raise 'InvalidPhoneNumber'",
        {},
    ),
    "Local phone validation without a country": (
        doc(store(validation={"PhoneNumberValidation": {"NumberFormat": "Local"}})),
        "Ask",
        "needs a CountryCode",
        {},
    ),
    "InputValidation on a menu": (
        doc(act("Menu", "GetParticipantInput", {"Text": "1?", "StoreInput": "False", "InputValidation": PHONE})),
        "Menu",
        "InputValidation is only for StoreInput True",
        {},
    ),
    "dangling NextAction": (
        doc(act("A", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}, "Nope")),
        "A",
        "NextAction 'Nope' does not exist",
        {},
    ),
    "dangling condition target": (
        doc(act("C", "Compare", {"ComparisonValue": "$.Channel"}, conditions={"VOICE": "Nope"})),
        "C",
        "goes to 'Nope', which does not exist",
        {},
    ),
    "dangling error target": (
        doc(act("T", "TagContact", {"Tags": {"k": "v"}}, errors={"NoMatchingError": "Nope"})),
        "T",
        "NoMatchingError goes to 'Nope', which does not exist",
        {},
    ),
    "StartAction naming no action": (
        doc(act("A", "TagContact", {"Tags": {"k": "v"}}), start="Nope"),
        "",
        "StartAction 'Nope'",
        {},
    ),
    "duplicate identifier": (doc(act("End", "TagContact", {"Tags": {"k": "v"}})), "End", "duplicate Identifier", {}),
    "Lambda timeout 0": (doc(invoke(InvocationTimeLimitSeconds="0")), "Invoke", "1..8", {}),
    "Lambda timeout 9": (doc(invoke(InvocationTimeLimitSeconds="9")), "Invoke", "1..8", {}),
    "Lambda timeout dynamic": (doc(invoke(InvocationTimeLimitSeconds="$.Attributes.t")), "Invoke", "1..8", {}),
    "ResponseType XML": (doc(invoke(ResponseValidation={"ResponseType": "XML"})), "Invoke", "STRING_MAP or JSON", {}),
    "queue transfer in a customer queue flow": (
        doc(act("Q", "TransferContactToQueue", nxt=None, errors={"QueueAtCapacity": "End"})),
        "Q",
        "TransferContactToQueue is not supported in CUSTOMER_QUEUE flows",
        {"flow_type": "CUSTOMER_QUEUE"},
    ),
    "routing priority in a transfer flow": (
        doc(act("P", "UpdateContactRoutingBehavior", {"QueuePriority": "1"})),
        "P",
        "not supported in QUEUE_TRANSFER flows",
        {"flow_type": "QUEUE_TRANSFER"},
    ),
    "EndFlowExecution in an inbound flow": (
        doc(act("Stop", "EndFlowExecution", nxt=None), start="Stop"),
        "Stop",
        "not supported in CONTACT_FLOW flows",
        {"flow_type": "CONTACT_FLOW"},
    ),
    "store customer input in a whisper flow": (
        doc(store(validation=PHONE)),
        "Ask",
        "GetParticipantInput (StoreInput True) is not supported in AGENT_WHISPER flows",
        {"flow_type": "AGENT_WHISPER"},
    ),
    "disconnect in a hold flow": (
        doc(act("Bye", "DisconnectParticipant", nxt=None), start="Bye"),
        "Bye",
        "DisconnectParticipant is not supported in CUSTOMER_HOLD flows",
        {"flow_type": "CUSTOMER_HOLD"},
    ),
    "hold loop in a whisper flow": (
        doc(act("Loop", "MessageParticipantIteratively", {"Messages": [{"Text": "hi"}]}, nxt=None)),
        "Loop",
        "not supported in AGENT_WHISPER flows",
        {"flow_type": "AGENT_WHISPER"},
    ),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_an_invalid_shape_is_a_connect_error_on_its_action(name: str) -> None:
    document, identifier, fragment, kwargs = INVALID[name]
    issues = [i for i in lint(document, **kwargs) if i.is_error]
    hits = [i for i in issues if fragment in i.message]
    assert any(i.identifier == identifier for i in hits), [str(i) for i in issues]
    assert all(i.source == "connect" for i in hits), [str(i) for i in hits]


ACCEPTED: dict[str, dict[str, Any]] = {
    "NoMatchingError on TagContact": doc(
        act("T", "TagContact", {"Tags": {"k": "v"}}, errors={"NoMatchingError": "End"})
    ),
    "NoMatchingError on UpdateFlowAttributes": doc(
        act("F", "UpdateFlowAttributes", {"FlowAttributes": {"a": {"Value": "1"}}}, errors={"NoMatchingError": "End"})
    ),
    "NoMatchingError on UpdateContactRoutingBehavior": doc(
        act("P", "UpdateContactRoutingBehavior", {"QueuePriority": "2"}, errors={"NoMatchingError": "End"})
    ),
    "NoMatchingError on Compare": doc(
        act(
            "C",
            "Compare",
            {"ComparisonValue": "$.Channel"},
            conditions={"VOICE": "End"},
            errors={"NoMatchingCondition": "End", "NoMatchingError": "End"},
        )
    ),
    "InvalidPhoneNumber with phone validation": doc(store(validation=PHONE, InvalidPhoneNumber="End")),
    "E164 phone validation": doc(store(validation={"PhoneNumberValidation": {"NumberFormat": "E164"}})),
    "custom validation": doc(store(validation={"CustomValidation": {"MaximumLength": "12"}})),
    "attribute values mixing text and references": doc(
        act("A", "UpdateContactAttributes", {"Attributes": {"greeting": "Hello $.Attributes.name"}})
    ),
    "attribute keys set from a reply": doc(
        act("A", "UpdateContactAttributes", {"Attributes": {"$.External.key0": "$.External.value0"}})
    ),
    "a menu without conditions": doc(menu(InputTimeLimitExceeded="End", NoMatchingCondition="End")),
    "MessageParticipant with Errors: []": doc(act("M", "MessageParticipant", {"Text": "Hi"}, errors={})),
    "InvokeLambdaFunction without ResponseValidation": doc(invoke()),
    "InvokeLambdaFunction with JSON": doc(invoke(ResponseValidation={"ResponseType": "JSON"})),
    "whole-value placeholders": doc(
        invoke(InvocationTimeLimitSeconds="%LambdaSeconds%", LambdaFunctionARN="%RouteFunctionArn%"),
    ),
    "actions allowed in a queue transfer flow": doc(
        act("S", "UpdateContactTargetQueue", {"QueueId": "$.Queue.ARN"}, "Q"),
        act("Q", "TransferContactToQueue", nxt=None, errors={"QueueAtCapacity": "End"}),
    ),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_an_accepted_shape_passes(name: str) -> None:
    flow_type = "QUEUE_TRANSFER" if "queue transfer" in name else "CONTACT_FLOW"
    assert [str(i) for i in lint(ACCEPTED[name], flow_type=flow_type)] == []


def test_an_unmodeled_action_is_one_warning_and_nothing_downstream() -> None:
    # Given a Loop (not modeled) between a message and more actions that are reachable only through it
    document = doc(
        act("Hello", "MessageParticipant", {"Text": "Hi"}, "Loop"),
        act(
            "Loop", "Loop", {"LoopCount": "3"}, "After", conditions={"ContinueLooping": "Hello", "DoneLooping": "After"}
        ),
        act("After", "TagContact", {"Tags": {"k": "v"}}, "Gone"),
        act("Gone", "CustomActionNobodyKnows", {"Anything": 3}, "End"),
    )
    # When linted with policy (our strictest mode)
    issues = lint_flow(document, name="f", policy=True)
    # Then each unmodeled action is one Connect warning (plus the policy error for using it), and nothing else:
    # no "unreachable", no "never ends", no parameter noise for the unknown type
    assert sorted((i.identifier, i.severity, i.source) for i in issues) == [
        ("Gone", "error", "trunkline"),
        ("Gone", "warning", "connect"),
        ("Hello", "error", "trunkline"),  # policy: MessageParticipant must handle NoMatchingError
        ("Loop", "error", "trunkline"),
        ("Loop", "warning", "connect"),
    ], [str(i) for i in issues]
    assert not any("unreachable" in i.message or "ends the contact" in i.message for i in issues)


def test_an_unmodeled_action_with_a_dangling_target_is_still_an_error() -> None:
    document = doc(act("Loop", "Loop", {"LoopCount": "3"}, "Nowhere"))
    assert ("Loop", "NextAction 'Nowhere' does not exist") in errors_on(document)


def test_a_third_party_flow_is_judged_by_connect_rules_only() -> None:
    # Given a flow Connect accepts that breaks Trunkline's conventions (no error branches, a JSON Lambda, 8 s)
    document = doc(
        invoke(InvocationTimeLimitSeconds="8", ResponseValidation={"ResponseType": "JSON"}),
        act("M", "MessageParticipant", {"Text": "Hi"}),
    )
    document["Actions"][0]["Transitions"]["NextAction"] = "M"
    # Then Connect's rules find nothing, and the policy findings are all marked as Trunkline's
    assert lint(document) == []
    policy = lint_flow(document, name="f", policy=True, max_invoke_timeout_seconds=3)
    assert policy
    assert all(i.source == "trunkline" for i in policy), [str(i) for i in policy]
    assert {i.identifier for i in policy} == {"Invoke", "M"}


def test_a_finding_prints_file_action_severity_and_rule_set() -> None:
    issue = FlowIssue("flows/x.json", "Ask", "StoreInput True requires InputValidation")
    assert str(issue) == "flows/x.json: Ask: error [connect] StoreInput True requires InputValidation"
    assert str(FlowIssue("x.json", "", "m", "warning", "trunkline")) == "x.json: -: warning [trunkline] m"


# ---------------------------------------------------------------- any JSON: findings, never a traceback

_SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=4)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
_TARGET = st.sampled_from(["A", "B", "End", "Nope"]) | _JSON
_BRANCH = st.fixed_dictionaries(
    {},
    optional={
        "NextAction": _TARGET,
        "ErrorType": st.sampled_from(["NoMatchingError", "InvalidPhoneNumber", "InputTimeLimitExceeded"]) | _JSON,
        "Condition": st.fixed_dictionaries({}, optional={"Operator": st.just("Equals") | _JSON, "Operands": _JSON})
        | _JSON,
    },
)
_PARAMS = st.dictionaries(
    st.sampled_from(
        [
            *("StoreInput", "InputValidation", "Text", "Tags", "Attributes", "FlowAttributes", "QueuePriority"),
            *("QueueId", "InvocationTimeLimitSeconds", "ResponseValidation", "ComparisonValue", "CallbackNumber"),
        ]
    ),
    st.sampled_from(["True", "False", "3", "$.Channel", "%Tok%"]) | _JSON,
    max_size=4,
)
_ACTION = st.fixed_dictionaries(
    {},
    optional={
        "Identifier": st.sampled_from(["A", "B", "End"]) | _JSON,
        "Type": st.sampled_from([*ACTION_SPECS, "Loop", "ShowView"]) | _JSON,
        "Parameters": _PARAMS | _JSON,
        "Transitions": st.fixed_dictionaries(
            {},
            optional={
                "NextAction": _TARGET,
                "Errors": st.lists(_BRANCH, max_size=3) | _JSON,
                "Conditions": st.lists(_BRANCH, max_size=3) | _JSON,
            },
        )
        | _JSON,
    },
)
_DOCUMENT = (
    st.fixed_dictionaries(
        {
            "Version": st.just("2019-10-30") | _JSON,
            "StartAction": _TARGET,
            "Actions": st.lists(_ACTION, max_size=5) | _JSON,
        },
        optional={"Metadata": _JSON},
    )
    | _JSON
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_DOCUMENT, policy=st.booleans(), flow_type=st.sampled_from([None, "CONTACT_FLOW", "AGENT_WHISPER"]))
def test_lint_reports_findings_on_any_json_and_never_raises(document: Any, policy: bool, flow_type: str | None) -> None:
    issues = lint_flow(document, name="f", policy=policy, flow_type=flow_type)
    assert all(isinstance(str(i), str) for i in issues)


def test_an_unreachable_action_is_a_warning_by_connect_rules_and_an_error_by_policy() -> None:
    document = doc(act("A", "TagContact", {"Tags": {"k": "v"}}), act("Orphan", "TagContact", {"Tags": {"k": "v"}}))
    assert [(i.identifier, i.severity, i.source) for i in lint(document)] == [("Orphan", "warning", "connect")]
    strict = [(i.identifier, i.severity, i.source) for i in lint_flow(document, name="f", policy=True)]
    assert strict == [("Orphan", "error", "trunkline")]
