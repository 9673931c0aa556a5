"""The snapshot read on the per-call path is bounded: one BatchGetItem per 100 keys, never a retry loop.

PynamoDB's ``Model.batch_get`` re-requests UnprocessedKeys with no backoff and no limit; under DynamoDB throttling
that loop would run inside a contact's 3 s budget. The store reads each page once and leaves what DynamoDB did not
process unknown until the view's next refresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import DynamoMetricsStore, QueueSnapshot
from trunkline.embedded import fake_aws_env

TABLE = "metrics-bounds"


@pytest.fixture
def store() -> Iterator[DynamoMetricsStore]:
    from moto import mock_aws

    from routing.common.models import QueueMetricsItem

    with fake_aws_env(), mock_aws():
        s = DynamoMetricsStore(TABLE, region="us-east-1")
        QueueMetricsItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        yield s


def _client() -> Any:
    from routing.common.models import QueueMetricsItem

    return QueueMetricsItem._get_connection().connection.client


def test_one_request_per_hundred_keys(store: DynamoMetricsStore) -> None:
    # Given 250 snapshots
    store.put_many(
        [QueueSnapshot(f"q{i:03d}", 1_700_000_000.0, {"VOICE": {"agents_staffed": 1.0}}) for i in range(250)],
        ttl_seconds=600,
    )
    requests: list[int] = []
    _client().meta.events.register(
        "before-parameter-build.dynamodb.BatchGetItem",
        lambda params, **_: requests.append(len(params["RequestItems"][TABLE]["Keys"])),
    )
    # When 260 keys are read (10 have no snapshot)
    found = store.get_many([f"q{i:03d}" for i in range(260)])
    # Then three pages of at most 100 keys, and only the existing snapshots
    assert sorted(requests) == [60, 100, 100]
    assert len(found) == 250


def test_no_keys_no_request(store: DynamoMetricsStore) -> None:
    requests: list[str] = []
    _client().meta.events.register("before-call.dynamodb.BatchGetItem", lambda **_: requests.append("x"))
    assert store.get_many([]) == {}
    assert requests == []


def test_unprocessed_keys_are_unknown_not_retried(store: DynamoMetricsStore) -> None:
    # Given DynamoDB processes only one of two keys (throttling)
    stubbed = {
        "Responses": {TABLE: [{"pk": {"S": "q1"}, "sampled_at": {"N": "1700000000"}, "values": {"S": "{}"}}]},
        "UnprocessedKeys": {TABLE: {"Keys": [{"pk": {"S": "q2"}}]}},
    }
    with Stubber(_client()) as stub:
        stub.add_response("batch_get_item", stubbed, None)
        # When the route's view reads them
        found = store.get_many(["q1", "q2"])
        # Then exactly one request was made (a second would find no stubbed response and raise)
        stub.assert_no_pending_responses()
    assert list(found) == ["q1"]


def test_a_throttled_read_leaves_the_view_unknown_until_the_next_interval(store: DynamoMetricsStore) -> None:
    # Given a fresh snapshot for q2 that DynamoDB leaves unprocessed on the first read
    now = [1_700_000_010.0]
    store.put_many([QueueSnapshot("q2", 1_700_000_000.0, {"VOICE": {"agents_staffed": 3.0}})], ttl_seconds=600)
    view = LiveMetrics(store, cache_seconds=5, stale_seconds=60, wall_clock=lambda: now[0], monotonic=lambda: now[0])
    with Stubber(_client()) as stub:
        stub.add_response(
            "batch_get_item", {"Responses": {TABLE: []}, "UnprocessedKeys": {TABLE: {"Keys": [{"pk": {"S": "q2"}}]}}}
        )
        view.prefetch(frozenset({"q2"}))
    # Then the metric is unknown (not 0) for this interval …
    assert view.metric("q2", "agents_staffed", "VOICE") is None
    # … and read again once the interval has passed
    now[0] += 5
    view.prefetch(frozenset({"q2"}))
    assert view.metric("q2", "agents_staffed", "VOICE") == 3.0
