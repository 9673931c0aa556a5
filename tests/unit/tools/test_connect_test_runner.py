"""``flows run-tests`` against a stubbed Connect (botocore Stubber: requests and responses checked against the
service model): one line per case, failed observations shown, non-zero exit on any failure, at most N running."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from trunkline import cli
from trunkline.connect_test_runner import TestCase, published_cases, run_and_report, run_cases, summarize_record

INSTANCE_ID = "5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"
INSTANCE_ARN = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE_ID}"
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
A, B = TestCase("tc-a", "trunkline-dev-inbound-a"), TestCase("tc-b", "trunkline-dev-inbound-b")


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _summary(name: str, case_id: str, status: str = "PUBLISHED") -> dict[str, Any]:
    return {"Id": case_id, "Arn": f"{INSTANCE_ARN}/test-case/{case_id}", "Name": name, "Status": status}


def _list(stub: Stubber) -> None:
    page1 = {"TestCaseSummaryList": [_summary(B.name, B.test_case_id), _summary("other-team-case", "tc-x")]}
    stub.add_response("list_test_cases", {**page1, "NextToken": "p2"}, {"InstanceId": INSTANCE_ID, "MaxResults": 1000})
    page2 = {
        "TestCaseSummaryList": [_summary(A.name, A.test_case_id), _summary("trunkline-dev-draft", "tc-d", "SAVED")]
    }
    stub.add_response("list_test_cases", page2, {"InstanceId": INSTANCE_ID, "MaxResults": 1000, "NextToken": "p2"})


def _start(stub: Stubber, case: TestCase) -> None:
    stub.add_response(
        "start_test_case_execution",
        {"TestCaseExecutionId": f"ex-{case.test_case_id}", "TestCaseId": case.test_case_id, "Status": "INITIATED"},
        {"InstanceId": INSTANCE_ID, "TestCaseId": case.test_case_id},
    )


def _poll(stub: Stubber, case: TestCase, status: str) -> None:
    summary: dict[str, Any] = {"StartTime": NOW, "Status": status}
    if status in ("PASSED", "FAILED"):
        summary["EndTime"] = NOW
        summary["ObservationSummary"] = {"TotalObservations": 4, "ObservationsPassed": 3, "ObservationsFailed": 1}
    stub.add_response(
        "get_test_case_execution_summary",
        summary,
        {"InstanceId": INSTANCE_ID, "TestCaseId": case.test_case_id, "TestCaseExecutionId": f"ex-{case.test_case_id}"},
    )


def _records(stub: Stubber, case: TestCase, records: list[dict[str, Any]]) -> None:
    expected = {
        "InstanceId": INSTANCE_ID,
        "TestCaseId": case.test_case_id,
        "TestCaseExecutionId": f"ex-{case.test_case_id}",
        "Status": "FAILED",
        "MaxResults": 100,
    }
    stub.add_response("list_test_case_execution_records", {"ExecutionRecords": records}, expected)


FAILED_QUEUE = {
    "ObservationId": "05-transferred",
    "Status": "FAILED",
    "Timestamp": NOW,
    "Record": json.dumps(
        {"Type": "COMPLETION", "CompletionReason": {"Type": "FAILURE", "Message": "$.Queue.ARN was Q2"}}
    ),
}


def test_published_cases_are_found_by_prefix_across_pages(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    _list(stub)
    assert published_cases(client, INSTANCE_ID, "trunkline-dev-") == [A, B]


def test_one_line_per_case_with_the_failed_observations_and_a_failing_exit(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    _list(stub)
    _start(stub, A)
    _start(stub, B)
    _poll(stub, A, "IN_PROGRESS")
    _poll(stub, B, "FAILED")
    _records(stub, B, [FAILED_QUEUE])
    _poll(stub, A, "PASSED")
    lines: list[str] = []
    code = run_and_report(client, INSTANCE_ARN, "trunkline-dev-", print_line=lines.append, sleep=lambda _s: None)
    assert code == 1
    assert lines == [
        f"PASS {A.name}",
        f"FAIL {B.name} [FAILED]: 05-transferred: $.Queue.ARN was Q2",
        "1 passed, 1 failed",
    ]


def test_all_passing_exits_zero(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    _list(stub)
    for case in (A, B):
        _start(stub, case)
    for case in (A, B):
        _poll(stub, case, "PASSED")
    lines: list[str] = []
    assert run_and_report(client, INSTANCE_ID, "trunkline-dev-", print_line=lines.append, sleep=lambda _s: None) == 0
    assert lines[-1] == "2 passed, 0 failed"


def test_a_full_connect_queue_delays_the_start_instead_of_failing(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    _start(stub, A)
    stub.add_client_error("start_test_case_execution", "ServiceQuotaExceededException", "100 queued", 402)
    _poll(stub, A, "PASSED")
    _start(stub, B)  # retried once A has finished
    _poll(stub, B, "PASSED")
    outcomes = run_cases(client, INSTANCE_ID, [A, B], max_running=2, sleep=lambda _s: None)
    assert [o.status for o in outcomes] == ["PASSED", "PASSED"]


def test_at_most_max_running_at_once(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    _start(stub, A)
    _poll(stub, A, "PASSED")  # B starts only after A finished (the Stubber enforces this order)
    _start(stub, B)
    _poll(stub, B, "PASSED")
    assert all(o.passed for o in run_cases(client, INSTANCE_ID, [A, B], max_running=1, sleep=lambda _s: None))


def test_cases_still_running_at_the_deadline_are_stopped_and_fail(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    _start(stub, A)
    _poll(stub, A, "IN_PROGRESS")
    stub.add_response(
        "stop_test_case_execution",
        {},
        {"InstanceId": INSTANCE_ID, "TestCaseId": A.test_case_id, "TestCaseExecutionId": f"ex-{A.test_case_id}"},
    )
    ticks = iter([0.0, 10.0, 400.0])
    (outcome,) = run_cases(
        client, INSTANCE_ID, [A], deadline_seconds=300, sleep=lambda _s: None, clock=lambda: next(ticks)
    )
    assert (outcome.status, outcome.passed) == ("STOPPED", False)
    assert "deadline" in outcome.line()


def test_a_case_that_cannot_start_fails_with_the_reason(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_client_error("start_test_case_execution", "ResourceNotFoundException", "gone", 404)
    (outcome,) = run_cases(client, INSTANCE_ID, [A], sleep=lambda _s: None)
    assert outcome.line() == f"FAIL {A.name} [ERROR]: could not start: ResourceNotFoundException"


def test_records_are_summarized_whatever_their_shape() -> None:
    assert summarize_record('{"CompletionReason": {"Message": "timed out"}}') == "timed out"
    assert summarize_record("not json") == "not json"
    assert summarize_record('{"Type": "OBSERVATION"}') == '{"Type":"OBSERVATION"}'
    assert len(summarize_record("x" * 1000)) == 300


def test_the_cli_command_runs_them_and_exits_non_zero_on_failure(
    stubbed: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stub = stubbed
    regions: list[str] = []

    def fake_client(service: str, region_name: str | None = None) -> Any:
        assert service == "connect"
        regions.append(str(region_name))
        return client

    monkeypatch.setattr(boto3, "client", fake_client)
    monkeypatch.setattr("time.sleep", lambda _s: None)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # the command checks credentials exist before calling
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    _list(stub)
    for case in (A, B):
        _start(stub, case)
    _poll(stub, A, "PASSED")
    _poll(stub, B, "FAILED")
    _records(stub, B, [FAILED_QUEUE])
    argv = ["flows", "run-tests", "--instance-id", INSTANCE_ARN, "--region", "us-west-2", "--prefix", "trunkline-dev-"]
    assert cli.main(argv) == 1
    assert regions == ["us-west-2"]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"PASS {A.name}"
    assert out[1].startswith(f"FAIL {B.name}")


def test_the_flows_command_group_is_created_once_and_shared() -> None:
    """``flows lint`` (another module) and the test commands hang off the same ``flows`` group of the registry."""
    import argparse

    from trunkline.cli.app import Commands

    parser = argparse.ArgumentParser()
    commands = Commands(parser.add_subparsers(dest="command"), "trunkline")
    first = commands.group("flows", help="")
    assert commands.group("flows", help="") is first
    args = cli.build_parser().parse_args(["flows", "run-tests", "--instance-id", INSTANCE_ID])
    assert (args.func, args.prefix, args.region) == (cli.cmd_flows_run_tests, "trunkline-", None)
    args = cli.build_parser().parse_args(["flows", "lint", "x.json"])
    assert args.func.__name__ == "cmd_flows_lint"
