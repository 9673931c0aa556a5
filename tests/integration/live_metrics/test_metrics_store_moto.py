"""The metrics snapshot table on moto: batched reads beyond 100 keys, overwrite, TTL attribute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from routing.live_metrics.store import DynamoMetricsStore, QueueSnapshot
from trunkline.embedded import fake_aws_env


@pytest.fixture
def store() -> Iterator[DynamoMetricsStore]:
    from moto import mock_aws

    from routing.common.models import QueueMetricsItem

    with fake_aws_env(), mock_aws():
        s = DynamoMetricsStore("metrics-test", region="us-east-1")
        QueueMetricsItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        yield s


def test_batched_reads_beyond_one_batch_and_overwrites(store: DynamoMetricsStore) -> None:
    snaps = [
        QueueSnapshot(f"q{i:03d}", 1_700_000_000.0 + i, {"VOICE": {"agents_available": float(i)}}) for i in range(250)
    ]
    store.put_many(snaps, ttl_seconds=600)
    got = store.get_many([f"q{i:03d}" for i in range(260)])
    assert len(got) == 250
    assert got["q123"].values == {"VOICE": {"agents_available": 123.0}}
    store.put_many([QueueSnapshot("q123", 1_800_000_000.0, {"CHAT": {"contacts_in_queue": 4.0}})], ttl_seconds=600)
    assert store.get_many(["q123"])["q123"].values == {"CHAT": {"contacts_in_queue": 4.0}}


def test_ttl_is_set_from_the_sample_time(store: DynamoMetricsStore) -> None:
    from routing.common.models import QueueMetricsItem

    store.put_many([QueueSnapshot("q1", 1_700_000_000.0, {})], ttl_seconds=600)
    item = QueueMetricsItem.get("q1")
    assert item.expires_at is not None
    assert int(item.expires_at.timestamp()) == 1_700_000_600
