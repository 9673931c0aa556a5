"""Hostile events against the real ``route`` and ``outcomes`` Lambda handlers (in-memory dependencies).

Lone surrogates, huge values, wrong types and nulls at every level of the event. ``route`` always answers a flat
``str`` map under 32 KB with ``status`` and never raises; ``outcomes`` never raises for a malformed event (raising
sends it to Lambda's retries and the dead-letter queue, from which a replay fails again). The outcomes store here
encodes every write as UTF-8 JSON, as DynamoDB does, so an event that would fail the real table fails here too.

A fast profile runs with the unit tests; the ``slow`` tests run 10,000 examples each (CI runs them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.outcomes.events import ContactEvent
from routing.outcomes.service import EventResult, OutcomeService
from routing.outcomes.store import InMemoryCallLogStore, StoredRecord
from tests.conftest import assert_reply_contract, shared
from tests.outcome_events import DECISION_TAGS, contact_event
from trunkline.contacts import INSTANCE_ARN, connect_event

FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))

# --- strategies ----------------------------------------------------------------------------------------------

# Every code point, lone surrogates included (hypothesis leaves category Cs out unless told).
any_char = st.characters(exclude_categories=())
hostile_text = st.one_of(
    st.text(any_char, max_size=16),
    st.builds(
        lambda piece, n: piece * n,
        st.sampled_from(["x", "\ud800", "\udfff", '"', "\\", "\x01", "é", "😀", "+12125550187"]),
        st.sampled_from([1, 300, 5_000, 40_000]),
    ),
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.builds(pow, st.just(10), st.just(5000)),  # has no str(): int-to-str conversion is limited to 4,300 digits
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3), max_leaves=6
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The strategy, or null, or any value of the wrong type."""
    return st.one_of(strategy, strategy, st.none(), value)


