"""Unknown metrics through the real route-side view (``LiveMetrics``), for every operator and every metric fallback.

A metric is unknown when its queue has no snapshot, the snapshot is older than the stale limit, Connect returned
null for it (absent from the snapshot), the snapshot has values only for another channel, or the snapshot read
failed. In each case a comparison takes its ``when_unknown`` and a fallback its ``when_unknown`` — never a silent
"the queue is empty". Each case has a known-value control, so a view that always answered None would fail here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from routing.common.contact import ContactRequest
from routing.config.loader import validate_document
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.engine import CompiledConfig, decide
from trunkline.contacts import connect_event

NOW = 2_000_000.0
STALE_AFTER = 60.0
MAIN, ALT = "id-main", "id-alt"
DECISION_TIME = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def _document(rule: dict[str, Any] | None, fallback: dict[str, Any] | None) -> dict[str, Any]:
    default: dict[str, Any] = {"queue": "q_main", "classification": "default"}
    if fallback:
        default["fallbacks"] = [{"queue": "q_alt", **fallback}]
    rules = [{"id": "metric-rule", "when": rule, "then": {"queue": "q_alt", "classification": "moved"}}] if rule else []
    doc = {
        "schema": 1,
        "defaults": {"default_queue": "q_main", "time_zone": "UTC", "country": "US"},
        "lines_of_business": {"lob": {"key": "lob", "name": "LOB"}},
        "queues": {
            "q_main": {"key": "q_main", "queue_id": MAIN, "name": "Main", "capacity": 10},
            "q_alt": {"key": "q_alt", "queue_id": ALT, "name": "Alt"},
        },
        "entry_points": {
            "e": {
                "key": "e",
                "channel": "VOICE",
                "dialed_number": "+18005550100",
                "line_of_business": "lob",
                "ruleset": "rs",
            }
        },
        "schedules": {},
        "rulesets": {"rs": {"key": "rs", "rules": rules, "default": default}},
        "callback_policies": {},
        "callback_profiles": {},
    }
    result = validate_document(doc)
    assert result.document is not None, [str(i) for i in result.issues]
    return result.document


class BrokenStore(InMemoryMetricsStore):
    def get_many(self, queue_ids: Any) -> dict[str, QueueSnapshot]:
        raise TimeoutError("BatchGetItem timed out")


# How a metric becomes unknown: a function that puts (or fails to put) `values` for MAIN into a store.
UNKNOWN_WAYS: dict[str, Callable[[dict[str, float]], InMemoryMetricsStore]] = {}


def _way(name: str) -> Callable[[Callable[[dict[str, float]], InMemoryMetricsStore]], Any]:
    def register(fn: Callable[[dict[str, float]], InMemoryMetricsStore]) -> Any:
        UNKNOWN_WAYS[name] = fn
        return fn

    return register


@_way("no_snapshot")
def _no_snapshot(values: dict[str, float]) -> InMemoryMetricsStore:
    return InMemoryMetricsStore()


@_way("stale_snapshot")
def _stale(values: dict[str, float]) -> InMemoryMetricsStore:
    store = InMemoryMetricsStore()
    store.items[MAIN] = QueueSnapshot(MAIN, NOW - STALE_AFTER - 1, {"VOICE": values})
    return store


@_way("null_value")
def _null(values: dict[str, float]) -> InMemoryMetricsStore:
    store = InMemoryMetricsStore()
    store.items[MAIN] = QueueSnapshot(MAIN, NOW - 5, {"VOICE": {}})  # Connect's null: absent from the snapshot
    return store


@_way("other_channel_only")
def _other_channel(values: dict[str, float]) -> InMemoryMetricsStore:
    store = InMemoryMetricsStore()
    store.items[MAIN] = QueueSnapshot(MAIN, NOW - 5, {"CHAT": values})  # the contact is VOICE
    return store


@_way("read_failed")
def _read_failed(values: dict[str, float]) -> InMemoryMetricsStore:
    store = BrokenStore()
    store.items[MAIN] = QueueSnapshot(MAIN, NOW - 5, {"VOICE": values})
    return store


def _fresh(values: dict[str, float]) -> InMemoryMetricsStore:
    store = InMemoryMetricsStore()
    store.items[MAIN] = QueueSnapshot(MAIN, NOW - 5, {"VOICE": values})
    return store


def _route(document: dict[str, Any], store: InMemoryMetricsStore) -> Any:
    compiled = CompiledConfig.compile(document, version="t")
    view = LiveMetrics(store, cache_seconds=5, stale_seconds=STALE_AFTER, wall_clock=lambda: NOW, monotonic=lambda: NOW)
    contact = ContactRequest.from_event(connect_event(dialed="+18005550100"))
    return decide(contact, compiled, now=DECISION_TIME, metrics=view)


# (op, value, a known metric value that makes the comparison true, one that makes it false)
OPERATORS = [
    ("gt", 5, 9.0, 5.0),
    ("gte", 5, 5.0, 4.0),
    ("lt", 5, 4.0, 5.0),
    ("lte", 5, 5.0, 6.0),
    ("between", [2, 5], 3.0, 6.0),
    ("equals", 0, 0.0, 1.0),
    ("not_equals", 0, 1.0, 0.0),
]


@pytest.mark.parametrize("way", sorted(UNKNOWN_WAYS))
@pytest.mark.parametrize(("op", "value", "true_at", "false_at"), OPERATORS, ids=[o[0] for o in OPERATORS])
@pytest.mark.parametrize("when_unknown", [False, True])
def test_every_operator_on_an_unknown_metric_takes_when_unknown(
    way: str, op: str, value: Any, true_at: float, false_at: float, when_unknown: bool
) -> None:
    rule = {"field": "metrics.q_main.oldest_contact_age", "op": op, "value": value, "when_unknown": when_unknown}
    document = _document(rule, None)
    # Controls: a fresh, known value decides by the comparison itself
    assert _route(document, _fresh({"oldest_contact_age": true_at})).queue.key == "q_alt"
    assert _route(document, _fresh({"oldest_contact_age": false_at})).queue.key == "q_main"
    # Unknown: the rule's declared outcome
    decision = _route(document, UNKNOWN_WAYS[way]({"oldest_contact_age": true_at}))
    assert decision.queue.key == ("q_alt" if when_unknown else "q_main")


@pytest.mark.parametrize("way", sorted(UNKNOWN_WAYS))
def test_exists_is_false_for_an_unknown_metric(way: str) -> None:
    for want, known_queue, unknown_queue in ((True, "q_alt", "q_main"), (False, "q_main", "q_alt")):
        document = _document({"field": "metrics.q_main.agents_staffed", "op": "exists", "value": want}, None)
        assert _route(document, _fresh({"agents_staffed": 0.0})).queue.key == known_queue  # 0 is a value
        assert _route(document, UNKNOWN_WAYS[way]({"agents_staffed": 0.0})).queue.key == unknown_queue


# (fallback, the snapshot values that trigger it, values that do not)
FALLBACKS: list[tuple[dict[str, Any], dict[str, float], dict[str, float]]] = [
    ({"when": "unstaffed"}, {"agents_staffed": 0.0}, {"agents_staffed": 3.0}),
    ({"when": "no_agents_available"}, {"agents_available": 0.0}, {"agents_available": 2.0}),
    ({"when": "over_capacity"}, {"contacts_in_queue": 10.0}, {"contacts_in_queue": 9.0}),
    ({"when": "wait_above", "seconds": 300}, {"estimated_wait_time": 301.0}, {"estimated_wait_time": 300.0}),
    ({"when": "oldest_above", "seconds": 60}, {"oldest_contact_age": 61.0}, {"oldest_contact_age": 60.0}),
]


@pytest.mark.parametrize("way", sorted(UNKNOWN_WAYS))
@pytest.mark.parametrize(("fallback", "triggers", "holds"), FALLBACKS, ids=[f[0]["when"] for f in FALLBACKS])
@pytest.mark.parametrize("when_unknown", [False, True])
def test_every_metric_fallback_on_an_unknown_metric_takes_when_unknown(
    way: str, fallback: dict[str, Any], triggers: dict[str, float], holds: dict[str, float], when_unknown: bool
) -> None:
    document = _document(None, {**fallback, "when_unknown": when_unknown})
    taken = _route(document, _fresh(triggers))
    assert (taken.queue.key, taken.fallback_reason) == ("q_alt", f"{fallback['when']}:q_main")
    assert _route(document, _fresh(holds)).queue.key == "q_main"
    decision = _route(document, UNKNOWN_WAYS[way](triggers))
    assert decision.queue.key == ("q_alt" if when_unknown else "q_main")


def test_the_decision_reports_the_snapshot_age_it_used() -> None:
    document = _document(None, {"when": "unstaffed"})
    assert _route(document, _fresh({"agents_staffed": 3.0})).metrics_age_s == 5.0
    # A stale snapshot is unknown for the rules, but its age is still reported: the reply says why
    assert _route(document, _stale({"agents_staffed": 0.0})).metrics_age_s == STALE_AFTER + 1
    assert _route(document, _no_snapshot({})).metrics_age_s is None
