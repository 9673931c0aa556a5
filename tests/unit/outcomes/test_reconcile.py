"""Hourly reconciliation against GetMetricDataV2, with botocore's Stubber (parameters validated against the Connect
service model of the installed botocore)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from routing.outcomes.reconcile import (
    QueueCounts,
    QueueDrift,
    Tolerance,
    connect_counts,
    hour_to_reconcile,
    our_counts,
    reconcile_hour,
)
from routing.outcomes.service import OutcomeService
from routing.outcomes.store import InMemoryCallLogStore
from tests.outcome_events import INSTANCE_ARN, QUEUE_ID, abandoned_call
from tests.outcome_records import contact_record

HOUR = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
OTHER_QUEUE = "0d2c3b4a-aaaa-bbbb-cccc-000000000002"


@pytest.fixture
def connect() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _expected(queue_ids: list[str], token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ResourceArn": INSTANCE_ARN,
        "StartTime": HOUR,
        "EndTime": datetime(2026, 12, 2, 11, 0, tzinfo=UTC),
        "Interval": {"IntervalPeriod": "HOUR", "TimeZone": "UTC"},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": queue_ids}],
        "Groupings": ["QUEUE"],
        "Metrics": [{"Name": "CONTACTS_ABANDONED"}, {"Name": "CONTACTS_HANDLED"}],
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


def _result(queue_id: str, abandoned: float | None, handled: float) -> dict[str, Any]:
    collections = [{"Metric": {"Name": "CONTACTS_HANDLED"}, "Value": handled}]
    if abandoned is not None:  # a null value (insufficient data) is absent from the response
        collections.append({"Metric": {"Name": "CONTACTS_ABANDONED"}, "Value": abandoned})
    return {"Dimensions": {"QUEUE": queue_id}, "Collections": collections}


def _call_log() -> InMemoryCallLogStore:
    """Queue QUEUE_ID, 10:00-11:00: 2 abandoned (one known from events only), 1 answered, 1 ended by the system."""
    store = InMemoryCallLogStore()
    service = OutcomeService(store)
    service.handle_record(contact_record("a-1", updated=200, queued_at=10, disconnected_at=105))
    for event in abandoned_call("a-2"):
        service.handle(event)
    service.handle_record(contact_record("h-1", updated=400, queued_at=10, answered_at=30, disconnected_at=300))
    service.handle_record(
        contact_record("s-1", updated=200, queued_at=10, disconnected_at=50, reason="CONTACT_FLOW_DISCONNECT")
    )
    service.handle_record(contact_record("late", updated=4000, queued_at=3500, disconnected_at=3700))  # 11:01
    return store


def test_our_counts_come_from_the_call_log_of_the_hour() -> None:
    counts = our_counts(_call_log().ended_in("2026-12-02T10"))
    assert counts == {QUEUE_ID: QueueCounts(abandoned=2, handled=1)}


def test_paged_results_are_summed_per_queue(connect: tuple[Any, Stubber]) -> None:
    client, stubber = connect
    queues = [QUEUE_ID, OTHER_QUEUE]
    stubber.add_response(
        "get_metric_data_v2", {"MetricResults": [_result(QUEUE_ID, 2, 1)], "NextToken": "t2"}, _expected(queues)
    )
    stubber.add_response(
        "get_metric_data_v2", {"MetricResults": [_result(OTHER_QUEUE, None, 7)]}, _expected(queues, "t2")
    )
    counts = connect_counts(
        client, instance_arn=INSTANCE_ARN, queue_ids=queues, start=HOUR, end=datetime(2026, 12, 2, 11, tzinfo=UTC)
    )
    assert counts == {QUEUE_ID: QueueCounts(2, 1), OTHER_QUEUE: QueueCounts(0, 7)}


def test_more_than_100_queues_take_one_request_per_100(connect: tuple[Any, Stubber]) -> None:
    client, stubber = connect
    queues = [f"q-{i:03d}" for i in range(150)]
    stubber.add_response("get_metric_data_v2", {"MetricResults": []}, _expected(queues[:100]))
    stubber.add_response("get_metric_data_v2", {"MetricResults": [_result("q-149", 1, 0)]}, _expected(queues[100:]))
    counts = connect_counts(
        client, instance_arn=INSTANCE_ARN, queue_ids=queues, start=HOUR, end=datetime(2026, 12, 2, 11, tzinfo=UTC)
    )
    assert counts == {"q-149": QueueCounts(1, 0)}


def test_an_hour_that_agrees_has_no_drift_and_one_that_does_not_is_flagged(connect: tuple[Any, Stubber]) -> None:
    client, stubber = connect
    queues = sorted([QUEUE_ID, OTHER_QUEUE])
    stubber.add_response(
        "get_metric_data_v2",
        {"MetricResults": [_result(QUEUE_ID, 2, 1), _result(OTHER_QUEUE, 9, 40)]},
        _expected(queues),
    )
    result = reconcile_hour(
        _call_log(),
        client,
        instance_arn=INSTANCE_ARN,
        configured_queue_ids=[OTHER_QUEUE],  # a quiet queue of the config: only Connect has contacts there
        hour_start=HOUR,
        tolerance=Tolerance(contacts=2, percent=5.0),
    )
    assert [q.queue_id for q in result.drifting] == [OTHER_QUEUE]
    metrics = {name: value for name, _unit, value in result.metrics()}
    assert metrics["ReconcileAbandonedOurs"] == 2
    assert metrics["ReconcileAbandonedConnect"] == 11
    assert metrics["ReconcileHandledOurs"] == 1
    assert metrics["ReconcileHandledConnect"] == 41
    assert metrics["ReconcileAbandonedDrift"] == 9
    assert metrics["ReconcileHandledDrift"] == 40
    assert metrics["ReconcileQueuesDrifting"] == 1


def test_a_wrong_parameter_is_caught_by_the_service_model() -> None:
    from botocore.exceptions import ParamValidationError

    client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_response("get_metric_data_v2", {}, None)  # no expectation: what stops the call is the model
        with pytest.raises(ParamValidationError):
            client.get_metric_data_v2(ResourceArn=INSTANCE_ARN, StartTime=HOUR, EndTime=HOUR, Filters=[], Metrics="x")


def test_drifts_in_opposite_directions_do_not_cancel_out() -> None:
    from routing.outcomes.reconcile import Reconciliation

    result = Reconciliation(
        HOUR,
        (
            QueueDrift("q1", QueueCounts(10, 0), QueueCounts(0, 0)),
            QueueDrift("q2", QueueCounts(0, 0), QueueCounts(10, 0)),
        ),
    )
    metrics = {name: value for name, _unit, value in result.metrics()}
    assert metrics["ReconcileAbandonedOurs"] == metrics["ReconcileAbandonedConnect"] == 10
    assert metrics["ReconcileAbandonedDrift"] == 20
    assert metrics["ReconcileQueuesDrifting"] == 2


@pytest.mark.parametrize(
    ("ours", "theirs", "allowed"),
    [(0, 0, True), (2, 0, True), (3, 0, False), (105, 100, True), (106, 100, False), (94, 100, False)],
)
def test_the_tolerance_is_the_larger_of_contacts_and_percent(ours: int, theirs: int, allowed: bool) -> None:
    assert Tolerance(contacts=2, percent=5.0).allows(ours, theirs) is allowed


def test_the_hour_reconciled_lags_the_current_one() -> None:
    assert hour_to_reconcile(datetime(2026, 12, 2, 13, 5, tzinfo=UTC), 2) == datetime(2026, 12, 2, 11, tzinfo=UTC)


class _FakeConnect:
    """GetMetricDataV2 answering fixed counts for QUEUE_ID."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def get_metric_data_v2(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {"MetricResults": [_result(QUEUE_ID, 9, 1)]}


