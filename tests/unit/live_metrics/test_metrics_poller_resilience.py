"""The poller keeps sampling through the failures it will meet: retries exhausted, snapshot writes failing, the
config table unreadable. Connect is botocore's Stubber on a real client (responses checked against the API model)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.config.store import Pointer
from routing.live_metrics.poller import METRICS, ActiveQueues, MetricsPoller, queue_ids_of
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from tests.conftest import FakeClock

INSTANCE = "5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"


@pytest.fixture
def connect() -> Any:
    return boto3.client("connect", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _page(queue_id: str, **values: float) -> dict[str, Any]:
    return {
        "MetricResults": [
            {
                "Dimensions": {"Queue": {"Id": queue_id}, "Channel": "VOICE"},
                "Collections": [
                    {"Metric": {"Name": name, "Unit": METRICS[name][1]}, "Value": value}
                    for name, value in values.items()
                ],
            }
        ]
    }


def _poller(client: Any, store: Any, t: FakeClock, **kwargs: Any) -> MetricsPoller:
    return MetricsPoller(
        client,
        store,
        instance_id=INSTANCE,
        clock=t,
        wall_clock=t,
        sleep=t.sleep,
        rng=random.Random(7),
        **kwargs,
    )


# --- throttling ------------------------------------------------------------------------------------------------


def test_limit_exceeded_is_throttling_too(connect: Any) -> None:
    store, t = InMemoryMetricsStore(), FakeClock()
    with Stubber(connect) as stub:
        stub.add_client_error("get_current_metric_data", "LimitExceededException", http_status_code=429)
        stub.add_response("get_current_metric_data", _page("q1", AGENTS_STAFFED=2))
        result = _poller(connect, store, t).sample(["q1"])
    assert (result.throttled, result.failed_pages) == (1, 0)
    assert store.items["q1"].values == {"VOICE": {"agents_staffed": 2.0}}


def test_retries_are_bounded_and_the_page_keeps_its_previous_snapshot(connect: Any) -> None:
    # Given a snapshot from the previous cycle, and Connect throttling every attempt of this one
    store, t = InMemoryMetricsStore(), FakeClock()
    previous = QueueSnapshot("q1", 990.0, {"VOICE": {"agents_staffed": 4.0}})
    store.items["q1"] = previous
    with Stubber(connect) as stub:
        for _ in range(4):
            stub.add_client_error("get_current_metric_data", "ThrottlingException", http_status_code=429)
        # (a bucket that never waits: every sleep is a backoff)
        result = _poller(connect, store, t, max_retries=3, requests_per_second=1000.0).sample(["q1"])
        stub.assert_no_pending_responses()
    # Then 1 + 3 attempts, three backoffs under the cap, the page counted failed, and nothing overwritten
    assert (result.requests, result.throttled, result.failed_pages) == (4, 3, 1)
    assert len(t.sleeps) == 3
    assert all(0 <= s <= 5.0 for s in t.sleeps)
    assert store.items["q1"] is previous  # it ages towards "stale → unknown"; never replaced by zeros


def test_backoff_grows_exponentially_with_full_jitter(connect: Any) -> None:
    # The n-th backoff is uniform in [0, min(5, 0.2 * 2**n)]: over many draws, each one's maximum approaches its cap.
    caps = [0.2, 0.4, 0.8, 1.6, 3.2]
    seen: list[list[float]] = [[] for _ in caps]
    for seed in range(40):
        t = FakeClock()
        with Stubber(connect) as stub:
            for _ in range(5):
                stub.add_client_error("get_current_metric_data", "TooManyRequestsException", http_status_code=429)
            stub.add_response("get_current_metric_data", _page("q1", AGENTS_ONLINE=1))
            poller = MetricsPoller(
                connect,
                InMemoryMetricsStore(),
                instance_id=INSTANCE,
                requests_per_second=1000.0,  # the bucket never waits: every sleep is a backoff
                clock=t,
                wall_clock=t,
                sleep=t.sleep,
                rng=random.Random(seed),
            )
            poller.sample(["q1"])
        backoffs = t.sleeps[-5:]
        for i, s in enumerate(backoffs):
            seen[i].append(s)
    for cap, draws in zip(caps, seen, strict=True):
        assert max(draws) <= cap
        assert max(draws) > cap * 0.7


# --- writes ----------------------------------------------------------------------------------------------------


class FlakyStore(InMemoryMetricsStore):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def put_many(self, snapshots: Any, *, ttl_seconds: int) -> None:
        if self.failures:
            self.failures -= 1
            raise TimeoutError("BatchWriteItem timed out")
        super().put_many(snapshots, ttl_seconds=ttl_seconds)


def test_a_failed_write_does_not_cost_the_next_samples(connect: Any) -> None:
    store, t = FlakyStore(failures=1), FakeClock()
    with Stubber(connect) as stub:
        stub.add_response("get_current_metric_data", _page("q1", CONTACTS_IN_QUEUE=3))
        stub.add_response("get_current_metric_data", _page("q1", CONTACTS_IN_QUEUE=5))
        results = _poller(connect, store, t).run(["q1"], samples=2, interval_seconds=15, remaining_seconds=lambda: 60.0)
    assert [r.write_failed for r in results] == [True, False]
    assert store.items["q1"].values == {"VOICE": {"contacts_in_queue": 5.0}}


# --- the queue list ----------------------------------------------------------------------------------------------


def _doc(*queue_ids: str) -> dict[str, Any]:
    return {"queues": {f"k{i}": {"key": f"k{i}", "queue_id": q} for i, q in enumerate(queue_ids)}}


class FlakyConfig:
    """A ConfigStore whose reads can be made to fail; counts document loads."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.active: str | None = None
        self.broken = False
        self.loads = 0

    def get_pointer(self) -> Pointer | None:
        if self.broken:
            raise TimeoutError("GetItem timed out")
        if self.active is None:
            return None
        return Pointer(self.active, None, 1, "", "")

    def load_document(self, version_id: str) -> dict[str, Any]:
        self.loads += 1
        return self.documents[version_id]


