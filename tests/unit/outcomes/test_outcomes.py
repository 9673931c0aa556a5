"""Contact outcomes: parsing Connect's contact events, the converging call log, outcomes and their metrics."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.outcomes.call_log import Outcome, outcome_metrics, summarize, summarize_all, tally
from routing.outcomes.events import EventRejectedError, Slots, apply_event, parse_event
from routing.outcomes.service import EventResult, OutcomeService
from routing.outcomes.store import InMemoryCallLogStore
from tests.conftest import EMF_SERVICE
from tests.outcome_events import (
    DECISION_TAGS,
    QUEUE_ID,
    abandoned_call,
    answered_call,
    contact_event,
)

# --- parsing -----------------------------------------------------------------------------------------------------


def test_a_queued_event_keeps_the_queue_the_times_and_our_tags_only() -> None:
    envelope = contact_event(
        "QUEUED", "c-9", at=10, queued_at=10, tags={**DECISION_TAGS, "CustomerTier": "+12125550187"}
    )
    event = parse_event(envelope)
    assert (event.contact_id, event.event_type, event.event_id) == ("c-9", "QUEUED", envelope["id"])
    assert event.at_ms == event.fields["enqueued_at"]  # a QUEUED event is ordered by its enqueue time
    assert event.fields["queue_id"] == QUEUE_ID
    assert event.fields["channel"] == "VOICE"
    assert event.fields["line_of_business"] == "cards"
    assert event.fields["rule_id"] == "cards_default"
    assert "+12125550187" not in json.dumps(event.slot())  # someone else's tag is not kept


def test_pascal_case_and_lower_case_enums_are_read_as_connect_samples_show_them() -> None:
    envelope = contact_event("DISCONNECTED", at=50, queued_at=10, disconnected_at=50)
    detail = envelope["detail"]
    detail["Channel"] = "Voice"
    del detail["channel"]
    detail["AgentInfo"] = {"ConnectedToAgentTimestamp": "2026-12-02T10:00:20.000Z"}
    event = parse_event(envelope)
    assert event.fields["channel"] == "VOICE"
    assert "answered_at" in event.fields


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda _: "not a dict", "not a JSON object"),
        (lambda e: {**e, "source": "aws.s3"}, "not an Amazon Connect contact event"),
        (lambda e: {**e, "detail": None}, "no detail"),
        (lambda e: {**e, "detail": {**e["detail"], "contactId": ""}}, "no contactId"),
        (lambda e: {**e, "detail": {**e["detail"], "eventType": None}}, "no eventType"),
        (lambda e: {**e, "id": ""}, "no id"),
        (
            lambda e: {**e, "time": "yesterday", "detail": {**e["detail"], "initiationTimestamp": "soon"}},
            "no usable timestamp",
        ),
    ],
)
def test_unusable_events_are_rejected_with_the_reason(mutate: Any, reason: str) -> None:
    with pytest.raises(EventRejectedError, match=reason):
        parse_event(mutate(contact_event("INITIATED")))


def test_an_event_type_connect_adds_later_is_not_a_slot() -> None:
    event = parse_event(contact_event("PAUSED", at=5))
    assert not event.is_slot
    assert not apply_event({}, event)


# --- the call log converges --------------------------------------------------------------------------------------


def _slots(envelopes: list[dict[str, Any]]) -> Slots:
    slots: Slots = {}
    for envelope in envelopes:
        apply_event(slots, parse_event(envelope))
    return slots


def _pool() -> list[dict[str, Any]]:
    """Events of one contact, including two QUEUED (a queue transfer), one event id tie and a late tag change."""
    events = answered_call("c-p", wait=30)
    events.append(contact_event("QUEUED", "c-p", at=20, queued_at=20, tags={**DECISION_TAGS, "trunkline:lob": "fraud"}))
    same_time = contact_event("CONNECTED_TO_SYSTEM", "c-p", at=1, event_id="ffffffff-0000-0000-0000-000000000000")
    events.append(same_time)
    events.append(contact_event("PAUSED", "c-p", at=60))
    return events


POOL = _pool()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=20).flatmap(st.permutations))
def test_any_order_and_any_repetition_give_the_record_of_the_set(order: list[int]) -> None:
    chosen = [POOL[i] for i in order]
    reference = _slots(sorted({i: POOL[i] for i in order}.values(), key=lambda e: e["id"]))
    got = _slots(chosen)
    assert got == reference
    assert summarize("c-p", got) == summarize("c-p", reference)


def test_the_latest_event_of_a_type_wins_and_ties_break_on_the_event_id() -> None:
    first = contact_event("QUEUED", at=10, queued_at=10, event_id="b")
    later = contact_event("QUEUED", at=20, queued_at=20, event_id="a", queue_id="q-2")
    tie = contact_event("QUEUED", at=20, queued_at=20, event_id="c", queue_id="q-3")
    for order in ([first, later, tie], [tie, later, first], [later, tie, first]):
        assert summarize("c-1", _slots(order)).queue_id == "q-3"


# --- outcomes ----------------------------------------------------------------------------------------------------


def test_an_answered_call() -> None:
    log = summarize("c-1", _slots(answered_call(wait=42)))
    assert log.outcome is Outcome.ANSWERED
    assert log.time_to_answer_s == 42.0
    assert (log.line_of_business, log.rule_id, log.config_version, log.queue_key) == (
        "cards",
        "cards_default",
        "v0007",
        "cards_general",
    )
    assert log.events == (
        "INITIATED",
        "CONNECTED_TO_SYSTEM",
        "QUEUED",
        "CONNECTED_TO_AGENT",
        "DISCONNECTED",
        "COMPLETED",
    )


def test_an_abandoned_call_and_one_still_waiting() -> None:
    events = abandoned_call(patience=95)
    assert summarize("c-2", _slots(events)).outcome is Outcome.ABANDONED
    assert summarize("c-2", _slots(events)).time_to_abandon_s == 95.0
    assert summarize("c-2", _slots(events[:2])).outcome is Outcome.IN_PROGRESS


def test_a_lost_queued_event_is_recovered_from_the_disconnect_snapshot() -> None:
    events = [e for e in abandoned_call() if e["detail"]["eventType"] != "QUEUED"]
    assert summarize("c-2", _slots(events)).outcome is Outcome.ABANDONED


def test_contacts_that_never_queued() -> None:
    closed = [contact_event("INITIATED", "c-3"), contact_event("DISCONNECTED", "c-3", at=20, disconnected_at=20)]
    assert summarize("c-3", _slots(closed)).outcome is Outcome.ENDED_IN_FLOW
    tags = {**DECISION_TAGS, "trunkline:callback": "requested"}
    asked = [
        contact_event("INITIATED", "c-4"),
        contact_event("DISCONNECTED", "c-4", at=40, disconnected_at=40, tags=tags),
    ]
    assert summarize("c-4", _slots(asked)).outcome is Outcome.CALLBACK_REQUESTED


@pytest.mark.parametrize(
    ("answered", "outcome"), [(True, Outcome.CALLBACK_COMPLETED), (False, Outcome.CALLBACK_FAILED)]
)
def test_callback_contacts(answered: bool, outcome: Outcome) -> None:
    kw: dict[str, Any] = {"initiation_method": "CALLBACK", "previous_contact_id": "c-4", "queued_at": 0.0}
    end = contact_event(
        "DISCONNECTED", "cb-1", at=900, disconnected_at=900, answered_at=600.0 if answered else None, **kw
    )
    log = summarize("cb-1", _slots([contact_event("QUEUED", "cb-1", **kw), end]), inherited_lob="cards")
    assert log.outcome is outcome
    assert log.is_callback
    assert log.line_of_business == "cards"


def test_outcome_metrics_and_totals_per_line_of_business() -> None:
    logs = [
        summarize("a1", _slots(answered_call("a1", wait=30))),
        summarize("a2", _slots(answered_call("a2", wait=90))),
        summarize("x1", _slots(abandoned_call("x1", patience=60))),
        summarize("f1", _slots(answered_call("f1", tags={**DECISION_TAGS, "trunkline:lob": "fraud"}))),
        summarize("w1", _slots(answered_call("w1")[:3])),  # still waiting: not counted
    ]
    assert outcome_metrics(logs[0]) == [("ContactsAnswered", "Count", 1.0), ("TimeToAnswer", "Seconds", 30.0)]
    assert outcome_metrics(logs[2]) == [("ContactsAbandoned", "Count", 1.0), ("TimeToAbandon", "Seconds", 60.0)]
    assert outcome_metrics(logs[4]) == []
    totals = tally(logs)
    assert set(totals) == {"cards", "fraud"}
    cards = totals["cards"]
    assert (cards.count(Outcome.ANSWERED), cards.count(Outcome.ABANDONED)) == (2, 1)
    assert cards.abandonment_rate == pytest.approx(1 / 3)
    assert cards.mean_time_to_answer_s == 60.0
    assert totals["fraud"].abandonment_rate == 0.0
    assert cards.callback_success_rate is None


# --- the service: metrics once per contact, callbacks released, logs masked -----------------------------------


class Releases:
    def __init__(self) -> None:
        self.released: list[str] = []

    def release(self, contact_id: str) -> None:
        self.released.append(contact_id)


def _named(blobs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [b for b in blobs if name in b]


def test_outcome_metrics_are_sent_once_per_contact_with_the_line_of_business(emf: Any) -> None:
    service = OutcomeService(InMemoryCallLogStore(), clock=lambda: 1_800_000_000.0)
    events = answered_call("c-1", wait=42)
    results = [service.handle(e) for e in events + events[::-1]]
    assert results[: len(events)] == [EventResult.APPLIED] * len(events)
    assert set(results[len(events) :]) == {EventResult.STALE}
    blobs = emf()
    answered = _named(blobs, "ContactsAnswered")
    assert len(answered) == 1
    assert answered[0]["line_of_business"] == "cards"
    assert answered[0]["TimeToAnswer"] == [42.0]
    assert answered[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["line_of_business", "service"]]
    assert answered[0]["service"] == EMF_SERVICE
    applied = sum(sum(b.get("OutcomeEventsApplied", [])) for b in blobs)
    stale = sum(sum(b.get("OutcomeEventsStale", [])) for b in blobs)
    assert (applied, stale) == (len(events), len(events))


def test_rejected_events_are_counted_and_dropped(emf: Any) -> None:
    service = OutcomeService(InMemoryCallLogStore())
    assert service.handle({"source": "aws.connect"}) is EventResult.REJECTED
    assert service.handle(contact_event("PAUSED")) is EventResult.IGNORED
    assert sum(sum(b.get("OutcomeEventsRejected", [])) for b in emf()) == 1


def test_a_callback_that_ends_releases_its_lock_and_takes_its_parents_line_of_business(emf: Any) -> None:
    store, releases = InMemoryCallLogStore(), Releases()
    service = OutcomeService(store, callbacks=releases)
    tags = {**DECISION_TAGS, "trunkline:lob": "collections", "trunkline:callback": "requested"}
    service.handle(contact_event("INITIATED", "c-4"))
    service.handle(contact_event("DISCONNECTED", "c-4", at=40, disconnected_at=40, tags=tags))
    kw: dict[str, Any] = {"initiation_method": "CALLBACK", "previous_contact_id": "c-4", "queued_at": 100.0}
    service.handle(contact_event("QUEUED", "cb-4", at=100, **kw))
    assert releases.released == []  # not before it ends
    end = contact_event("DISCONNECTED", "cb-4", at=700, answered_at=650.0, disconnected_at=700, **kw)
    service.handle(end)
    service.handle(contact_event("COMPLETED", "cb-4", at=720, answered_at=650.0, disconnected_at=700, **kw))
    assert releases.released == ["c-4"]
    blobs = emf()
    done = _named(blobs, "CallbacksCompleted")
    assert [b["line_of_business"] for b in done] == ["collections"]
    assert [b["line_of_business"] for b in _named(blobs, "CallbacksRequested")] == ["collections"]


E164 = re.compile(r"\+\d{8,15}")


def test_outcome_logs_carry_no_phone_number(lambda_logs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    service = OutcomeService(InMemoryCallLogStore())
    for envelope in answered_call("c-1") + abandoned_call("c-2"):
        # Numbers where Connect or someone else might put them: none may reach a log line.
        envelope["detail"]["customerEndpoint"] = {"address": "+12125550187", "type": "TELEPHONE_NUMBER"}
        envelope["detail"]["systemEndpoint"] = {"address": "+18005550100", "type": "TELEPHONE_NUMBER"}
        envelope["detail"].setdefault("tags", {})["Caller"] = "+447400123456"
        service.handle(envelope)
    service.handle({"source": "aws.connect", "detail-type": "Amazon Connect Contact Event", "detail": "+12125550187"})
    captured = capsys.readouterr()
    text = lambda_logs.getvalue() + captured.out + captured.err
    outcomes = [json.loads(x) for x in lambda_logs.getvalue().splitlines() if '"contact outcome"' in x]
    assert {o["outcome"] for o in outcomes} == {"ANSWERED", "ABANDONED"}
    assert not E164.findall(text)


# --- review findings: partial failures, what counts as queued, who is routed ---------------------------------------


class FlakyReleases(Releases):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def release(self, contact_id: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("callback table unreachable")
        super().release(contact_id)


def test_a_redelivery_after_a_partial_failure_finishes_the_release_and_the_count(emf: Any) -> None:
    store, releases = InMemoryCallLogStore(), FlakyReleases(failures=1)
    service = OutcomeService(store, callbacks=releases)
    kw: dict[str, Any] = {"initiation_method": "CALLBACK", "previous_contact_id": "c-9", "queued_at": 100.0}
    end = contact_event("DISCONNECTED", "cb-9", at=700, answered_at=650.0, disconnected_at=700, **kw)
    with pytest.raises(ConnectionError):
        service.handle(end)  # the write landed, the release raised: Lambda retries the event
    assert releases.released == []
    assert service.handle(end) is EventResult.STALE  # the retry: nothing new to write, but the work gets done
    assert releases.released == ["c-9"]
    assert service.handle(end) is EventResult.STALE
    assert releases.released == ["c-9"]  # and only once
    assert len(_named(emf(), "CallbacksCompleted")) == 1


def test_a_working_queue_without_an_enqueue_is_not_an_abandon() -> None:
    # TransferToQueue refused at capacity: the working queue is set, the contact never enqueued, the flow hangs up.
    end = contact_event("DISCONNECTED", "c-5", at=30, disconnected_at=30, disconnect_reason="CONTACT_FLOW_DISCONNECT")
    end["detail"]["queueInfo"] = {"queueArn": f"{end['detail']['instanceArn']}/queue/{QUEUE_ID}"}
    assert summarize("c-5", _slots([contact_event("INITIATED", "c-5"), end])).outcome is Outcome.ENDED_IN_FLOW


def test_a_queued_contact_the_flow_ended_is_not_an_abandon_but_ended_by_the_system() -> None:
    events = [
        contact_event("QUEUED", "c-6", at=10, queued_at=10),
        contact_event("DISCONNECTED", "c-6", at=90, queued_at=10, disconnected_at=90, disconnect_reason="API"),
    ]
    assert summarize("c-6", _slots(events)).outcome is Outcome.ENDED_BY_SYSTEM


def test_the_queued_events_own_time_stands_in_for_a_missing_enqueue_timestamp() -> None:
    queued = contact_event("QUEUED", "c-7", at=10)  # no queueInfo.enqueueTimestamp, as in a captured real event
    end = contact_event("DISCONNECTED", "c-7", at=70, disconnected_at=70)
    log = summarize("c-7", _slots([queued, end]))
    assert log.outcome is Outcome.ABANDONED
    assert log.time_to_abandon_s == 60.0


@pytest.mark.parametrize("method", ["OUTBOUND", "MONITOR", "AGENT_REPLY"])
def test_contacts_the_flows_do_not_route_have_no_outcome_metric(method: str) -> None:
    events = [
        contact_event("CONNECTED_TO_AGENT", "o-1", at=5, answered_at=5, initiation_method=method),
        contact_event("DISCONNECTED", "o-1", at=60, answered_at=5, disconnected_at=60, initiation_method=method),
    ]
    log = summarize("o-1", _slots(events))
    assert log.outcome is Outcome.NOT_ROUTED
    assert outcome_metrics(log) == []
    assert tally([log]) == {}


def test_customer_first_callbacks_are_callbacks() -> None:
    kw: dict[str, Any] = {"initiation_method": "CALLBACK_CUSTOMER_FIRST_DIALED", "previous_contact_id": "c-8"}
    log = summarize("cb-8", _slots([contact_event("DISCONNECTED", "cb-8", at=60, disconnected_at=60, **kw)]))
    assert log.is_callback
    assert log.outcome is Outcome.CALLBACK_FAILED


def test_summarize_all_gives_an_untagged_callback_its_parents_line_of_business() -> None:
    tags = {**DECISION_TAGS, "trunkline:lob": "fraud", "trunkline:callback": "requested"}
    kw: dict[str, Any] = {"initiation_method": "CALLBACK", "previous_contact_id": "p-1", "queued_at": 100.0}
    records = {
        "p-1": _slots([contact_event("DISCONNECTED", "p-1", at=30, disconnected_at=30, tags=tags)]),
        "cb-1": _slots([contact_event("DISCONNECTED", "cb-1", at=900, answered_at=600.0, disconnected_at=900, **kw)]),
        "orphan": _slots(
            [contact_event("DISCONNECTED", "orphan", at=9, disconnected_at=9, **{**kw, "previous_contact_id": "gone"})]
        ),
    }
    logs = {log.contact_id: log for log in summarize_all(records)}
    assert logs["cb-1"].line_of_business == "fraud"
    assert logs["orphan"].line_of_business == ""  # its parent is unknown
    assert tally(logs.values())["fraud"].count(Outcome.CALLBACK_COMPLETED) == 1
