"""Every path of every flow, run through the simulator with a fake ``route`` (see flow_scenarios.py)."""

from __future__ import annotations

import pytest

from tests.flows.flow_scenarios import (
    CALLBACK_ARN,
    CARDS_QUEUE_ARN,
    INSTANCE,
    RETENTION_QUEUE_ARN,
    ROUTE_ARN,
    Scenario,
    all_scenarios,
    run,
    run_with_callback,
)
from trunkline.simulator import EndReason

SCENARIOS = all_scenarios()


def _in_order(visited: list[str], wanted: tuple[str, ...]) -> bool:
    it = iter(visited)
    return all(any(v == w for v in it) for w in wanted)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_scenario(scenario: Scenario) -> None:
    # Given the scenario's contact and route reply / When the contact runs through the flow
    result, fake, callback = run_with_callback(scenario)
    trace = result.describe()

    # Then it ends where expected
    assert result.end_reason is scenario.end, trace
    assert result.queue_arn == scenario.queue, trace
    if scenario.end is EndReason.TRANSFERRED_TO_QUEUE:
        assert result.ended_at in ("TransferToQueue", "TransferToDefaultQueue", "TransferToChosenQueue"), trace
    else:
        assert result.trace[-1].type == "DisconnectParticipant", trace
    assert _in_order(result.visited, scenario.must_visit), trace
    for identifier in scenario.must_not_visit:
        assert identifier not in result.visited, trace
    for key, value in scenario.attributes.items():
        assert result.attributes.get(key) == value, (key, trace)
    if scenario.messages is not None:
        assert tuple(result.message_texts) == scenario.messages, trace
    if scenario.priority != "any":
        assert result.queue_priority == scenario.priority, trace
    if scenario.invocations is not None:
        assert len(fake.events) == scenario.invocations, trace
    if scenario.callback is not None:
        assert result.callback is not None, trace
        made = result.callback
        timings = (made.initial_call_delay_seconds, made.maximum_connection_attempts, made.retry_delay_seconds)
        assert (made.number, *timings) == scenario.callback, trace
        assert made.queue_arn == CARDS_QUEUE_ARN, trace
    if scenario.tags is not None:
        assert dict(result.tags) == dict(scenario.tags), trace
    if scenario.attempts is not None:
        assert result.lambda_invocation_count == scenario.attempts, trace
    if scenario.callback_actions is not None:
        assert callback is not None, trace
        assert tuple(callback.actions) == scenario.callback_actions, trace
    if scenario.routing_criteria != "any":
        assert result.routing_criteria == scenario.routing_criteria, trace
    if scenario.voice != "any":
        assert result.voice == scenario.voice, trace


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_every_route_invocation_carries_a_real_connect_event(scenario: Scenario) -> None:
    result, fake = run(scenario)
    for event in fake.events:
        assert event["Name"] == "ContactFlowEvent"
        data = event["Details"]["ContactData"]
        assert data["InstanceARN"] == INSTANCE
        assert data["Channel"] == scenario.contact.channel
        assert data["ContactId"] == scenario.contact.contact_id
        assert data["Attributes"] == dict(scenario.contact.attributes)
        params = event["Details"]["Parameters"]
        assert params["trunkline_flow"] == scenario.flow
        assert all(isinstance(v, str) for v in params.values())
    for invocation in result.invocations:
        assert invocation.function_arn in (ROUTE_ARN, CALLBACK_ARN)
        assert all(a.latency_ms >= 0 for a in invocation.attempts)


def test_chat_entry_key_reaches_route_in_the_contact_attributes() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "chat_contact_is_routed_by_entry_key")
    _, fake = run(scenario)
    event = fake.events[0]
    assert event["Details"]["ContactData"]["Attributes"]["entry_key"] == "cards_web_chat"
    # and as a flow parameter, so a rule on parameters.entry_key fires through the real flow
    assert event["Details"]["Parameters"] == {"trunkline_flow": "inbound", "entry_key": "cards_web_chat"}
    assert event["Details"]["ContactData"]["CustomerEndpoint"] is None
    assert event["Details"]["ContactData"]["SystemEndpoint"] is None


def test_anonymous_caller_reaches_route_with_a_null_customer_endpoint() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "anonymous_caller_is_routed")
    _, fake = run(scenario)
    assert fake.events[0]["Details"]["ContactData"]["CustomerEndpoint"] is None
    assert fake.events[0]["Details"]["ContactData"]["SystemEndpoint"]["Address"] == "+18005550100"


def test_transfer_tells_route_it_is_a_transfer_and_passes_the_chosen_queue() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "transfer_goes_to_the_queue_the_agent_chose")
    result, fake = run(scenario)
    data = fake.events[0]["Details"]
    assert data["Parameters"] == {"trunkline_flow": "transfer"}
    assert data["ContactData"]["InitiationMethod"] == "TRANSFER"
    assert data["ContactData"]["Queue"]["ARN"] == scenario.contact.queue_arn == RETENTION_QUEUE_ARN
    assert result.attributes["classification"] == "card_servicing"  # what route returned
