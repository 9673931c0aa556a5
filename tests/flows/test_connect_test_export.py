"""The simulator's scenarios as Connect test cases (issue 11 §3): each exported case follows the documented
testing-language structure and the botocore model of CreateTestCase, says what its scenario says (prompts, input,
queue), and the committed ``connect_tests/`` is what the exporter writes today."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.flows import flow_scenarios as fs
from trunkline.connect_test_files import create_request, load_cases
from trunkline.connect_test_schema import content_problems
from trunkline.connect_tests import ExportedCase, Skipped, export_case
from trunkline.scenario_export import config_queue_ids, export_scenarios
from trunkline.simulator import ALWAYS_CLOSED, ALWAYS_OPEN, Contact, EndReason, Flow, FlowSimulator

COMMITTED = fs.REPO / "connect_tests"
INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"
VALUES = {
    "InstanceArn": INSTANCE_ARN,
    "DefaultQueueId": fs.DEFAULT_QUEUE_ID,
    "RouteFunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:trunkline-dev-route:live",
    "CallbackFunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:trunkline-dev-callback:live",
    "FlowArn:inbound": f"{INSTANCE_ARN}/contact-flow/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
}


@cache
def exported() -> tuple[dict[str, ExportedCase], dict[str, Skipped]]:
    cases, skipped = export_scenarios()
    return {c.name: c for c in cases}, {s.name: s for s in skipped}


def _scenario(name: str) -> fs.Scenario:
    (found,) = [s for s in fs.all_scenarios() if f"{s.flow}-{s.name}"[:100] == name]
    return found


def _observations(case: ExportedCase) -> list[dict[str, Any]]:
    return list(case.content["Observations"])


def _actions(case: ExportedCase, kind: str) -> list[dict[str, Any]]:
    return [a for o in _observations(case) for a in o["Actions"] if a["Type"] == kind]


def test_every_scenario_is_exported_or_says_why_not() -> None:
    cases, skipped = exported()
    assert len(cases) + len(skipped) == len(fs.all_scenarios())
    assert len(cases) >= 30, "most inbound paths run on a real instance"
    assert all(s.reason for s in skipped.values())
    # Never a real callback from a test run, never a flow a test cannot enter.
    assert all("callback" in skipped[n].reason for n in skipped if n.startswith("inbound-callback_to_"))
    assert all(n.startswith("inbound-") for n in cases)


def test_every_case_has_the_documented_structure() -> None:
    for name, case in exported()[0].items():
        assert content_problems(case.content) == [], name


def test_every_case_is_a_valid_create_test_case_request() -> None:
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:  # validates every request against the botocore service model
        for name, case in exported()[0].items():
            request = create_request(
                case.document(), instance_id=INSTANCE_ARN, values=VALUES, name_prefix="trunkline-dev-"
            )
            assert len(request["Name"]) <= 127
            assert json.loads(request["Content"])  # a JSON string, as the API wants
            stub.add_response("create_test_case", {"TestCaseId": name[:36], "TestCaseArn": "arn"}, request)
            client.create_test_case(**request)
        stub.assert_no_pending_responses()


def test_cases_say_what_their_scenarios_say() -> None:
    """The simulator's expectations (prompts, input, queue) are the case's: the two cannot drift."""
    queue_ids = config_queue_ids()
    for name, case in exported()[0].items():
        scenario = _scenario(name)
        result, _ = fs.run(scenario)
        heard = [
            o["Event"]["Properties"]["Text"] for o in _observations(case) if o["Event"]["Type"] == "MessageReceived"
        ]
        expected = list(scenario.messages) if scenario.messages is not None else result.message_texts
        assert heard == expected, name
        pressed = [a["Parameters"]["Instruction"]["Properties"]["Value"] for a in _actions(case, "SendInstruction")]
        assert pressed == [i.value for i in scenario.contact.inputs if i.kind == "dtmf"], name
        queue = [
            a["Parameters"]["Operand"]
            for a in _actions(case, "Assert")
            if a["Parameters"]["Namespace"] == "$.Queue.ARN"
        ]
        if scenario.end is EndReason.TRANSFERRED_TO_QUEUE:
            assert scenario.queue is not None
            # The simulator's fictional queues become config/'s queue of the key the reply names.
            real = {fs.CARDS_QUEUE_ARN: "cards_general", fs.CONFIG_DEFAULT_QUEUE_ARN: "general_default"}
            key = real.get(scenario.queue)
            real_id = queue_ids[key] if key else scenario.queue.rsplit("/", 1)[1]
            real_id = "%DefaultQueueId%" if real_id == fs.DEFAULT_QUEUE_ID else real_id
            assert queue == [f"%InstanceArn%/queue/{real_id}"], name
        else:
            assert queue == [], name
        ends = [a for a in _actions(case, "TestControl") if a["Parameters"]["Command"]["Type"] == "EndTest"]
        assert len(ends) == 1, f"{name}: one EndTest, so a queued test contact never reaches an agent"


def _mocks(case: ExportedCase, action_type: str) -> list[dict[str, Any]]:
    first = _observations(case)[0]
    assert first["Event"]["Type"] == "TestInitiated"
    return [
        a["Parameters"]["Behavior"]["Properties"]
        for a in first["Actions"]
        if a["Parameters"]["Behavior"]["Properties"]["ActionType"] == action_type
    ]


def test_lambda_results_are_mocked_in_order_errors_and_timeouts_included() -> None:
    cases = exported()[0]
    routed = _mocks(cases["inbound-routed_voice_call_is_queued_with_priority_and_attributes"], "InvokeLambdaFunction")
    (only,) = routed
    assert only["ActionParameters"] == {"LambdaFunctionARN": "%RouteFunctionArn%"}
    loaded = json.loads(only["Strategy"]["Response"]["ExecutionResult"]["LoadedData"])
    assert loaded["status"] == "ROUTED"
    assert loaded["queue_arn"] == f"%InstanceArn%/queue/{config_queue_ids()['cards_general']}"  # a real queue
    error = _mocks(cases["inbound-lambda_error_is_retried_three_times_then_default_queue"], "InvokeLambdaFunction")
    assert [m["Strategy"]["Response"] for m in error] == [{"Type": "Error", "Error": {"Value": "NoMatchingError"}}]
    timeout = _mocks(cases["inbound-lambda_timeout_takes_the_default_queue"], "InvokeLambdaFunction")
    assert [m["Strategy"]["Response"]["Error"]["Value"] for m in timeout] == ["TimeLimitExceeded"]
    both = _mocks(cases["inbound-callback_refused_queue_full_apologises_and_queues"], "InvokeLambdaFunction")
    assert [m["ActionParameters"]["LambdaFunctionARN"] for m in both] == ["%RouteFunctionArn%", "%CallbackFunctionArn%"]


def test_a_full_queue_is_mocked_on_that_queue_only() -> None:
    name = next(n for n in exported()[0] if n.startswith("inbound-full_target_queue"))
    (full,) = _mocks(exported()[0][name], "TransferContactToQueue")
    assert full["Strategy"]["Response"] == {"Type": "Error", "Error": {"Value": "QueueAtCapacity"}}
    assert full["ActionParameters"]["QueueId"] == f"%InstanceArn%/queue/{config_queue_ids()['cards_general']}"


HOURS_FLOW = {
    "Version": "2019-10-30",
    "StartAction": "Hours",
    "Metadata": {"trunkline": {"flowType": "CONTACT_FLOW"}},
    "Actions": [
        {
            "Identifier": "Hours",
            "Type": "CheckHoursOfOperation",
            "Parameters": {"HoursOfOperationId": f"{fs.INSTANCE}/operating-hours/abc"},
            "Transitions": {
                "NextAction": "Closed",
                "Conditions": [
                    {"NextAction": "Open", "Condition": {"Operator": "Equals", "Operands": ["True"]}},
                    {"NextAction": "Closed", "Condition": {"Operator": "Equals", "Operands": ["False"]}},
                ],
                "Errors": [{"NextAction": "Closed", "ErrorType": "NoMatchingError"}],
            },
        },
        {
            "Identifier": "Open",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "We are open."},
            "Transitions": {"NextAction": "Bye"},
        },
        {
            "Identifier": "Closed",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "We are closed."},
            "Transitions": {"NextAction": "Bye"},
        },
        {"Identifier": "Bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ],
}


@pytest.mark.parametrize(
    ("hours", "value", "prompt"),
    [(ALWAYS_OPEN, "InHours", "We are open."), (ALWAYS_CLOSED, "OutOfHours", "We are closed.")],
)
def test_hours_are_overridden_to_what_the_case_needs(hours: Any, value: str, prompt: str) -> None:
    flow = Flow.from_document("hours", copy.deepcopy(HOURS_FLOW))
    contact = Contact()
    result = FlowSimulator({"hours": flow}, hours=hours).run("hours", contact)
    case = export_case(
        name="x",
        flow="hours",
        flows={"hours": flow},
        contact=contact,
        result=result,
        attributes={},
        functions={},
        queue_ids={},
        default_queue_id=fs.DEFAULT_QUEUE_ID,
    )
    assert isinstance(case, ExportedCase)
    (mock,) = _mocks(case, "CheckHoursOfOperation")
    assert mock["ActionParameters"] == {"HoursOfOperationId": "%InstanceArn%/operating-hours/abc"}
    assert mock["Strategy"]["Response"]["ExecutionResult"] == {"Value": value}
    assert [o["Event"]["Properties"].get("Text") for o in _observations(case)[1:]] == [prompt]
    assert content_problems(case.content) == []


def test_the_validator_rejects_what_the_docs_do_not_allow() -> None:
    case = exported()[0]["inbound-routed_voice_call_is_queued_with_priority_and_attributes"]
    breakages: dict[str, Callable[[dict[str, Any]], object]] = {
        "Version": lambda c: c.update(Version="2025-06-21"),
        "Usage": lambda c: c["Observations"][1].update(Usage={"Type": "EXACTLY"}),
        "ActionParameters": lambda c: c["Observations"][-1]["Event"]["Properties"].pop("ActionParameters"),
        "NextAction": lambda c: c["Observations"][0]["Actions"][0]["Transitions"].update(NextAction="nowhere"),
        "Operator": lambda c: c["Observations"][-1]["Actions"][0]["Parameters"].update(Operator="Is"),
        "mocked to fail": lambda c: c["Observations"][0]["Actions"][0]["Parameters"]["Behavior"]["Properties"][
            "Strategy"
        ].update(Response={"Type": "Error", "Error": {"Value": "QueueAtCapacity"}}),
    }
    for label, breaking in breakages.items():
        broken = copy.deepcopy(case.content)
        breaking(broken)
        assert content_problems(broken), label


def test_committed_cases_are_what_the_exporter_writes_today() -> None:
    """connect_tests/ is deployed as is: re-run ``python -m trunkline flows export-tests connect_tests``."""
    cases, skipped = exported()
    assert load_cases(COMMITTED) == {n: c.document() for n, c in cases.items()}
    listed = json.loads((COMMITTED / "skipped.json").read_text(encoding="utf-8"))
    assert listed == {n: s.reason for n, s in skipped.items()}


def test_export_tests_command_writes_one_file_per_case(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from trunkline import cli

    assert cli.main(["flows", "export-tests", str(tmp_path / "out")]) == 0
    cases, _ = exported()
    assert load_cases(tmp_path / "out") == {n: c.document() for n, c in cases.items()}
    assert f"{len(cases)} test cases written" in capsys.readouterr().out
