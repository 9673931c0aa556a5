"""The live-metrics poller against botocore's Stubber (responses validated against the Connect API model)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from routing.live_metrics.poller import METRICS, MetricsPoller, TokenBucket, seconds_value
from routing.live_metrics.store import InMemoryMetricsStore
from tests.conftest import FakeClock

INSTANCE = "5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"


def _result(queue_id: str, channel: str, values: dict[str, float | None]) -> dict[str, Any]:
    collections = []
    for name, value in values.items():
        item: dict[str, Any] = {"Metric": {"Name": name, "Unit": METRICS[name][1]}}
        if value is not None:
            item["Value"] = value
        collections.append(item)
    return {
        "Dimensions": {
            "Queue": {
                "Id": queue_id,
                "Arn": f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}/queue/{queue_id}",
            },
            "Channel": channel,
        },
        "Collections": collections,
    }


def _expected(queue_ids: list[str], token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "InstanceId": INSTANCE,
        "Filters": {"Queues": queue_ids, "Channels": ["VOICE", "CHAT", "TASK"]},
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": ANY,
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


@pytest.fixture
def connect() -> Any:
    return boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _poller(client: Any, store: InMemoryMetricsStore, t: FakeClock, rate: float = 2.0) -> MetricsPoller:
    return MetricsPoller(
        client,
        store,
        instance_id=INSTANCE,
        requests_per_second=rate,
        clock=t,
        wall_clock=t,
        sleep=t.sleep,
        rng=__import__("random").Random(1),
    )


def test_pages_of_100_queues_and_next_token(connect: Any) -> None:
    queues = [f"q{i:03d}" for i in range(150)]
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        stub.add_response(
            "get_current_metric_data",
            {"MetricResults": [_result("q000", "VOICE", {"AGENTS_AVAILABLE": 2})], "NextToken": "page2"},
            _expected(queues[:100]),
        )
        stub.add_response(
            "get_current_metric_data",
            {"MetricResults": [_result("q001", "CHAT", {"CONTACTS_IN_QUEUE": 7})]},
            _expected(queues[:100], "page2"),
        )
        stub.add_response(
            "get_current_metric_data",
            {"MetricResults": [_result("q120", "VOICE", {"ESTIMATED_WAIT_TIME": 95.5, "OLDEST_CONTACT_AGE": 130})]},
            _expected(queues[100:]),
        )
        result = _poller(connect, store, t).sample(queues)
        stub.assert_no_pending_responses()
    assert result.requests == 3
    assert store.items["q000"].values == {"VOICE": {"agents_available": 2.0}}
    assert store.items["q001"].values == {"CHAT": {"contacts_in_queue": 7.0}}
    assert store.items["q120"].values["VOICE"] == {"estimated_wait_time": 95.5, "oldest_contact_age": 130.0}
    assert "q050" not in store.items  # Connect returned nothing for it: unknown, not zeros


def test_null_values_stay_unknown(connect: Any) -> None:
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        stub.add_response(
            "get_current_metric_data",
            {"MetricResults": [_result("q1", "VOICE", {"AGENTS_STAFFED": None, "AGENTS_ONLINE": 0})]},
            _expected(["q1"]),
        )
        _poller(connect, store, t).sample(["q1"])
    assert store.items["q1"].values == {"VOICE": {"agents_online": 0.0}}


def test_throttling_backs_off_and_recovers(connect: Any) -> None:
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        for code in ("TooManyRequestsException", "ThrottlingException"):
            stub.add_client_error("get_current_metric_data", service_error_code=code, http_status_code=429)
        stub.add_response(
            "get_current_metric_data",
            {"MetricResults": [_result("q1", "VOICE", {"AGENTS_AVAILABLE": 1})]},
            _expected(["q1"]),
        )
        result = _poller(connect, store, t).sample(["q1"])
    assert (result.requests, result.throttled, result.failed_pages) == (3, 2, 0)
    assert len(t.sleeps) >= 2
    assert "q1" in store.items


def test_other_errors_skip_the_page_and_keep_going(connect: Any) -> None:
    queues = [f"q{i:03d}" for i in range(101)]
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        stub.add_client_error(
            "get_current_metric_data", service_error_code="ResourceNotFoundException", http_status_code=404
        )
        stub.add_response(
            "get_current_metric_data",
            {"MetricResults": [_result("q100", "VOICE", {"AGENTS_AVAILABLE": 4})]},
            _expected(queues[100:]),
        )
        result = _poller(connect, store, t).sample(queues)
    assert result.failed_pages == 1
    assert list(store.items) == ["q100"]


def test_token_bucket_holds_the_request_budget() -> None:
    t = FakeClock()
    bucket = TokenBucket(2.0, 1.0, clock=t, sleep=t.sleep)
    start = t.now
    for _ in range(11):
        bucket.acquire()
    assert t.now - start == pytest.approx(5.0)  # 11 requests at 2/s: the first is free, 10 more take 5 s


def test_oldest_contact_age_milliseconds_quirk() -> None:
    assert seconds_value("OLDEST_CONTACT_AGE", 90_000, grouped=False) == 90.0
    assert seconds_value("OLDEST_CONTACT_AGE", 90, grouped=True) == 90.0
    assert seconds_value("ESTIMATED_WAIT_TIME", 90, grouped=False) == 90.0


def test_run_samples_several_times_within_the_invocation(connect: Any) -> None:
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        for _ in range(4):
            stub.add_response(
                "get_current_metric_data",
                {"MetricResults": [_result("q1", "VOICE", {"AGENTS_AVAILABLE": 1})]},
                _expected(["q1"]),
            )
        results = _poller(connect, store, t).run(
            ["q1"], samples=4, interval_seconds=15, remaining_seconds=lambda: 60 - (t.now - 1000)
        )
    assert len(results) == 3  # the 4th cycle would not finish before the 10 s safety margin


def test_poll_cycle_for_600_queues_costs_six_requests_per_page_sweep(connect: Any) -> None:
    queues = [f"q{i:03d}" for i in range(600)]
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        for page in range(6):
            stub.add_response(
                "get_current_metric_data", {"MetricResults": []}, _expected(queues[page * 100 : page * 100 + 100])
            )
        result = _poller(connect, store, t, rate=2.0).sample(queues)
    assert result.requests == 6
    assert t.now - 1000.0 == pytest.approx(2.5)  # 6 requests under a 2 req/s budget
