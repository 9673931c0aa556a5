"""The route function's metrics view: batched prefetch, 5 s cache, stale = unknown, failures = unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.service import RouteService
from tests.conftest import FakeClock
from trunkline.contacts import connect_event, sample_contacts

ROOT = Path(__file__).resolve().parents[3]
LOST_STOLEN = "63074fc7-3a89-51c0-b5e8-b35afcfc15ec"


def _view(store: InMemoryMetricsStore, clock: FakeClock) -> LiveMetrics:
    return LiveMetrics(store, cache_seconds=5, stale_seconds=60, wall_clock=clock, monotonic=clock)


def test_one_read_per_cache_interval_and_stale_is_unknown() -> None:
    store, clock = InMemoryMetricsStore(), FakeClock(10_000.0)
    store.items["q1"] = QueueSnapshot(
        "q1", clock.now - 10, {"VOICE": {"agents_available": 3}, "CHAT": {"agents_available": 1}}
    )
    view = _view(store, clock)
    view.prefetch(frozenset({"q1", "q2"}))
    assert view.metric("q1", "agents_available") == 3.0
    assert view.metric("q1", "agents_available", "CHAT") == 1.0
    assert view.metric("q2", "agents_available") is None  # no snapshot: unknown
    assert view.metric("q1", "contacts_in_queue") is None  # metric absent: unknown
    view.prefetch(frozenset({"q1", "q2"}))
    assert store.reads == 1  # cached
    clock.now += 55  # snapshot now 65 s old
    assert view.metric("q1", "agents_available") is None
    assert view.age_seconds("q1") == 65.0
    clock.now += 1
    view.prefetch(frozenset({"q1"}))
    assert store.reads == 2


def test_nan_and_infinite_values_are_unknown_not_numbers() -> None:
    store, clock = InMemoryMetricsStore(), FakeClock(10_000.0)
    values = {"agents_available": float("nan"), "estimated_wait_time": float("inf"), "agents_staffed": 0}
    store.items["q1"] = QueueSnapshot("q1", clock.now - 1, {"VOICE": values})
    view = _view(store, clock)
    view.prefetch(frozenset({"q1"}))
    assert view.metric("q1", "agents_available") is None
    assert view.metric("q1", "estimated_wait_time") is None
    assert view.metric("q1", "agents_staffed") == 0.0  # zero is a measurement


def test_a_failing_store_makes_metrics_unknown_without_retrying_per_call() -> None:
    class Broken(InMemoryMetricsStore):
        def get_many(self, queue_ids: Any) -> dict[str, QueueSnapshot]:
            self.reads += 1
            raise TimeoutError("dynamodb read timeout")

    store, clock = Broken(), FakeClock(10_000.0)
    view = _view(store, clock)
    for _ in range(10):
        view.prefetch(frozenset({"q1"}))
        assert view.metric("q1", "agents_staffed") is None
    assert store.reads == 1


def test_route_decisions_follow_the_metrics_and_report_snapshot_age() -> None:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    metrics_store, clock = InMemoryMetricsStore(), FakeClock(10_000.0)
    from datetime import UTC, datetime

    service = RouteService(
        ConfigCache(config),
        default_queue_id="d",
        metrics_view=_view(metrics_store, clock),
        clock=lambda: datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
    )
    event = connect_event(dialed="+18005550100", attributes={"ivr_choice": "1"})
    # Unknown metrics: the rule's target stands (unstaffed fallback has when_unknown false).
    unknown = service.route(event)
    assert (unknown["queue_key"], unknown["fallback_reason"], unknown["metrics_age_s"]) == ("cards_lost_stolen", "", "")
    # Nobody staffed: overflow to general.
    metrics_store.items[LOST_STOLEN] = QueueSnapshot(LOST_STOLEN, clock.now - 4, {"VOICE": {"agents_staffed": 0}})
    clock.now += 6
    empty = service.route(event)
    assert (empty["queue_key"], empty["fallback_reason"]) == ("cards_general", "unstaffed:cards_lost_stolen")
    # Staffed again: back to the primary, with the snapshot age in the decision.
    metrics_store.items[LOST_STOLEN] = QueueSnapshot(LOST_STOLEN, clock.now - 2, {"VOICE": {"agents_staffed": 5}})
    clock.now += 6
    staffed = service.route(event)
    assert (staffed["queue_key"], staffed["fallback_reason"], staffed["metrics_age_s"]) == (
        "cards_lost_stolen",
        "",
        "8",
    )


def test_gold_customers_move_to_priority_only_while_general_breaches_its_sla() -> None:
    from datetime import UTC, datetime

    general = "86ab7e22-5e41-516b-9428-5c53e39b9081"
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    metrics_store, clock = InMemoryMetricsStore(), FakeClock(10_000.0)
    service = RouteService(
        ConfigCache(config),
        default_queue_id="d",
        metrics_view=_view(metrics_store, clock),
        clock=lambda: datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
    )
    event = connect_event(dialed="+18005550100", attributes={"crm_segment": "gold", "ivr_choice": "5"})
    assert service.route(event)["rule_id"] == "cards:default"  # unknown metric: the rule does not fire
    metrics_store.items[general] = QueueSnapshot(general, clock.now, {"VOICE": {"oldest_contact_age": 75}})
    clock.now += 6
    breach = service.route(event)
    assert (breach["rule_id"], breach["queue_key"]) == (
        "cards-gold-priority-when-general-breaches-sla",
        "cards_platinum",
    )
    metrics_store.items[general] = QueueSnapshot(general, clock.now, {"VOICE": {"oldest_contact_age": 20}})
    clock.now += 6
    assert service.route(event)["rule_id"] == "cards:default"


# --- read cadence (issue 12): never more often than the poller writes, one batch per call ------------------------


def test_the_read_interval_is_never_shorter_than_the_poll_interval() -> None:
    from routing.common.settings import Settings

    assert Settings.from_env({}).metrics_cache_seconds == 15.0  # follows the default poll interval
    assert Settings.from_env({"METRICS_CACHE_SECONDS": "5"}).metrics_cache_seconds == 15.0
    assert Settings.from_env({"METRICS_SAMPLE_INTERVAL_SECONDS": "20"}).metrics_cache_seconds == 20.0
    assert Settings.from_env({"METRICS_CACHE_SECONDS": "30"}).metrics_cache_seconds == 30.0


def test_the_queues_of_every_ruleset_converge_on_one_read_per_interval() -> None:
    store, clock = InMemoryMetricsStore(), FakeClock(10_000.0)
    view = LiveMetrics(store, cache_seconds=15, stale_seconds=60, wall_clock=clock, monotonic=clock)
    for queues in ({"a"}, {"b", "c"}, {"d"}):  # three rulesets, first use: one read each
        view.prefetch(frozenset(queues))
        clock.now += 1
    assert store.reads == 3
    for _ in range(20):  # 20 intervals, calls of every ruleset in each
        clock.now += 15
        for queues in ({"a"}, {"b", "c"}, {"d"}):
            view.prefetch(frozenset(queues))
    assert store.reads == 3 + 20  # one batch per interval covers every ruleset's queues


def test_a_failed_read_keeps_the_snapshot_held_until_it_is_stale() -> None:
    class Flaky(InMemoryMetricsStore):
        failing = False

        def get_many(self, queue_ids: Any) -> dict[str, QueueSnapshot]:
            if self.failing:
                self.reads += 1
                raise TimeoutError("deadline")
            return super().get_many(queue_ids)

    store, clock = Flaky(), FakeClock(10_000.0)
    store.items["q1"] = QueueSnapshot("q1", clock.now, {"VOICE": {"agents_staffed": 4}})
    view = LiveMetrics(store, cache_seconds=15, stale_seconds=60, wall_clock=clock, monotonic=clock)
    view.prefetch(frozenset({"q1"}))
    store.failing = True
    clock.now += 15
    view.prefetch(frozenset({"q1"}))  # fails: still 15 s old, fresh enough
    assert view.metric("q1", "agents_staffed") == 4.0
    clock.now += 46  # 61 s old: unknown — never "empty queue"
    assert view.metric("q1", "agents_staffed") is None
    assert store.reads == 2


def test_requests_per_1000_warm_calls_at_10_per_second_with_live_metrics_on() -> None:
    from datetime import UTC, datetime

    doc = load_directory(ROOT / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    metrics_store, clock = InMemoryMetricsStore(), FakeClock(10_000.0)
    for queue in doc["queues"].values():
        metrics_store.items[queue["queue_id"]] = QueueSnapshot(queue["queue_id"], clock.now, {"VOICE": {}})
    view = LiveMetrics(metrics_store, cache_seconds=15, stale_seconds=60, wall_clock=clock, monotonic=clock)
    cache = ConfigCache(config, refresh_seconds=30, clock=clock)
    service = RouteService(
        cache, default_queue_id="d", metrics_view=view, clock=lambda: datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    )
    events = [c.event() for c in sample_contacts(200, seed=4)]
    for event in events:  # warm: every ruleset has been used once
        service.route(event)
    config.reads, metrics_store.reads = 0, 0
    for n in range(1000):  # 100 s at 10 calls/s
        clock.now += 0.1
        service.route(events[n % len(events)])
    assert config.reads <= 4  # one pointer check per 30 s
    assert metrics_store.reads <= 8  # one batch per 15 s poll interval (100 s / 15 s ≈ 7)
