"""Contact records on the call-log table (moto): the RECORD slot's conditional write, the index the hourly
reconciliation reads, and events and records in any order giving the in-memory store's record."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from routing.outcomes.call_log import Outcome, summarize
from routing.outcomes.events import parse_event
from routing.outcomes.records import parse_record
from routing.outcomes.store import DynamoCallLogStore, InMemoryCallLogStore
from tests.conftest import shared
from tests.outcome_events import abandoned_call
from tests.outcome_records import contact_record
from trunkline.embedded import fake_aws_env

REGION = "us-east-1"


@pytest.fixture(scope=shared("module"))
def store() -> Iterator[DynamoCallLogStore]:
    from moto import mock_aws

    from routing.common.models import CallLogItem, bind_model

    with fake_aws_env(), mock_aws():
        bind_model(CallLogItem, table_name="call-log-records-it", region=REGION)
        CallLogItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        yield DynamoCallLogStore("call-log-records-it", region=REGION)


def test_records_and_events_in_any_order_match_the_in_memory_store(store: DynamoCallLogStore) -> None:
    writes = [parse_event(e) for e in abandoned_call("m-1")]
    writes += [
        parse_record(contact_record("m-1", updated=u, queued_at=10, disconnected_at=105, reason=r))
        for u, r in ((120, "CUSTOMER_DISCONNECT"), (900, "CONTACT_FLOW_DISCONNECT"))
    ]
    writes = writes + writes[:3]
    random.Random(7).shuffle(writes)
    memory = InMemoryCallLogStore()
    for write in writes:
        store.apply(write, expires_at=2e9)
        memory.apply(write, expires_at=2e9)
    stored, expected = store.get("m-1"), memory.get("m-1")
    assert stored is not None
    assert expected is not None
    assert stored.slots == expected.slots
    assert summarize("m-1", stored.slots).outcome is Outcome.ENDED_BY_SYSTEM  # the newest record is the authority


def test_the_hour_index_returns_the_contacts_that_ended_in_that_hour(store: DynamoCallLogStore) -> None:
    store.apply(parse_record(contact_record("h-1", updated=400, queued_at=10, disconnected_at=300)), expires_at=2e9)
    store.apply(parse_record(contact_record("h-2", updated=4000, queued_at=10, disconnected_at=3700)), expires_at=2e9)
    assert {r.contact_id for r in store.ended_in("2026-12-02T10")} >= {"h-1"}
    assert "h-2" not in {r.contact_id for r in store.ended_in("2026-12-02T10")}
    assert {r.contact_id for r in store.ended_in("2026-12-02T11")} == {"h-2"}
