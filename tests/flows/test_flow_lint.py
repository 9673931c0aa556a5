"""``lint_flow`` catches each rule it claims to (mutations of the real inbound flow), and the coverage check bites."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.flows.flow_scenarios import FLOWS_DIR, KNOWN_TOKENS, TOKENS, all_scenarios, run
from tests.flows.known_findings import known_for
from trunkline.simulator import Flow, lint_flow, reachable_edges, substitute_tokens

Doc = dict[str, Any]


def _inbound() -> Doc:
    document: Doc = json.loads((FLOWS_DIR / "inbound.json").read_text(encoding="utf-8"))
    return document


def _action(doc: Doc, identifier: str) -> dict[str, Any]:
    return next(a for a in doc["Actions"] if a["Identifier"] == identifier)


def _lint(doc: Doc) -> list[str]:
    return [str(i) for i in lint_flow(doc, name="inbound", known_tokens=KNOWN_TOKENS, max_invoke_timeout_seconds=3)]


def _set(identifier: str, *keys: str, value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target = _action(doc, identifier)
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def _drop_error(identifier: str, error_type: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        transitions = _action(doc, identifier)["Transitions"]
        transitions["Errors"] = [e for e in transitions["Errors"] if e["ErrorType"] != error_type]

    return mutate


def _add_orphan(doc: Doc) -> None:
    doc["Actions"].append(
        {"Identifier": "Orphan", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
    )


def _add_cycle(doc: Doc) -> None:
    _action(doc, "UseCallerIdForCallback")["Transitions"] = {"NextAction": "LoopBack"}
    doc["Actions"].append(
        {
            "Identifier": "LoopBack",
            "Type": "UpdateFlowAttributes",
            "Parameters": {"FlowAttributes": {"x": {"Value": "1"}}},
            "Transitions": {"NextAction": "UseCallerIdForCallback"},
        }
    )


def _too_many(doc: Doc) -> None:
    last = "DisconnectUnavailable"
    for i in range(250):
        doc["Actions"].append(
            {
                "Identifier": f"Pad{i}",
                "Type": "UpdateFlowAttributes",
                "Parameters": {"FlowAttributes": {"x": {"Value": "1"}}},
                "Transitions": {"NextAction": last},
            }
        )


MUTATIONS: dict[str, tuple[Callable[[Doc], None], str]] = {
    "timeout_over_3": (_set("InvokeRoute", "Parameters", "InvocationTimeLimitSeconds", value="5"), "1..3"),
    "timeout_as_number": (_set("InvokeRoute", "Parameters", "InvocationTimeLimitSeconds", value=3), "as a string"),
    "unknown_response_type": (
        _set("InvokeRoute", "Parameters", "ResponseValidation", value={"ResponseType": "XML"}),
        "STRING_MAP or JSON",
    ),
    "invoke_without_error_branch": (_drop_error("InvokeRoute", "NoMatchingError"), "must handle NoMatchingError"),
    "transfer_without_capacity_branch": (
        _drop_error("TransferToQueue", "QueueAtCapacity"),
        "must handle QueueAtCapacity",
    ),
    "compare_without_no_match": (_drop_error("CheckStatus", "NoMatchingCondition"), "NoMatchingCondition"),
    "dangling_next_action": (_set("SaveDecision", "Transitions", "NextAction", value="Nowhere"), "does not exist"),
    "dynamic_priority": (
        _set("SetPriority03", "Parameters", "QueuePriority", value="$.External.priority"),
        "cannot be a reference",
    ),
    "unknown_token": (_set("SetDefaultQueue", "Parameters", "QueueId", value="%OtherQueueArn%"), "unknown token"),
    "embedded_token": (
        _set("ApologyDefaultRoute", "Parameters", "Text", value="Call %SupportNumber% now"),
        "whole string value",
    ),
    "identifier_too_long": (_set("DisconnectClosed", "Identifier", value="D" * 51), "longer than 50"),
    "identifier_forbidden_char": (_set("DisconnectClosed", "Identifier", value="Disconnect:Closed"), "forbidden"),
    "unknown_type": (
        _set("EnableFlowLogs", "Type", value="InvokeFlowModuleV9"),
        "only action types the simulator runs",
    ),
    "wrong_error_type": (
        _set("SaveDecision", "Transitions", "Errors", value=[{"NextAction": "CheckStatus", "ErrorType": "Oops"}]),
        "cannot raise 'Oops'",
    ),
    "bad_attribute_name": (
        _set("SaveCrmAttributes", "Parameters", "Attributes", value={"acsf search": "$.External.x"}),
        "must match",
    ),
    "unreachable_action": (_add_orphan, "unreachable"),
    "cycle_without_exit": (_add_cycle, "no path from here ends"),
    "too_many_actions": (_too_many, "at most 250"),
    "wrong_version": (lambda d: d.update(Version="2020-01-01"), "Version"),
    "bad_start": (lambda d: d.update(StartAction="Nope"), "StartAction"),
}


def test_the_real_flow_has_exactly_the_known_findings() -> None:
    assert set(_lint(_inbound())) == known_for("inbound")


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_lint_catches(name: str) -> None:
    mutate, expected = MUTATIONS[name]
    doc = _inbound()
    mutate(doc)
    issues = _lint(doc)
    assert any(expected in i for i in issues), issues


def test_check_hours_needs_exactly_true_and_false() -> None:
    doc = _inbound()
    doc["Actions"].append(
        {
            "Identifier": "Hours",
            "Type": "CheckHoursOfOperation",
            "Parameters": {},
            "Transitions": {
                "NextAction": "SetTargetQueue",
                "Conditions": [
                    {"NextAction": "SetTargetQueue", "Condition": {"Operator": "Equals", "Operands": ["True"]}}
                ],
                "Errors": [{"NextAction": "SetTargetQueue", "ErrorType": "NoMatchingError"}],
            },
        }
    )
    _action(doc, "UseCallerIdForCallback")["Transitions"]["NextAction"] = "Hours"
    assert any("exactly Equals True and Equals False" in i for i in _lint(doc))


def test_a_new_branch_without_a_scenario_fails_the_coverage_check() -> None:
    # Given the inbound flow with one more status branch (say, a future "QUEUED_CALLBACK" status)
    doc = _inbound()
    _action(doc, "CheckStatus")["Transitions"]["Conditions"].append(
        {"NextAction": "PlayClosedMessage", "Condition": {"Operator": "Equals", "Operands": ["QUEUED_CALLBACK"]}}
    )
    flow = Flow.from_document("inbound", substitute_tokens(doc, TOKENS))
    # When the edges are compared with what today's scenarios take
    taken: set[tuple[str, str, str]] = set()
    for scenario in all_scenarios():
        if scenario.flow == "inbound":
            taken |= run(scenario)[0].edges
    # Then the new edge is reported as untested
    assert reachable_edges(flow) - taken == {("inbound", "CheckStatus", "Equals:QUEUED_CALLBACK")}


def test_mutations_do_not_leak_between_tests() -> None:
    first, second = _inbound(), copy.deepcopy(_inbound())
    assert first == second
