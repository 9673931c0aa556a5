"""Whole calls through the inbound flow route differently as the live metrics snapshot changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import route.handler as route_handler
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.service import RouteService
from tests.flows.flow_scenarios import DEFAULT_QUEUE_ARN, INSTANCE, REPO, simulator
from trunkline.simulator import Contact, FlowSimulator

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
BALANCE = "98a62fa1-4ccc-5ded-a148-711e50f966af"
PARTNER = "fca9d65f-eade-53f6-a86d-c4eba44c4456"


class Wall:
    def __init__(self) -> None:
        self.now = 50_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world() -> Iterator[tuple[FlowSimulator, InMemoryMetricsStore, Wall]]:
    from routing.config.publishing import publish_document

    doc = load_directory(REPO / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    metrics, wall = InMemoryMetricsStore(), Wall()
    view = LiveMetrics(metrics, cache_seconds=5, stale_seconds=60, wall_clock=wall, monotonic=wall)
    service = RouteService(
        ConfigCache(config),
        default_queue_id=DEFAULT_QUEUE_ARN.rsplit("/", 1)[-1],
        metrics_view=view,
        clock=lambda: OPEN,
    )
    route_handler.set_service(service)
    try:
        yield simulator(route_handler.lambda_handler), metrics, wall
    finally:
        route_handler.set_service(None)


def _balance_call(sim: FlowSimulator) -> tuple[str | None, dict[str, str]]:
    result = sim.run(
        "inbound",
        Contact(
            system_number="+18005550100",
            customer_number="+12125550187",
            attributes={"ivr_choice": "3"},
            instance_arn=INSTANCE,
        ),
    )
    return result.queue_arn, dict(result.attributes)


def test_calls_overflow_while_the_wait_is_long_and_come_back_when_it_drops(
    world: tuple[FlowSimulator, InMemoryMetricsStore, Wall],
) -> None:
    sim, metrics, wall = world
    queue, attrs = _balance_call(sim)
    assert queue == f"{INSTANCE}/queue/{BALANCE}"  # no snapshot: unknown, stay on the rule's queue
    metrics.items[BALANCE] = QueueSnapshot(BALANCE, wall.now, {"VOICE": {"estimated_wait_time": 900}})
    wall.now += 6
    queue, attrs = _balance_call(sim)
    assert queue == f"{INSTANCE}/queue/{PARTNER}"
    assert attrs["fallback_reason"] == "wait_above:cards_balance"
    metrics.items[BALANCE] = QueueSnapshot(BALANCE, wall.now, {"VOICE": {"estimated_wait_time": 30}})
    wall.now += 6
    queue, _ = _balance_call(sim)
    assert queue == f"{INSTANCE}/queue/{BALANCE}"
    # A snapshot older than the stale limit is unknown again, never "the queue is empty".
    metrics.items[BALANCE] = QueueSnapshot(BALANCE, wall.now - 300, {"VOICE": {"estimated_wait_time": 900}})
    wall.now += 6
    queue, attrs = _balance_call(sim)
    assert queue == f"{INSTANCE}/queue/{BALANCE}"
    assert attrs["fallback_reason"] == ""
