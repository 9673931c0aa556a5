"""Loading flows, filling tokens, and linting the simulator-only action types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flow_scenarios import FLOWS_DIR, TOKENS

from trunkline.simulator import (
    FlowLoadError,
    FlowSimulator,
    find_tokens,
    lint_flow,
    load_flow,
    load_flows,
    substitute_tokens,
)


def test_tokens_are_replaced_only_as_whole_strings() -> None:
    document = {"a": "%RouteFunctionArn%", "b": ["x %RouteFunctionArn% y", "%Other%"], "c": {"d": 3}}
    filled = substitute_tokens(document, {"%RouteFunctionArn%": "arn:fn"})
    assert filled == {"a": "arn:fn", "b": ["x %RouteFunctionArn% y", "%Other%"], "c": {"d": 3}}
    assert document["a"] == "%RouteFunctionArn%"  # a copy, not in place
    assert find_tokens(filled) == {"Other"}


def test_load_flow_refuses_unfilled_tokens(tmp_path: Path) -> None:
    source = FLOWS_DIR / "inbound.json"
    with pytest.raises(FlowLoadError, match="DefaultQueueArn"):
        load_flow(source, {"RouteFunctionArn": "arn:fn"})
    with pytest.raises(FlowLoadError, match="not substituted"):
        load_flow(source)
    deployed = tmp_path / "deployed.json"
    deployed.write_text(json.dumps(substitute_tokens(json.loads(source.read_text()), TOKENS)))
    assert load_flow(deployed).name == "deployed"  # already substituted: no tokens needed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "flow file"),
        ("[]", "not a JSON object"),
        ('{"modules": [], "version": "1", "start": "x"}', "console export"),
        ('{"Actions": {}, "StartAction": "a"}', "must be a list"),
        ('{"Actions": [{"Type": "X"}], "StartAction": "a"}', "no string Identifier"),
        ('{"Actions": [{"Identifier": "a"}, {"Identifier": "a"}], "StartAction": "a"}', "duplicate"),
        ('{"Actions": [{"Identifier": "a"}], "StartAction": "b"}', "StartAction"),
    ],
)
def test_bad_flow_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(FlowLoadError, match=message):
        load_flow(path)


def test_load_flows_needs_flow_files(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError, match="no flow files"):
        load_flows(tmp_path)
    sim = FlowSimulator.from_directory(FLOWS_DIR, TOKENS)
    assert set(sim.flows) == {"inbound", "transfer"}
    sim.register_flow_id("arn:aws:connect:::contact-flow/t", "transfer")
    with pytest.raises(Exception, match="unknown flow"):
        sim.register_flow_id("x", "nope")


def _callback_document(**overrides: Any) -> dict[str, Any]:
    create = {"InitialCallDelaySeconds": "5", "MaximumConnectionAttempts": "3", "RetryDelaySeconds": "600"}
    create.update(overrides)
    actions = [
        {
            "Identifier": "AskNumber",
            "Type": "GetParticipantInput",
            "Parameters": {
                "Text": "Enter your number",
                "StoreInput": "True",
                "InputTimeLimitSeconds": "8",
                "InputValidation": {"PhoneNumberValidation": {"NumberFormat": "E164"}},
            },
            "Transitions": {
                "NextAction": "SetNumber",
                "Errors": [{"NextAction": "Bye", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "SetNumber",
            "Type": "UpdateContactCallbackNumber",
            "Parameters": {"CallbackNumber": "$.StoredCustomerInput"},
            "Transitions": {
                "NextAction": "Create",
                "Errors": [
                    {"NextAction": "Bye", "ErrorType": "InvalidCallbackNumber"},
                    {"NextAction": "Bye", "ErrorType": "CallbackNumberNotDialable"},
                ],
            },
        },
        {
            "Identifier": "Create",
            "Type": "CreateCallbackContact",
            "Parameters": create,
            "Transitions": {"NextAction": "Bye", "Errors": [{"NextAction": "Bye", "ErrorType": "NoMatchingError"}]},
        },
        {"Identifier": "Bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ]
    return {"Version": "2019-10-30", "StartAction": "AskNumber", "Metadata": {}, "Actions": actions}


def test_a_callback_flow_lints_clean() -> None:
    assert lint_flow(_callback_document(), name="cb") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"InitialCallDelaySeconds": "0"}, "InitialCallDelaySeconds"),
        ({"RetryDelaySeconds": "300000"}, "RetryDelaySeconds"),
        ({"MaximumConnectionAttempts": "$.External.attempts"}, "MaximumConnectionAttempts"),
        ({"QueueId": "q", "AgentId": "a"}, "exclusive"),
    ],
)
def test_callback_timings_must_be_static_and_in_range(overrides: dict[str, str], message: str) -> None:
    issues = [str(i) for i in lint_flow(_callback_document(**overrides), name="cb")]
    assert any(message in i for i in issues), issues


def test_static_callback_number_and_missing_callback_errors_are_reported() -> None:
    document = _callback_document()
    set_number = document["Actions"][1]
    set_number["Parameters"]["CallbackNumber"] = "+12065550123"
    set_number["Transitions"]["Errors"] = set_number["Transitions"]["Errors"][:1]
    issues = [str(i) for i in lint_flow(document, name="cb")]
    assert any("cannot be static" in i for i in issues)
    assert any("must handle CallbackNumberNotDialable" in i for i in issues)


def test_a_menu_needs_its_conditions_and_errors() -> None:
    document = _callback_document()
    document["Actions"][0]["Parameters"]["StoreInput"] = "False"
    del document["Actions"][0]["Parameters"]["InputValidation"]
    issues = [str(i) for i in lint_flow(document, name="cb")]
    assert any("needs Conditions" in i for i in issues)
    assert any("must handle InputTimeLimitExceeded" in i for i in issues)