def with_replacements(base: dict[str, Any], paths: list[tuple[str, ...]]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some of ``paths`` set to hostile values (nulls, wrong types, surrogates, huge text)."""

    def build(choices: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(base))
        for path, new in choices:
            target = event
            for key in path[:-1]:
                if not isinstance(target, dict):
                    break
                target = target.setdefault(key, {}) if isinstance(target.get(key), dict | None) else target[key]
            if isinstance(target, dict):
                target[path[-1]] = new
        return event

    return st.lists(st.tuples(st.sampled_from(paths), maybe(hostile_text)), max_size=6).map(build)


ROUTE_BASE = connect_event(
    dialed="+18005550100",
    caller="+12125550187",
    attributes={"ivr_choice": "5", "crm_segment": "gold"},
    parameters={"entry_key": "cards_main"},
    contact_id="00000000-0000-4000-8000-000000000000",
)
# Fields the decision echoes come twice: that is where a hostile value reaches the reply.
ROUTE_PATHS = [
    ("Details", "Parameters", "transfer_queue_key"),
    ("Details", "ContactData", "InstanceARN"),
    ("Details", "ContactData", "Attributes", "classification"),
    ("Details",),
    ("Details", "ContactData"),
    ("Details", "Parameters"),
    ("Details", "Parameters", "transfer_queue_key"),
    ("Details", "Parameters", "entry_key"),
    ("Details", "ContactData", "ContactId"),
    ("Details", "ContactData", "Channel"),
    ("Details", "ContactData", "InitiationMethod"),
    ("Details", "ContactData", "InstanceARN"),
    ("Details", "ContactData", "LanguageCode"),
    ("Details", "ContactData", "Attributes"),
    ("Details", "ContactData", "Attributes", "classification"),
    ("Details", "ContactData", "Attributes", "ivr_choice"),
    ("Details", "ContactData", "CustomerEndpoint"),
    ("Details", "ContactData", "CustomerEndpoint", "Address"),
    ("Details", "ContactData", "SystemEndpoint"),
    ("Details", "ContactData", "SystemEndpoint", "Address"),
    ("Details", "ContactData", "Queue"),
]
route_events = st.one_of(
    with_replacements(ROUTE_BASE, ROUTE_PATHS),
    st.dictionaries(hostile_text, value, max_size=3),
    value,
)

OUTCOME_BASE = contact_event(
    "DISCONNECTED", "c-fuzz", at=40, queued_at=10, disconnected_at=40, tags=dict(DECISION_TAGS)
)
OUTCOME_PATHS = [
    ("id",),
    ("source",),
    ("detail-type",),
    ("time",),
    ("detail",),
    ("detail", "contactId"),
    ("detail", "eventType"),
    ("detail", "channel"),
    ("detail", "initiationMethod"),
    ("detail", "previousContactId"),
    ("detail", "disconnectReason"),
    ("detail", "disconnectTimestamp"),
    ("detail", "initiationTimestamp"),
    ("detail", "queueInfo"),
    ("detail", "queueInfo", "queueArn"),
    ("detail", "queueInfo", "enqueueTimestamp"),
    ("detail", "agentInfo"),
    ("detail", "tags"),
    ("detail", "tags", "trunkline:lob"),
    ("detail", "tags", "trunkline:rule"),
]
outcome_events = st.one_of(
    with_replacements(OUTCOME_BASE, OUTCOME_PATHS),
    st.dictionaries(hostile_text, value, max_size=3),
    value,
)


# --- the handlers, with in-memory dependencies ---------------------------------------------------------------


@pytest.fixture(scope=shared("module"))
def route_handler(_sample_document_once: dict[str, Any]) -> Iterator[Any]:
    from route import handler
    from routing.config.cache import ConfigCache
    from routing.config.memory_store import InMemoryConfigStore
    from routing.config.publishing import publish_document
    from routing.route.service import RouteService

    store = InMemoryConfigStore()
    publish_document(store, _sample_document_once, actor="t", summary="s")
    # Tuesday morning: every sample line is open, so events reach the rules, fallbacks and callbacks
    open_hours = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    cache = ConfigCache(store, refresh_seconds=3600)
    handler.set_service(RouteService(cache, default_queue_id="dq", clock=lambda: open_hours))
    yield handler
    handler.set_service(None)


class DynamoLikeCallLogStore(InMemoryCallLogStore):
    """The in-memory call log, but every write is encoded as UTF-8 JSON first, as DynamoDB's wire format is."""

    def apply(self, event: ContactEvent, *, expires_at: float) -> StoredRecord | None:
        json.dumps({"pk": event.contact_id, "slot": event.slot()}, ensure_ascii=False).encode("utf-8")
        return super().apply(event, expires_at=expires_at)

    def claim(self, contact_id: str, outcome: str) -> bool:
        json.dumps({"pk": contact_id, "counted": outcome}, ensure_ascii=False).encode("utf-8")
        return super().claim(contact_id, outcome)


@pytest.fixture(scope=shared("module"))
def outcomes_handler() -> Iterator[Any]:
    from outcomes import handler

    handler.set_service(OutcomeService(DynamoLikeCallLogStore()))
    yield handler
    handler.set_service(None)


def check_route(handler: Any, event: Any) -> None:
    reply = handler.lambda_handler(event, None)
    assert_reply_contract(reply)  # flat str map, keys [A-Za-z0-9_-], UTF-8 JSON < 32,000 bytes, status, …
    assert isinstance(reply["status"], str)
    json.dumps(reply, ensure_ascii=False).encode("utf-8")  # every value encodable


def check_outcome(handler: Any, event: Any) -> None:
    result = handler.lambda_handler(event, None)
    assert result["result"] in {r.value for r in EventResult}


# --- the tests -----------------------------------------------------------------------------------------------


@FAST
@given(event=route_events)
def test_route_handler_keeps_the_contract_for_hostile_events(route_handler: Any, event: Any) -> None:
    check_route(route_handler, event)


@FAST
@given(event=outcome_events)
def test_outcomes_handler_never_raises_for_hostile_events(outcomes_handler: Any, event: Any) -> None:
    check_outcome(outcomes_handler, event)


@pytest.mark.slow
@SLOW
@given(event=route_events)
def test_route_handler_fuzz_10000(route_handler: Any, event: Any) -> None:
    check_route(route_handler, event)


@pytest.mark.slow
@SLOW
@given(event=outcome_events)
def test_outcomes_handler_fuzz_10000(outcomes_handler: Any, event: Any) -> None:
    check_outcome(outcomes_handler, event)


@pytest.mark.parametrize(
    "event",
    [
        {"Details": {"ContactData": {"ContactId": "\ud800", "LanguageCode": "\udfff" * 40_000}}},
        {"Details": {"Parameters": {"transfer_queue_key": "q" * 100_000}, "ContactData": {"InstanceARN": "a" * 10**5}}},
        {"Details": {"ContactData": {"Attributes": {"\ud800": "\ud800", "classification": "\ud800"}}}},
        {"Details": {"ContactData": {"CustomerEndpoint": {"Address": 10**5000}}}},
        {"Details": {"ContactData": {"Channel": math.nan}}},
        {"Details": None},
        None,
    ],
)
def test_route_handler_known_hostile_events(route_handler: Any, event: Any) -> None:
    check_route(route_handler, event)


def test_a_well_formed_outcome_event_is_applied_unchanged(outcomes_handler: Any) -> None:
    assert outcomes_handler.lambda_handler(contact_event("INITIATED", "fuzz-ok"), None) == {"result": "applied"}
    assert INSTANCE_ARN  # the events above come from the same helpers the outcome tests use
