"""Loading flows, filling tokens, and linting the simulator-only action types."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.flows.flow_scenarios import FLOWS_DIR, TOKENS
from trunkline.simulator import (
    Contact,
    EndReason,
    Flow,
    FlowLoadError,
    FlowSimulator,
    ScriptedInput,
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


# ---------------------------------------------------------------- real flows (tests/flows/fixtures/real)

REAL = Path(__file__).parent / "fixtures" / "real"
QUEUE = "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10/queue/q1"


def _load_real(path: Path) -> Any:
    # placeholders (cdk-constructs uses %Token%s like ours) are filled, as the deploying project would
    tokens = {t: f"{QUEUE}-{t}" for t in find_tokens(json.loads(path.read_text(encoding="utf-8")))}
    return load_flow(path, tokens or None)


@pytest.mark.parametrize("path", sorted(REAL.glob("*.json")), ids=lambda p: p.stem)
def test_the_loader_takes_every_real_flow_the_lint_accepts(path: Path) -> None:
    assert not [i for i in lint_flow(json.loads(path.read_text()), name=path.stem, policy=False) if i.is_error]
    flow = _load_real(path)
    assert flow.start_action in flow.actions
    assert len(flow.actions) == len(json.loads(path.read_text())["Actions"])


@pytest.mark.parametrize(
    ("stem", "queue_name"),
    [("voicemail-express_VMXInQueueAgentWhisper", "Sales"), ("gitlab-cicd_acme_agent_whisper_AUTO", "Sales")],
)
def test_the_simulator_runs_a_real_whisper_flow(stem: str, queue_name: str) -> None:
    # Given a real agent whisper flow whose action types the simulator models (a Compare on an attribute, a prompt
    # naming the queue, EndFlowExecution; the voicemail-express one has NoMatchingError on its attribute update)
    flow = _load_real(REAL / f"{stem}.json")
    sim = FlowSimulator({flow.name: flow})
    # When an agent hears it for a contact in queue Sales
    result = sim.run(flow.name, Contact(queue_arn=QUEUE, queue_name=queue_name, attributes={"vmx3_flag": "1"}))
    # Then the queue name is played and the whisper ends (the contact goes on to the agent)
    assert result.message_texts == [queue_name]
    assert result.end_reason is EndReason.FLOW_ENDED


def test_the_simulator_runs_a_real_menu_flow() -> None:
    # Given the rules-engine's DTMF menu flow (menus, store-less input, Lambda calls without ResponseValidation)
    flow = _load_real(REAL / "rules-engine_RulesEngineDTMFMenu.json")
    functions: dict[str, Callable[[Any, Any], dict[str, Any]]] = {
        str(a["Parameters"]["LambdaFunctionARN"]): (lambda _e, _c: {})
        for a in flow.actions.values()
        if a["Type"] == "InvokeLambdaFunction"
    }
    sim = FlowSimulator({flow.name: flow}, lambdas=functions)
    # When a caller arrives with no rule state (the flow's own error path)
    result = sim.run(flow.name, Contact())
    # Then the simulator walks it to an ending, taking only branches the flow declares
    assert result.end_reason is EndReason.DISCONNECTED
    assert result.path[-1].endswith(":Disconnected")


# ---------------------------------------------------------------- store mode: every validation the lint accepts runs


def _store_flow(validation: dict[str, Any], *, invalid_branch: bool) -> Any:
    errors = [{"NextAction": "Failed", "ErrorType": "NoMatchingError"}]
    if invalid_branch:
        errors.append({"NextAction": "Invalid", "ErrorType": "InvalidPhoneNumber"})
    actions = [
        {
            "Identifier": "Ask",
            "Type": "GetParticipantInput",
            "Parameters": {"Text": "Number?", "StoreInput": "True", "InputValidation": validation},
            "Transitions": {"NextAction": "Stored", "Errors": errors},
        },
        *(
            {"Identifier": name, "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
            for name in ("Stored", "Failed", "Invalid")
        ),
    ]
    document = {"Version": "2019-10-30", "StartAction": "Ask", "Metadata": {}, "Actions": actions}
    assert not [i for i in lint_flow(document, name="s", policy=False) if i.is_error]
    return FlowSimulator([Flow.from_document("s", document)])


@pytest.mark.parametrize(
    ("validation", "invalid_branch", "digits", "ended_at", "stored"),
    [
        ({"CustomValidation": {"MaximumLength": "4"}}, False, "1234#", "Stored", "1234"),
        ({"CustomValidation": {"MaximumLength": "4"}}, False, "12345#", "Failed", None),
        (
            {"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "AU"}},
            True,
            "0298765432#",
            "Stored",
            "+61298765432",
        ),
        ({"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "AU"}}, True, "12#", "Invalid", None),
        ({"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "AU"}}, False, "12#", "Failed", None),
        ({"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "US"}}, True, "555#", "Invalid", None),
        ({"PhoneNumberValidation": {"NumberFormat": "E164"}}, True, "+12065550123#", "Stored", "+12065550123"),
    ],
    ids=["custom-ok", "custom-long", "au-ok", "au-invalid-branch", "au-invalid-no-branch", "us-invalid-branch", "e164"],
)
def test_store_mode_runs_every_validation_the_lint_accepts(
    validation: dict[str, Any], invalid_branch: bool, digits: str, ended_at: str, stored: str | None
) -> None:
    # Given a store-mode input with a validation Connect accepts (custom length, any country, E.164)
    sim = _store_flow(validation, invalid_branch=invalid_branch)
    # When the caller keys the digits
    result = sim.run("s", Contact(inputs=[ScriptedInput.dtmf(digits)]))
    # Then a valid input is stored and an invalid one takes InvalidPhoneNumber when declared, else NoMatchingError
    assert result.ended_at == ended_at, result.describe()
    assert result.stored_customer_input == stored
