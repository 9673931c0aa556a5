"""Contact events from simulated contacts: envelope and detail shapes, time order, tags, callbacks, determinism."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.flows.flow_scenarios import (
    CALLBACK_TAGS,
    CALLER,
    CARDS_QUEUE_ARN,
    DECISION_TAGS,
    INSTANCE,
    Scenario,
    all_scenarios,
    run,
)
from trunkline.simulator import (
    QueueOutcomeModel,
    SimulationResult,
    callback_contact_id,
    contact_events,
    shuffle_and_duplicate,
)

START = datetime(2026, 12, 2, 10, 15, 30, 123_000, tzinfo=UTC)
ANSWERED = QueueOutcomeModel(seed=7, answer_probability=1.0, callback_answer_probability=1.0)
ABANDONED = QueueOutcomeModel(
    seed=7, answer_probability=0.0, callback_answer_probability=0.0, patience_seconds=(30.0, 90.0)
)
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ISO_S = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FLOW_ORDER = ["INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"]


def _scenario(name: str) -> Scenario:
    return next(s for s in all_scenarios() if s.name == name and s.flow == "inbound")


def _result(name: str) -> SimulationResult:
    result, _ = run(_scenario(name))
    return result


ROUTED = "routed_voice_call_is_queued_with_priority_and_attributes"
CALLBACK = "callback_accepted_on_caller_id_is_reserved_created_and_confirmed"
CLOSED = "closed_plays_the_message_and_disconnects"
LAMBDA_ERROR = "lambda_error_is_retried_three_times_then_default_queue"


def _events(name: str, model: QueueOutcomeModel = ANSWERED, seed: int = 1) -> list[dict[str, Any]]:
    return contact_events(_result(name), model=model, rng=random.Random(seed), start=START)


def _of(events: list[dict[str, Any]], contact_id: str) -> dict[str, dict[str, Any]]:
    """Event type -> detail, for one contact."""
    return {e["detail"]["eventType"]: e["detail"] for e in events if e["detail"]["contactId"] == contact_id}


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


# ---------------------------------------------------------------- shapes


def test_every_event_is_an_eventbridge_contact_event_envelope() -> None:
    # Given a routed contact's events
    result = _result(ROUTED)
    events = contact_events(result, model=ANSWERED, rng=random.Random(1), start=START)
    contact_arn = f"{INSTANCE}/contact/{result.contact.contact_id}"
    for event in events:
        # Then each has the envelope Connect publishes
        assert set(event) == {
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        }
        assert event["version"] == "0"
        assert event["source"] == "aws.connect"
        assert event["detail-type"] == "Amazon Connect Contact Event"
        assert (event["account"], event["region"]) == ("111122223333", "us-east-1")
        assert event["resources"] == [INSTANCE, contact_arn]
        assert uuid.UUID(event["id"]).version == 4
        assert ISO_S.match(event["time"]), event["time"]
    assert len({e["id"] for e in events}) == len(events)


def test_answered_contact_has_every_event_with_camel_case_fields() -> None:
    result = _result(ROUTED)
    events = contact_events(result, model=ANSWERED, rng=random.Random(1), start=START)
    assert [e["detail"]["eventType"] for e in events] == FLOW_ORDER
    by_type = _of(events, result.contact.contact_id)
    for detail in by_type.values():
        assert detail["contactId"] == result.contact.contact_id
        assert detail["initialContactId"] == result.contact.contact_id
        assert "previousContactId" not in detail
        assert detail["channel"] == "VOICE"
        assert detail["instanceArn"] == INSTANCE
        assert detail["initiationMethod"] == "INBOUND"
        assert detail["initiationTimestamp"] == "2026-12-02T10:15:30.123Z"
    assert set(by_type["INITIATED"]) == {
        "eventType",
        "contactId",
        "initialContactId",
        "channel",
        "instanceArn",
        "initiationMethod",
        "initiationTimestamp",
        "tags",
    }
    queued = by_type["QUEUED"]["queueInfo"]
    assert queued["queueArn"] == CARDS_QUEUE_ARN == result.queue_arn
    assert queued["queueType"] == "STANDARD"
    agent = by_type["CONNECTED_TO_AGENT"]["agentInfo"]
    assert re.fullmatch(rf"{re.escape(INSTANCE)}/agent/[0-9a-f\-]{{36}}", agent["agentArn"])
    assert "agentInfo" not in by_type["QUEUED"]
    done = by_type["DISCONNECTED"]
    assert done["disconnectReason"] in ("AGENT_DISCONNECT", "CUSTOMER_DISCONNECT")
    assert done["queueInfo"] == queued  # later events repeat what is known
    assert by_type["COMPLETED"]["agentInfo"]["afterContactWorkStartTimestamp"] == done["disconnectTimestamp"]


def test_timestamps_have_milliseconds_and_follow_the_contact() -> None:
    result = _result(ROUTED)
    by_type = _of(contact_events(result, model=ANSWERED, rng=random.Random(1), start=START), result.contact.contact_id)
    completed = by_type["COMPLETED"]
    stamps = [
        completed["initiationTimestamp"],
        completed["connectedToSystemTimestamp"],
        completed["queueInfo"]["enqueueTimestamp"],
        completed["agentInfo"]["connectedToAgentTimestamp"],
        completed["disconnectTimestamp"],
        completed["agentInfo"]["afterContactWorkEndTimestamp"],
    ]
    assert all(ISO_MS.match(s) for s in stamps), stamps
    times = [_ms(s) for s in stamps]
    assert times == sorted(times)
    assert times[1] < times[2]  # the flow took some time


def test_events_come_in_time_order_and_the_envelope_time_is_the_events_own_second() -> None:
    events = _events(CALLBACK)
    times = [e["time"] for e in events]
    assert times == sorted(times)
    own = {
        "INITIATED": lambda d: d["initiationTimestamp"],
        "CONNECTED_TO_SYSTEM": lambda d: d["connectedToSystemTimestamp"],
        "QUEUED": lambda d: d["queueInfo"]["enqueueTimestamp"],
        "CONNECTED_TO_AGENT": lambda d: d["agentInfo"]["connectedToAgentTimestamp"],
        "DISCONNECTED": lambda d: d["disconnectTimestamp"],
    }
    for event in events:
        detail = event["detail"]
        if detail["eventType"] in own:
            assert event["time"] == own[detail["eventType"]](detail)[:19] + "Z"


def test_abandoned_contact_never_reaches_an_agent_and_the_caller_hangs_up() -> None:
    result = _result(ROUTED)
    events = contact_events(result, model=ABANDONED, rng=random.Random(1), start=START)
    assert [e["detail"]["eventType"] for e in events] == [t for t in FLOW_ORDER if t != "CONNECTED_TO_AGENT"]
    done = _of(events, result.contact.contact_id)["DISCONNECTED"]
    assert "agentInfo" not in done
    assert done["disconnectReason"] == "CUSTOMER_DISCONNECT"
    waited = _ms(done["disconnectTimestamp"]) - _ms(done["queueInfo"]["enqueueTimestamp"])
    assert 30_000 <= waited <= 90_000  # the model's patience


def test_a_contact_that_ends_in_the_flow_is_never_queued() -> None:
    events = _events(CLOSED)
    assert [e["detail"]["eventType"] for e in events] == [
        "INITIATED",
        "CONNECTED_TO_SYSTEM",
        "DISCONNECTED",
        "COMPLETED",
    ]
    for event in events:
        assert "queueInfo" not in event["detail"]
        assert "agentInfo" not in event["detail"]
    assert events[-1]["detail"]["disconnectReason"] == "CONTACT_FLOW_DISCONNECT"


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        contact_events(_result(ROUTED), model=ANSWERED, rng=random.Random(1), start=datetime(2026, 12, 2))


# ---------------------------------------------------------------- tags


def test_decision_tags_appear_only_on_events_after_the_flow_tagged_the_contact() -> None:
    events = _events(ROUTED)
    tags = {e["detail"]["eventType"]: e["detail"]["tags"] for e in events}
    assert tags["INITIATED"] == {}
    assert tags["CONNECTED_TO_SYSTEM"] == {}
    for event_type in ("QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"):
        assert tags[event_type] == DECISION_TAGS, event_type


def test_a_contact_the_flow_never_tagged_has_no_tags_on_any_event() -> None:
    assert all(e["detail"]["tags"] == {} for e in _events(LAMBDA_ERROR))


def test_a_callback_request_is_tagged_on_the_original_contacts_ending() -> None:
    result = _result(CALLBACK)
    events = contact_events(result, model=ANSWERED, rng=random.Random(1), start=START)
    by_type = _of(events, result.contact.contact_id)
    assert by_type["DISCONNECTED"]["tags"] == CALLBACK_TAGS
    assert by_type["COMPLETED"]["tags"] == CALLBACK_TAGS
    assert by_type["DISCONNECTED"]["disconnectReason"] == "CONTACT_FLOW_DISCONNECT"


# ---------------------------------------------------------------- callbacks


def test_a_created_callback_is_a_second_contact_linked_to_the_first() -> None:
    # Given a caller who accepted a callback
    result = _result(CALLBACK)
    assert result.callback is not None
    original = result.contact.contact_id
    # When its events are generated with agents answering
    events = contact_events(result, model=ANSWERED, rng=random.Random(1), start=START)
    callback_id = callback_contact_id(original)
    callback = _of(events, callback_id)
    # Then the callback contact has its own id, points back at the original, and is queued after the delay
    assert callback_id != original
    assert uuid.UUID(callback_id)
    assert list(callback) == ["INITIATED", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"]
    for detail in callback.values():
        assert detail["initiationMethod"] == "CALLBACK"
        assert detail["previousContactId"] == original
        assert detail["initialContactId"] == original
        assert detail["channel"] == "VOICE"
        assert detail["tags"] == {}
        assert "connectedToSystemTimestamp" not in detail
    queued = callback["QUEUED"]
    assert queued["queueInfo"]["queueArn"] == result.callback.queue_arn
    delay = _ms(queued["queueInfo"]["enqueueTimestamp"]) - _ms(queued["initiationTimestamp"])
    assert delay == result.callback.initial_call_delay_seconds * 1000
    first = _of(events, original)
    created = _ms(callback["INITIATED"]["initiationTimestamp"])
    assert _ms(first["CONNECTED_TO_SYSTEM"]["connectedToSystemTimestamp"]) < created
    assert created <= _ms(first["DISCONNECTED"]["disconnectTimestamp"])  # created while the caller is still there
    assert [e["resources"][1] for e in events if e["detail"]["contactId"] == callback_id] == [
        f"{INSTANCE}/contact/{callback_id}"
    ] * 5


def test_a_callback_no_agent_takes_is_disconnected_without_an_agent() -> None:
    result = _result(CALLBACK)
    events = contact_events(result, model=ABANDONED, rng=random.Random(1), start=START)
    callback = _of(events, callback_contact_id(result.contact.contact_id))
    assert list(callback) == ["INITIATED", "QUEUED", "DISCONNECTED", "COMPLETED"]
    assert "agentInfo" not in callback["DISCONNECTED"]
    assert callback["DISCONNECTED"]["disconnectReason"] == "OTHER"


def test_no_callback_contact_without_a_created_callback() -> None:
    result = _result(ROUTED)
    ids = {e["detail"]["contactId"] for e in contact_events(result, model=ANSWERED, rng=random.Random(1), start=START)}
    assert ids == {result.contact.contact_id}


def test_no_phone_number_appears_in_any_event() -> None:
    result = _result(CALLBACK)
    assert result.callback is not None
    text = json.dumps(contact_events(result, model=ANSWERED, rng=random.Random(1), start=START))
    assert CALLER not in text
    assert result.callback.number not in text
    assert result.contact.system_number is not None
    assert result.contact.system_number not in text
    assert not re.search(r"\+\d{7,15}", text)


# ---------------------------------------------------------------- determinism and the queue model


def test_the_same_seeds_give_the_same_events() -> None:
    result = _result(CALLBACK)
    model = QueueOutcomeModel(seed=3)
    first = contact_events(result, model=model, rng=random.Random(42), start=START)
    again = contact_events(result, model=model, rng=random.Random(42), start=START)
    other = contact_events(result, model=model, rng=random.Random(43), start=START)
    assert first == again
    assert [e["id"] for e in first] != [e["id"] for e in other]


def test_a_queue_outcome_depends_on_the_seed_and_the_contact_id_only() -> None:
    model = QueueOutcomeModel(seed=11)
    ids = [str(uuid.UUID(int=i, version=4)) for i in range(50)]
    forward = [model.outcome(i) for i in ids]
    backward = [model.outcome(i) for i in reversed(ids)][::-1]
    assert forward == backward
    assert {o.answered for o in forward} == {True, False}  # 85 % answered: 50 contacts see both
    assert [QueueOutcomeModel(seed=12).outcome(i) for i in ids] != forward
    assert model.outcome(ids[0], callback=True) != model.outcome(ids[0])


def test_the_outcome_model_draws_within_its_ranges() -> None:
    model = QueueOutcomeModel(seed=5, answer_after_seconds=(10.0, 20.0), patience_seconds=(40.0, 50.0))
    for i in range(100):
        outcome = model.outcome(f"contact-{i}")
        low, high = (10.0, 20.0) if outcome.answered else (40.0, 50.0)
        assert low <= outcome.wait_seconds <= high
        assert bool(outcome.agent_id) is outcome.answered


@pytest.mark.parametrize(
    "kwargs",
    [
        {"answer_probability": 1.5},
        {"callback_answer_probability": -0.1},
        {"talk_seconds": (10.0, 5.0)},
        {"patience_seconds": (-1.0, 5.0)},
        {"callback_expiry_seconds": -1.0},
    ],
    ids=["p>1", "p<0", "range-reversed", "negative-low", "negative-expiry"],
)
def test_a_model_outside_its_bounds_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        QueueOutcomeModel(**kwargs)


# ---------------------------------------------------------------- delivery


def test_shuffle_and_duplicate_reorders_and_repeats_with_the_same_ids() -> None:
    events = _events(CALLBACK)
    original = json.dumps(events)
    delivered = shuffle_and_duplicate(events, random.Random(9), duplicate_ratio=0.5)
    assert len(delivered) == len(events) + round(len(events) * 0.5)
    assert {json.dumps(e, sort_keys=True) for e in delivered} == {json.dumps(e, sort_keys=True) for e in events}
    assert len({e["id"] for e in delivered}) == len(events)  # a redelivery keeps its id
    assert [e["id"] for e in delivered[: len(events)]] != [e["id"] for e in events]
    assert json.dumps(events) == original  # the input is untouched
    delivered[0]["detail"]["tags"]["x"] = "y"
    assert json.dumps(events) == original  # copies, not aliases


def test_shuffle_and_duplicate_is_deterministic_and_ratio_zero_only_reorders() -> None:
    events = _events(ROUTED)
    assert shuffle_and_duplicate(events, random.Random(1)) == shuffle_and_duplicate(events, random.Random(1))
    reordered = shuffle_and_duplicate(events, random.Random(1), duplicate_ratio=0.0)
    assert sorted(e["id"] for e in reordered) == sorted(e["id"] for e in events)
    assert shuffle_and_duplicate([], random.Random(1)) == []
    with pytest.raises(ValueError, match="duplicate_ratio"):
        shuffle_and_duplicate(events, random.Random(1), duplicate_ratio=1.5)
