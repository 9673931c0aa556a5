"""The route function's EMF metrics per path: status, fallback by reason, latency, config and metrics freshness."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from routing.config.cache import ConfigCache
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.route.service import RouteService
from tests.conftest import FakeClock, FakeMetrics
from trunkline.contacts import connect_event

TUESDAY_MORNING = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
LOST_STOLEN = "63074fc7-3a89-51c0-b5e8-b35afcfc15ec"


def _service(document: dict[str, Any], clock: FakeClock, metrics_view: Any, store: Any = None) -> RouteService:
    if store is None:
        store = InMemoryConfigStore()
        publish_document(store, document, actor="t", summary="s")
    cache = ConfigCache(store, refresh_seconds=30, retry_seconds=5, clock=clock)
    return RouteService(cache, default_queue_id="dq", metrics_view=metrics_view, clock=lambda: TUESDAY_MORNING)


def _values(blobs: list[dict[str, Any]], name: str) -> list[float]:
    return [v for b in blobs if name in b for v in (b[name] if isinstance(b[name], list) else [b[name]])]


def test_a_fallback_is_counted_by_its_condition_only(sample_document: dict[str, Any], emf: Any) -> None:
    service = _service(sample_document, FakeClock(), FakeMetrics({(LOST_STOLEN, "agents_staffed"): 0}))
    reply = service.route(connect_event(dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "1"}))
    assert reply["fallback_reason"] == "unstaffed:cards_lost_stolen"
    blobs = emf()
    by_reason = [b for b in blobs if "FallbackByReason" in b]
    assert len(by_reason) == 1
    assert by_reason[0]["reason"] == "unstaffed"  # not the queue: the dimension is a closed set
    assert by_reason[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["reason", "service"]]
    assert _values(blobs, "Fallback") == [1.0]
    assert _values(blobs, "DecisionRouted") == [1.0]
    assert len(_values(blobs, "DecisionLatency")) == 1


def test_no_fallback_no_fallback_metrics(sample_document: dict[str, Any], emf: Any) -> None:
    service = _service(sample_document, FakeClock(), FakeMetrics({(LOST_STOLEN, "agents_staffed"): 3}))
    service.route(connect_event(dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "1"}))
    blobs = emf()
    assert not _values(blobs, "Fallback")
    assert not [b for b in blobs if "FallbackByReason" in b]


def test_freshness_metrics_follow_the_store(sample_document: dict[str, Any], emf: Any) -> None:
    clock = FakeClock()
    store = InMemoryConfigStore()
    publish_document(store, sample_document, actor="t", summary="s")
    service = _service(sample_document, clock, FakeMetrics({(LOST_STOLEN, "agents_staffed"): 3}, age=7.0), store)
    event = connect_event(dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "1"})
    service.route(event)
    blobs = emf()
    assert _values(blobs, "ConfigStalenessSeconds") == [0.0]  # just confirmed
    assert _values(blobs, "MetricsSnapshotAgeSeconds") == [7.0]
    (age,) = _values(blobs, "ConfigVersionAgeSeconds")
    assert age >= 0

    # The store goes away: the container keeps serving its version, and the staleness grows past the alarm's 300 s.
    def broken() -> Any:
        raise ConnectionError("endpoint unreachable")

    store.get_pointer = broken  # type: ignore[method-assign]
    clock.now += 400
    service.route(event)
    assert _values(emf(), "ConfigStalenessSeconds") == [400.0]


def test_without_a_store_there_is_no_staleness(emf: Any) -> None:
    service = RouteService(ConfigCache(None), default_queue_id="dq")
    service.route(connect_event(dialed="+18005550100"))
    blobs = emf()
    assert not _values(blobs, "ConfigStalenessSeconds")
    assert _values(blobs, "DecisionErrorDefault") == [1.0]


def test_the_alarms_and_dashboard_watch_the_names_the_functions_emit() -> None:
    """A renamed metric would leave an alarm watching nothing (missing data is 'not breaching')."""
    from pathlib import Path

    from routing.outcomes.call_log import COUNT_METRIC
    from routing.route.service import STATUS_METRIC
    from stacks.constructs import observability

    assert set(observability.DECISION_METRICS) == set(STATUS_METRIC.values())
    package = Path(observability.__file__).parent  # the alarms and the dashboard sections are modules of it
    source = "\n".join(f.read_text(encoding="utf-8") for f in sorted(package.glob("*.py")))
    emitted = [*COUNT_METRIC.values(), "Fallback", "FallbackByReason", "ConfigStalenessSeconds", "DecisionLatency"]
    emitted += ["ConfigVersionAgeSeconds", "MetricsSnapshotAgeSeconds", "TimeToAnswer", "RouteError"]
    watched = {name for name in emitted if f'"{name}"' in source or f'MetricName=\\"{name}\\"' in source}
    # Every outcome the dashboard shows, and every route metric an alarm or a graph reads, is one we emit.
    assert {"ContactsAnswered", "ContactsAbandoned", "CallbacksCompleted", "CallbacksFailed"} <= watched
    assert {"Fallback", "ConfigStalenessSeconds", "DecisionLatency", "ConfigVersionAgeSeconds"} <= watched
