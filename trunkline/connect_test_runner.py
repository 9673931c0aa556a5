"""``trunkline flows run-tests``: run the instance's published Trunkline test cases and report each one.

Connect runs at most 5 executions at once (its queue holds 100, the 5 included) and a run lasts at most 5 minutes:
start up to ``max_running``, poll each one's summary, start the next as one finishes, and stop whatever is still
running at the deadline (reported as failed). A failed case's failed observations come from
``ListTestCaseExecutionRecords``; their ``Record`` has no published schema, so it is summarized defensively.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

TERMINAL = frozenset({"PASSED", "FAILED", "STOPPED"})
MAX_RUNNING = 5
POLL_SECONDS = 5.0
DEADLINE_SECONDS = 15 * 60.0
RECORD_CHARS = 300


@dataclass(frozen=True, slots=True)
class TestCase:
    """A published test case of the instance."""

    __test__ = False  # not a pytest class

    test_case_id: str
    name: str


@dataclass(slots=True)
class Outcome:
    """One case's result: PASSED, FAILED, STOPPED, or ERROR (could not be started)."""

    case: TestCase
    status: str
    execution_id: str = ""
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Only PASSED passes."""
        return self.status == "PASSED"

    def line(self) -> str:
        """One line: ``PASS name`` or ``FAIL name [STATUS]: observation: why; …``."""
        if self.passed:
            return f"PASS {self.case.name}"
        detail = "; ".join(self.failures) or "no failed observation recorded"
        return f"FAIL {self.case.name} [{self.status}]: {detail}"


def instance_id_of(value: str) -> str:
    """The instance id of an id or ARN (the execution APIs take the id only, at most 100 characters)."""
    return value.rsplit("/", 1)[-1]


def published_cases(client: Any, instance_id: str, prefix: str) -> list[TestCase]:
    """The instance's published test cases whose name starts with ``prefix``, by name."""
    found = []
    token: str | None = None
    while True:
        page = client.list_test_cases(
            InstanceId=instance_id, MaxResults=1000, **({"NextToken": token} if token else {})
        )
        for summary in page.get("TestCaseSummaryList", []):
            name = summary.get("Name", "")
            if name.startswith(prefix) and summary.get("Status", "PUBLISHED") == "PUBLISHED":
                found.append(TestCase(summary["Id"], name))
        token = page.get("NextToken")
        if not token:
            return sorted(found, key=lambda c: c.name)


def _records(client: Any, instance_id: str, case: TestCase, execution_id: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = client.list_test_case_execution_records(
            InstanceId=instance_id,
            TestCaseId=case.test_case_id,
            TestCaseExecutionId=execution_id,
            Status="FAILED",
            MaxResults=100,
            **({"NextToken": token} if token else {}),
        )
        yield from page.get("ExecutionRecords", [])
        token = page.get("NextToken")
        if not token:
            return


def summarize_record(record: str) -> str:
    """The useful part of an execution record: a completion reason's message, else the record, shortened."""
    try:
        data = json.loads(record)
    except (TypeError, ValueError):
        return str(record)[:RECORD_CHARS]
    if isinstance(data, dict):
        reason = data.get("CompletionReason")
        if isinstance(reason, dict) and reason.get("Message"):
            return str(reason["Message"])[:RECORD_CHARS]
    return json.dumps(data, separators=(",", ":"), sort_keys=True)[:RECORD_CHARS]


def failures(client: Any, instance_id: str, case: TestCase, execution_id: str) -> list[str]:
    """``observation: why`` for every failed observation of an execution."""
    return [
        f"{r.get('ObservationId', '?')}: {summarize_record(r.get('Record', ''))}"
        for r in _records(client, instance_id, case, execution_id)
    ]


def run_cases(
    client: Any,
    instance_id: str,
    cases: list[TestCase],
    *,
    max_running: int = MAX_RUNNING,
    poll_seconds: float = POLL_SECONDS,
    deadline_seconds: float = DEADLINE_SECONDS,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> list[Outcome]:
    """Run ``cases`` (at most ``max_running`` at once) and return one outcome per case, in ``cases`` order."""
    from botocore.exceptions import ClientError

    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    outcomes: dict[str, Outcome] = {}
    pending: list[TestCase] = list(cases)
    running: dict[str, Outcome] = {}
    deadline = clock() + deadline_seconds
    while pending or running:
        while pending and len(running) < max_running:
            case = pending[0]
            try:
                started = client.start_test_case_execution(InstanceId=instance_id, TestCaseId=case.test_case_id)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in ("ServiceQuotaExceededException", "ThrottlingException", "LimitExceededException"):
                    break  # Connect's queue is full: try again after a poll
                outcomes[case.test_case_id] = Outcome(case, "ERROR", failures=[f"could not start: {code or error}"])
                pending.pop(0)
                continue
            pending.pop(0)
            running[case.test_case_id] = Outcome(
                case, started.get("Status", "INITIATED"), started["TestCaseExecutionId"]
            )
        if clock() >= deadline:
            _stop(client, instance_id, running, outcomes)
            for case in pending:
                outcomes[case.test_case_id] = Outcome(case, "ERROR", failures=["not started before the deadline"])
            break
        sleep(poll_seconds)
        for case_id, outcome in list(running.items()):
            summary = client.get_test_case_execution_summary(
                InstanceId=instance_id, TestCaseId=case_id, TestCaseExecutionId=outcome.execution_id
            )
            outcome.status = summary.get("Status", outcome.status)
            if outcome.status in TERMINAL:
                if not outcome.passed:
                    outcome.failures = failures(client, instance_id, outcome.case, outcome.execution_id)
                outcomes[case_id] = running.pop(case_id)
    return [outcomes[c.test_case_id] for c in cases]


def _stop(client: Any, instance_id: str, running: dict[str, Outcome], outcomes: dict[str, Outcome]) -> None:
    for case_id, outcome in running.items():
        client.stop_test_case_execution(
            InstanceId=instance_id, TestCaseId=case_id, TestCaseExecutionId=outcome.execution_id
        )
        outcome.status = "STOPPED"
        outcome.failures = ["still running at the deadline: stopped"]
        outcomes[case_id] = outcome
    running.clear()


def run_and_report(
    client: Any, instance: str, prefix: str, *, print_line: Callable[[str], None] = print, **options: Any
) -> int:
    """Run every matching case, print one line each and a total; 0 when all passed, 1 otherwise (none: 1)."""
    instance_id = instance_id_of(instance)
    cases = published_cases(client, instance_id, prefix)
    if not cases:
        print_line(f"no published test case named {prefix}* on instance {instance_id}")
        return 1
    outcomes = run_cases(client, instance_id, cases, **options)
    for outcome in outcomes:
        print_line(outcome.line())
    failed = sum(not o.passed for o in outcomes)
    print_line(f"{len(outcomes) - failed} passed, {failed} failed")
    return 1 if failed else 0
