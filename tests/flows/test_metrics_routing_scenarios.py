"""The sample config's metric-aware behaviour, whole calls through the inbound flow with the real route handler,
while the simulated snapshot changes underneath: partner overflow when nobody is staffed, gold customers to the
concierge while the general queue breaches its SLA, a callback offer while the estimated wait is above the
policy's threshold — and, when the snapshot is stale, each rule's declared unknown outcome instead of a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

import route.handler as route_handler
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.service import RouteService
from tests.flows.flow_scenarios import DEFAULT_QUEUE_ARN, INSTANCE, REPO, simulator
from trunkline.simulator import Contact, FlowSimulator, SimulationResult

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
STALE_AFTER = 60.0
QUEUE_IDS = {
    "cards_general": "86ab7e22-5e41-516b-9428-5c53e39b9081",
    "cards_platinum": "f9f81e56-ac56-5787-b168-d107b45fcab2",
    "cards_overflow_partner": "fca9d65f-eade-53f6-a86d-c4eba44c4456",
}


@dataclass
class World:
    sim: FlowSimulator
    store: InMemoryMetricsStore
    wall: list[float]

    def snapshot(self, queue: str, age_s: float = 3.0, **values: float) -> None:
        """Set ``queue``'s VOICE snapshot, sampled ``age_s`` ago, and let the route's 5 s cache expire."""
        self.wall[0] += 6
        queue_id = QUEUE_IDS[queue]
        self.store.items[queue_id] = QueueSnapshot(queue_id, self.wall[0] - age_s, {"VOICE": values})

    def call(self, **attributes: str) -> SimulationResult:
        contact = Contact(
            system_number="+18005550100",
            customer_number="+12125550187",
            attributes=attributes,
            instance_arn=INSTANCE,
        )
        return self.sim.run("inbound", contact)


@pytest.fixture
def world() -> Iterator[World]:
    doc = load_directory(REPO / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="flow-tests", summary="metrics scenarios")
    store, wall = InMemoryMetricsStore(), [70_000.0]
    view = LiveMetrics(
        store, cache_seconds=5, stale_seconds=STALE_AFTER, wall_clock=lambda: wall[0], monotonic=lambda: wall[0]
    )
    service = RouteService(
        ConfigCache(config, refresh_seconds=300),
        default_queue_id=DEFAULT_QUEUE_ARN.rsplit("/", 1)[-1],
        metrics_view=view,
        clock=lambda: OPEN,
    )
    route_handler.set_service(service)
    try:
        yield World(simulator(route_handler.lambda_handler), store, wall)
    finally:
        route_handler.set_service(None)


def _queue(result: SimulationResult) -> str:
    assert result.transferred, result.describe()
    arn = str(result.queue_arn)
    return next((key for key, qid in QUEUE_IDS.items() if arn == f"{INSTANCE}/queue/{qid}"), arn)


def test_general_calls_overflow_to_the_partner_while_nobody_is_staffed(world: World) -> None:
    world.snapshot("cards_general", agents_staffed=12, estimated_wait_time=40)
    assert _queue(world.call()) == "cards_general"
    world.snapshot("cards_general", agents_staffed=0)
    result = world.call()
    assert _queue(result) == "cards_overflow_partner"
    assert result.attributes["fallback_reason"] == "unstaffed:cards_general"
    world.snapshot("cards_general", agents_staffed=3, estimated_wait_time=20)
    assert _queue(world.call()) == "cards_general"
    # Nobody staffed, but the snapshot is older than the stale limit: unknown, and the rule says stay
    world.snapshot("cards_general", age_s=STALE_AFTER + 30, agents_staffed=0)
    result = world.call()
    assert _queue(result) == "cards_general"
    assert result.attributes["fallback_reason"] == ""


def test_gold_customers_go_to_the_concierge_while_general_breaches_its_sla(world: World) -> None:
    world.snapshot("cards_general", agents_staffed=8, oldest_contact_age=25)
    assert _queue(world.call(crm_segment="gold")) == "cards_general"
    world.snapshot("cards_general", agents_staffed=8, oldest_contact_age=95)
    result = world.call(crm_segment="gold")
    assert _queue(result) == "cards_platinum"
    assert result.attributes["rule_id"] == "cards-gold-priority-when-general-breaches-sla"
    # The same breach does not move a standard customer
    assert _queue(world.call(crm_segment="standard")) == "cards_general"
    # SLA breached in a stale snapshot: unknown → the rule does not fire (when_unknown false)
    world.snapshot("cards_general", age_s=STALE_AFTER + 1, agents_staffed=8, oldest_contact_age=95)
    assert _queue(world.call(crm_segment="gold")) == "cards_general"


def test_a_callback_is_offered_while_the_estimated_wait_is_above_the_policy(world: World) -> None:
    # config/callback.yaml: standard_voice offers when the estimated wait is above 300 s
    world.snapshot("cards_general", agents_staffed=8, estimated_wait_time=420)
    result = world.call()
    external: dict[str, Any] = dict(result.external)
    assert external["callback_offer"] == "true", result.describe()
    assert "OfferCallback" in result.visited
    world.snapshot("cards_general", agents_staffed=8, estimated_wait_time=120)
    result = world.call()
    assert result.external["callback_offer"] == "false"
    assert "OfferCallback" not in result.visited
    # Wait unknown (stale): the policy's when_unknown (default false) — no offer on a guess
    world.snapshot("cards_general", age_s=STALE_AFTER + 1, agents_staffed=8, estimated_wait_time=420)
    assert world.call().external["callback_offer"] == "false"
