"""End to end: the real flows, the simulator, and the lead's real ``route`` handler over the sample config.

No AWS: the config is published to the in-memory store, the handler's service is injected with ``set_service``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import route.handler as route_handler
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.route.service import RouteService
from tests.conftest import FakeClock
from tests.flows.flow_scenarios import DEFAULT_QUEUE_ARN, INSTANCE, REPO, ROUTE_ARN, simulator
from trunkline.simulator import Contact, EndReason, FaultKind, Faults, FlowSimulator, LambdaFault

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
CLOSED = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)  # Sunday: the cards line is closed
CARDS_MAIN = "+18005550100"


@pytest.fixture(scope="module")
def published_store() -> InMemoryConfigStore:
    result = load_directory(REPO / "config")
    assert result.document is not None, [str(i) for i in result.issues]
    store = InMemoryConfigStore()
    publish_document(store, result.document, actor="flow-tests", summary="e2e")
    return store


@pytest.fixture
def sim(published_store: InMemoryConfigStore, clock: FakeClock) -> Iterator[FlowSimulator]:
    clock.set(OPEN)
    service = RouteService(
        ConfigCache(published_store, refresh_seconds=300),
        default_queue_id=DEFAULT_QUEUE_ARN.rsplit("/", 1)[-1],
        clock=clock.utc,
    )
    route_handler.set_service(service)
    service.route({"Details": {"ContactData": {"InstanceARN": INSTANCE}}})  # warm: load + compile the version
    try:
        yield simulator(route_handler.lambda_handler)
    finally:
        route_handler.set_service(None)


def _queue(result: Any) -> str:
    assert result.queue_arn is not None, result.describe()
    return str(result.queue_arn)


def test_voice_call_on_a_known_number_is_routed_by_rules(sim: FlowSimulator) -> None:
    result = sim.run("inbound", Contact(system_number=CARDS_MAIN, customer_number="+12125550187"))
    reply = result.external
    assert result.end_reason is EndReason.TRANSFERRED_TO_QUEUE, result.describe()
    assert reply["status"] == "ROUTED"
    assert _queue(result) == reply["queue_arn"]
    assert _queue(result).startswith(f"{INSTANCE}/queue/")  # built from the invoking instance
    assert result.attributes["rule_id"] == reply["rule_id"] != ""
    assert result.attributes["config_version"] == reply["config_version"] == "v000001"
    assert result.attributes["line_of_business"] == "cards"
    assert result.attributes["acsf_search_info"] == reply.get("acsf_search_info", "")
    assert result.queue_priority == min(int(str(reply["priority"])), 10)
    assert result.invocations[0].count == 1
    assert result.invocations[0].latency_ms < 3000


def test_ivr_choice_lost_card_jumps_the_line(sim: FlowSimulator) -> None:
    # config/rulesets/cards.yaml: ivr_choice 1 -> cards-lost-stolen, queue cards_lost_stolen, priority 1
    result = sim.run("inbound", Contact(system_number=CARDS_MAIN, attributes={"ivr_choice": "1"}))
    assert result.transferred, result.describe()
    assert result.attributes["rule_id"] == "cards-lost-stolen"
    assert result.attributes["classification"] == "lost_stolen"
    assert _queue(result) == f"{INSTANCE}/queue/63074fc7-3a89-51c0-b5e8-b35afcfc15ec"
    assert result.queue_priority == 1
    assert "SetPriority01" in result.visited


def test_unknown_number_goes_to_the_configured_default_queue(sim: FlowSimulator) -> None:
    result = sim.run("inbound", Contact(system_number="+18005559999"))
    assert result.external["status"] == "DEFAULT", result.describe()
    assert result.transferred
    assert result.attributes["route_status"] == "DEFAULT"


def test_closed_line_plays_the_configured_message_and_disconnects(sim: FlowSimulator, clock: FakeClock) -> None:
    clock.set(CLOSED)
    result = sim.run("inbound", Contact(system_number=CARDS_MAIN))
    assert result.external["status"] == "CLOSED", result.describe()
    assert result.end_reason is EndReason.DISCONNECTED
    assert result.ended_at == "DisconnectClosed"
    assert result.message_texts == [result.external["message"]]
    assert "closed" in str(result.external["message"]).lower()


def test_chat_is_routed_by_its_entry_key(sim: FlowSimulator) -> None:
    contact = Contact(
        channel="CHAT", customer_number=None, system_number=None, attributes={"entry_key": "cards_web_chat"}
    )
    result = sim.run("inbound", contact)
    assert result.external["status"] == "ROUTED", result.describe()
    assert result.external["entry_point"] == "cards_chat_web"
    assert result.transferred


RETENTION = f"{INSTANCE}/queue/0efebc36-015c-54fa-acf7-dc065e9360dc"


@pytest.mark.parametrize("when", [OPEN, CLOSED])
def test_agent_transfer_goes_to_the_queue_the_agent_chose_even_when_the_line_is_closed(
    sim: FlowSimulator, clock: FakeClock, when: datetime
) -> None:
    # A stock agent workspace: a quick connect to the retention queue, no transfer_queue_key attribute.
    clock.set(when)
    contact = Contact(
        initiation_method="QUEUE_TRANSFER",
        system_number=CARDS_MAIN,
        attributes={"classification": "card_servicing"},
        queue_arn=RETENTION,
    )
    result = sim.run("transfer", contact)
    assert result.external["reason"] == "transfer_chosen_queue", result.describe()
    assert _queue(result) == RETENTION  # never the closed message, never a disconnect mid-transfer
    assert result.attributes["rule_id"] == "transfer:retention"
    assert result.message_texts == []
    assert result.queue_priority is None


def test_agent_transfer_without_a_queue_falls_back_to_the_configured_default(sim: FlowSimulator) -> None:
    result = sim.run("transfer", Contact(initiation_method="QUEUE_TRANSFER"))
    assert result.external["status"] == "DEFAULT", result.describe()
    assert result.transferred


def test_a_platinum_caller_is_routed_by_the_rules_routing_criteria(sim: FlowSimulator) -> None:
    # config/rulesets/cards.yaml: the platinum line sets Tier=Platinum >= 4 for 30 s (a JSON second call)
    result = sim.run("inbound", Contact(system_number="+18005550102", customer_number="+12125550187"))
    assert result.transferred, result.describe()
    assert "ApplyRoutingCriteria" in result.visited
    assert result.routing_criteria == {
        "Steps": [
            {
                "Expression": {
                    "AttributeCondition": {
                        "Name": "Tier",
                        "Value": "Platinum",
                        "ProficiencyLevel": 4.0,
                        "ComparisonOperator": "NumberGreaterOrEqualTo",
                    }
                },
                "Expiry": {"DurationInSeconds": 30},
            }
        ]
    }
    plain = sim.run("inbound", Contact(system_number=CARDS_MAIN))
    assert plain.routing_criteria is None
    assert "InvokeRoutingCriteria" not in plain.visited


def test_the_spanish_line_sets_a_spanish_voice(sim: FlowSimulator, clock: FakeClock) -> None:
    result = sim.run("inbound", Contact(system_number="+18005550101"))
    assert result.voice == "Lupe", result.describe()
    clock.set(CLOSED)
    closed = sim.run("inbound", Contact(system_number="+18005550101"))
    assert closed.voice == "Lupe"


def test_a_lambda_timeout_still_reaches_an_agent(sim: FlowSimulator) -> None:
    contact = Contact(
        system_number=CARDS_MAIN, faults=Faults(lambda_faults={ROUTE_ARN: LambdaFault(FaultKind.TIMEOUT)})
    )
    result = sim.run("inbound", contact)
    assert _queue(result) == DEFAULT_QUEUE_ARN
    assert result.attributes["route_fallback"] == "route_lambda_error"


def test_a_full_target_queue_falls_back_to_the_default_queue(sim: FlowSimulator) -> None:
    first = sim.run("inbound", Contact(system_number=CARDS_MAIN))
    target = _queue(first)
    full = Contact(system_number=CARDS_MAIN, faults=Faults(queues_at_capacity=frozenset({target})))
    result = sim.run("inbound", full)
    assert _queue(result) == DEFAULT_QUEUE_ARN
    assert result.attributes["route_fallback"] == "queue_at_capacity"


def test_the_sample_contact_mix_all_ends_safely(sim: FlowSimulator) -> None:
    from trunkline.contacts import sample_contacts

    flows_used: set[str] = set()
    for sample in sample_contacts(60, seed=7):
        # Chat/task entry keys and transfer keys travel as contact attributes (StartChatContact / the agent's
        # CCP); the flows pass only what Connect always has, and route reads the attributes.
        transfer = sample.initiation_method == "TRANSFER"
        flow = "transfer" if transfer else "inbound"
        flows_used.add(flow)
        contact = Contact(
            channel=sample.channel,  # type: ignore[arg-type]
            customer_number=sample.caller,
            system_number=sample.dialed,
            attributes={**sample.attributes, **sample.parameters},
            initiation_method=sample.initiation_method,
        )
        result = sim.run(flow, contact)
        assert result.end_reason in (EndReason.TRANSFERRED_TO_QUEUE, EndReason.DISCONNECTED), result.describe()
        # (a contact with routing criteria made a second call: the decision is in the flow attributes)
        decision = result.flow_attributes
        assert decision["status"] in ("ROUTED", "DEFAULT", "CLOSED", "EMERGENCY"), result.describe()
        if decision["status"] in ("ROUTED", "DEFAULT"):
            assert result.queue_arn == decision["queue_arn"], result.describe()
    assert flows_used == {"inbound", "transfer"}
