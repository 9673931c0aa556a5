"""Contact records: parsing the documented data model, records as the authority of the call log, re-deliveries,
and convergence of any order and repetition of events and records."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.outcomes.call_log import Outcome, summarize, summarize_all
from routing.outcomes.events import RECORD_SLOT, EventRejectedError, Slots, apply_event, parse_event
from routing.outcomes.records import RecordRejectedError, hour_key, parse_record
from routing.outcomes.service import EventResult, OutcomeService
from routing.outcomes.store import InMemoryCallLogStore
from tests.outcome_events import DECISION_TAGS, QUEUE_ID, abandoned_call, answered_call, contact_event
from tests.outcome_records import CUSTOMER, contact_record


def _log(*records: dict[str, Any], events: tuple[dict[str, Any], ...] = ()) -> Any:
    slots: Slots = {}
    for event in events:
        apply_event(slots, parse_event(event))
    for record in records:
        apply_event(slots, parse_record(record))
    contact_id = (records or events)[0].get("ContactId") or events[0]["detail"]["contactId"]
    return summarize(contact_id, slots)


# --- outcomes from records ----------------------------------------------------------------------------------------


def test_an_answered_record_after_after_contact_work_is_answered_with_its_time_to_answer() -> None:
    record = contact_record(updated=400, queued_at=10, answered_at=52, disconnected_at=352, acw_ended=390)
    log = _log(record)
    assert log.outcome is Outcome.ANSWERED
    assert log.time_to_answer_s == 42.0
    assert (log.rule_id, log.config_version, log.line_of_business, log.queue_key) == (
        "cards_default",
        "v0007",
        "cards",
        "cards_general",
    )
    assert log.queue_id == QUEUE_ID
    assert log.from_record


def test_a_customer_disconnect_while_queued_is_an_abandon_with_its_time_to_abandon() -> None:
    log = _log(contact_record(updated=120, queued_at=10, disconnected_at=105, reason="CUSTOMER_DISCONNECT"))
    assert log.outcome is Outcome.ABANDONED
    assert log.time_to_abandon_s == 95.0


@pytest.mark.parametrize("reason", ["CONTACT_FLOW_DISCONNECT", "TELECOM_PROBLEM", "OTHER", None])
def test_any_other_end_while_queued_is_the_systems_not_an_abandon(reason: str | None) -> None:
    log = _log(contact_record(updated=120, queued_at=10, disconnected_at=105, reason=reason))
    assert log.outcome is Outcome.ENDED_BY_SYSTEM
    assert log.time_to_abandon_s is None


def test_the_record_corrects_what_the_events_could_not_tell_a_flow_disconnect_is_not_an_abandon() -> None:
    # Inbound contact events carry no disconnect reason: from events alone this queued contact was "abandoned".
    events = tuple(abandoned_call("c-2"))
    assert _log(events=events).outcome is Outcome.ABANDONED
    record = contact_record("c-2", updated=200, queued_at=10, disconnected_at=105, reason="CONTACT_FLOW_DISCONNECT")
    assert _log(record, events=events).outcome is Outcome.ENDED_BY_SYSTEM


def test_a_contact_transferred_out_of_the_queue_is_transferred_not_abandoned() -> None:
    record = contact_record(
        updated=120, queued_at=10, disconnected_at=60, reason="CONTACT_FLOW_DISCONNECT", next_contact="c-1b"
    )
    assert _log(record).outcome is Outcome.TRANSFERRED
    answered_then_transferred = contact_record(
        updated=500, queued_at=10, answered_at=30, disconnected_at=300, transferred_to="+14155550100"
    )
    log = _log(answered_then_transferred)
    assert (log.outcome, log.transferred) == (Outcome.ANSWERED, True)


def test_a_contact_that_accepted_a_callback_is_requested_not_abandoned() -> None:
    tags = {**DECISION_TAGS, "trunkline:callback": "requested"}
    record = contact_record(updated=120, queued_at=10, disconnected_at=60, reason="CONTACT_FLOW_DISCONNECT", tags=tags)
    assert _log(record).outcome is Outcome.CALLBACK_REQUESTED


def test_a_callback_record_tells_whether_the_customer_was_reached() -> None:
    kw: dict[str, Any] = {"method": "CALLBACK", "previous": "c-1", "attributes": {}, "queued_at": 300}
    reached = contact_record("cb-1", updated=900, answered_at=400, disconnected_at=700, acw_ended=720, **kw)
    assert _log(reached).outcome is Outcome.CALLBACK_REACHED
    # An agent took it but the dial-out never became a conversation: events would say "completed".
    not_picked_up = contact_record("cb-2", updated=500, answered_at=400, disconnected_at=430, reason="OTHER", **kw)
    assert _log(not_picked_up).outcome is Outcome.CALLBACK_FAILED
    never_taken = contact_record("cb-3", updated=4000, disconnected_at=3900, reason=None, **kw)
    assert _log(never_taken).outcome is Outcome.CALLBACK_FAILED


def test_a_contact_that_never_queued_ended_in_the_flow() -> None:
    record = contact_record(updated=40, disconnected_at=30, reason="CONTACT_FLOW_DISCONNECT", customer=None)
    assert _log(record).outcome is Outcome.ENDED_IN_FLOW


def test_a_callback_record_takes_its_parents_line_of_business() -> None:
    parent = contact_record("c-1", updated=80, queued_at=10, disconnected_at=60, reason="CONTACT_FLOW_DISCONNECT")
    child = contact_record(
        "cb-1", updated=900, method="CALLBACK", previous="c-1", attributes={}, queued_at=300, answered_at=400
    )
    slots = {r["ContactId"]: {RECORD_SLOT: parse_record(r).slot()} for r in (parent, child)}
    logs = {log.contact_id: log for log in summarize_all(slots)}
    assert logs["cb-1"].line_of_business == "cards"


# --- the data model: casing, nulls, our tags, PII ----------------------------------------------------------------


def test_tags_win_over_the_routes_attributes_and_other_attributes_are_not_kept() -> None:
    record = contact_record(
        updated=100,
        attributes={**DECISION_ATTRIBUTES_WITH_SECRET, "rule_id": "from_attributes"},
        tags={"trunkline:rule": "from_tags", "Owner": "+12125550187"},
    )
    event = parse_record(record)
    assert event.fields["rule_id"] == "from_tags"
    assert event.fields["line_of_business"] == "cards"  # the attribute still serves where no tag says otherwise
    text = json.dumps(event.slot())
    assert "+12125550187" not in text
    assert "account_number" not in text


DECISION_ATTRIBUTES_WITH_SECRET = {"line_of_business": "cards", "account_number": "4111111111111111"}


def test_the_customer_number_is_kept_masked_and_a_transfer_target_only_as_a_flag() -> None:
    record = contact_record(updated=100, queued_at=10, answered_at=20, transferred_to="+14155550100")
    event = parse_record(record)
    text = json.dumps(event.slot())
    assert CUSTOMER not in text
    assert "4155550100" not in text
    assert event.fields["customer"] == "+*********23"
    assert event.fields["transferred"] == 1


def test_a_sparse_record_with_nulls_everywhere_still_parses() -> None:
    record = {"ContactId": "c-x", "LastUpdateTimestamp": "2026-12-02T10:00:05Z", "Queue": None, "Agent": None}
    record |= {"Attributes": None, "Tags": None, "CustomerEndpoint": None, "DisconnectReason": None}
    event = parse_record(record)
    assert event.fields == {}
    assert summarize("c-x", {RECORD_SLOT: event.slot()}).outcome is Outcome.ENDED_IN_FLOW


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ([], "not a JSON object"),
        ({"LastUpdateTimestamp": "2026-12-02T10:00:05Z"}, "no ContactId"),
        ({"ContactId": "c-1", "LastUpdateTimestamp": "soon"}, "no usable timestamp"),
    ],
)
def test_unusable_records_are_rejected_with_the_reason(record: object, reason: str) -> None:
    with pytest.raises(RecordRejectedError, match=reason):
        parse_record(record)


def test_an_event_cannot_write_the_records_slot() -> None:
    with pytest.raises(EventRejectedError, match="RECORD"):
        parse_event(contact_event("RECORD"))


def test_the_ended_hour_is_the_utc_hour_of_the_disconnect() -> None:
    event = parse_record(contact_record(updated=100, disconnected_at=3599))
    assert hour_key(int(event.fields["disconnected_at"])) == "2026-12-02T10"


# --- re-deliveries: the newest LastUpdateTimestamp wins, an identical copy changes nothing ------------------------


def test_redeliveries_and_an_update_after_after_contact_work_converge_on_the_newest() -> None:
    store = InMemoryCallLogStore()
    service = OutcomeService(store)
    first = contact_record(updated=360, queued_at=10, answered_at=52, disconnected_at=352)
    updated = contact_record(
        updated=900,
        queued_at=10,
        answered_at=52,
        disconnected_at=352,
        acw_ended=390,
        attributes={**dict(first["Attributes"]), "line_of_business": "premium"},
    )
    assert service.handle_record(first) is EventResult.APPLIED
    assert service.handle_record(first) is EventResult.STALE  # at least once: the same copy again
    assert service.handle_record(updated) is EventResult.APPLIED
    assert service.handle_record(first) is EventResult.STALE  # an older copy arriving late
    stored = store.get("c-1")
    assert stored is not None
    assert summarize("c-1", stored.slots).line_of_business == "premium"
    assert stored.ended_hour == "2026-12-02T10"


def test_two_different_copies_with_one_timestamp_resolve_the_same_way_in_either_order() -> None:
    a = contact_record(updated=400, queued_at=10, answered_at=52, attributes={"line_of_business": "a"})
    b = contact_record(updated=400, queued_at=10, answered_at=52, attributes={"line_of_business": "b"})
    one, two = InMemoryCallLogStore(), InMemoryCallLogStore()
    for store, order in ((one, (a, b)), (two, (b, a))):
        for record in order:
            OutcomeService(store).handle_record(record)
    first, second = one.get("c-1"), two.get("c-1")
    assert first is not None
    assert second is not None
    assert first.slots == second.slots


def test_a_record_counts_a_contact_the_events_never_counted_and_only_once(emf: Any) -> None:
    service = OutcomeService(InMemoryCallLogStore())
    record = contact_record(updated=120, queued_at=10, disconnected_at=105)
    service.handle_record(record)
    service.handle_record(record)
    for event in abandoned_call("c-1"):
        service.handle(event)
    blobs = [b for b in emf() if "ContactsAbandoned" in b]
    assert len(blobs) == 1
    assert blobs[0]["line_of_business"] == "cards"


def test_rejected_records_are_counted_and_dropped(emf: Any) -> None:
    assert OutcomeService(InMemoryCallLogStore()).handle_record({"Agent": None}) is EventResult.REJECTED
    assert any(b.get("ContactRecordsRejected") == [1.0] or b.get("ContactRecordsRejected") == 1.0 for b in emf())


# --- convergence: any order and repetition of events and records --------------------------------------------------


def _journey() -> list[tuple[str, dict[str, Any]]]:
    """A contact's events and three versions of its record (first, redelivered after ACW, attribute update)."""
    events = [("event", e) for e in answered_call("c-1")]
    kw: dict[str, Any] = {"queued_at": 10, "answered_at": 52, "disconnected_at": 352}
    records = [
        contact_record(updated=352, **kw),
        contact_record(updated=382, acw_ended=382, **kw),
        contact_record(updated=900, acw_ended=382, attributes={"line_of_business": "premium"}, **kw),
    ]
    return events + [("record", r) for r in records]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_order_and_repetition_of_events_and_records_converges(data: st.DataObject) -> None:
    journey = _journey()
    picks = data.draw(st.lists(st.integers(0, len(journey) - 1), max_size=12))
    order = data.draw(st.permutations(list(range(len(journey))) + picks))
    store = InMemoryCallLogStore()
    service = OutcomeService(store)
    for index in order:
        kind, item = journey[index]
        (service.handle if kind == "event" else service.handle_record)(item)
    reference = InMemoryCallLogStore()
    for kind, item in journey:
        (OutcomeService(reference).handle if kind == "event" else OutcomeService(reference).handle_record)(item)
    got, want = store.get("c-1"), reference.get("c-1")
    assert got is not None
    assert want is not None
    assert got.slots == want.slots
    assert summarize("c-1", got.slots) == summarize("c-1", want.slots)
    assert summarize("c-1", got.slots).line_of_business == "premium"  # the newest record wins
    assert got.counted is not None