def test_the_handler_publishes_at_the_reconciled_hour_and_logs_the_drifting_queue(
    emf: Any, lambda_logs: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import json

    import reconcile.handler as handler

    baked = tmp_path / "config.json"
    baked.write_text(json.dumps({"document": {"queues": {"cards_general": {"queue_id": OTHER_QUEUE}}}}))
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(baked))
    monkeypatch.setenv("CONNECT_INSTANCE_ARN", INSTANCE_ARN)
    monkeypatch.setenv("RECONCILE_TOLERANCE_CONTACTS", "3")
    connect = _FakeConnect()
    handler.set_dependencies((_call_log(), connect))
    try:
        reply = handler.lambda_handler({"hour": "2026-12-02T10:00:00Z"}, None)
    finally:
        handler.set_dependencies(None)
    assert reply == {"hour": "2026-12-02T10:00:00+00:00", "queues": 2, "drifting": 1}
    assert connect.requests[0]["Filters"][0]["FilterValues"] == sorted([QUEUE_ID, OTHER_QUEUE])
    (blob,) = [b for b in emf() if "ReconcileQueuesDrifting" in b]
    assert blob["_aws"]["Timestamp"] == int(HOUR.timestamp() * 1000)
    assert (blob["ReconcileAbandonedOurs"], blob["ReconcileAbandonedConnect"]) == ([2.0], [9.0])
    drift_lines = [json.loads(x) for x in lambda_logs.getvalue().splitlines() if '"queue drift"' in x]
    assert [(d["queue_id"], d["abandoned_ours"], d["abandoned_connect"]) for d in drift_lines] == [(QUEUE_ID, 2, 9)]