def test_queue_list_follows_the_active_version_and_loads_each_version_once() -> None:
    config = FlakyConfig()
    config.documents = {"v1": _doc("b", "a", "a"), "v2": _doc("a", "c")}
    config.active = "v1"
    queues = ActiveQueues(config)  # type: ignore[arg-type]
    assert queues.queue_ids() == ["a", "b"]
    assert queues.queue_ids() == ["a", "b"]
    assert config.loads == 1  # a pointer read per invocation; the document only when the version changes
    config.active = "v2"
    assert queues.queue_ids() == ["a", "c"]
    assert config.loads == 2


def test_an_unreadable_config_table_keeps_the_last_list() -> None:
    config = FlakyConfig()
    config.documents = {"v1": _doc("a", "b")}
    config.active = "v1"
    queues = ActiveQueues(config)  # type: ignore[arg-type]
    assert queues.queue_ids() == ["a", "b"]
    config.broken = True
    assert queues.queue_ids() == ["a", "b"]


def test_cold_start_without_the_config_table_samples_the_baked_version(tmp_path: Path) -> None:
    baked = tmp_path / "config.json"
    baked.write_text(json.dumps({"version": "baked-1", "document": _doc("z", "y")}))
    config = FlakyConfig()
    config.broken = True
    assert ActiveQueues(config, baked_path=baked).queue_ids() == ["y", "z"]  # type: ignore[arg-type]
    assert ActiveQueues(None, baked_path=baked).queue_ids() == ["y", "z"]
    assert ActiveQueues(FlakyConfig(), baked_path=baked).queue_ids() == ["y", "z"]  # type: ignore[arg-type]
    assert ActiveQueues(config, baked_path=tmp_path / "absent.json").queue_ids() == []  # type: ignore[arg-type]
    (tmp_path / "bad.json").write_text("{not json")
    assert ActiveQueues(None, baked_path=tmp_path / "bad.json").queue_ids() == []


def test_the_sample_config_queue_list_matches_its_queues() -> None:
    from routing.config.loader import load_directory

    doc = load_directory(Path(__file__).resolve().parents[3] / "config").document
    assert doc is not None
    store = InMemoryConfigStore()
    publish_document(store, doc, actor="t", summary="t")
    ids = ActiveQueues(store).queue_ids()
    assert ids == queue_ids_of(doc)
    assert len(ids) == len(doc["queues"])
    assert ids == sorted(ids)
