"""The contact-records consumer: a Kinesis batch through the real handler, with partial-failure reporting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import contact_records.handler as handler
import pytest

from routing.outcomes.call_log import Outcome, summarize
from routing.outcomes.events import ContactEvent
from routing.outcomes.service import OutcomeService
from routing.outcomes.store import InMemoryCallLogStore, StoredRecord
from tests.outcome_records import CUSTOMER, contact_record, encoded, kinesis_event


class BrokenFor(InMemoryCallLogStore):
    """A call log whose writes fail for some contacts (a DynamoDB outage seen by one partition)."""

    def __init__(self, *broken: str) -> None:
        super().__init__()
        self.broken = set(broken)

    def apply(self, event: ContactEvent, *, expires_at: float) -> StoredRecord | None:
        if event.contact_id in self.broken:
            raise ConnectionError("DynamoDB unreachable")
        return super().apply(event, expires_at=expires_at)


@pytest.fixture
def store() -> Iterator[BrokenFor]:
    broken = BrokenFor("c-3")
    handler.set_service(OutcomeService(broken))
    yield broken
    handler.set_service(None)


def test_only_the_record_the_store_failed_is_reported_and_the_rest_land(store: BrokenFor, lambda_logs: Any) -> None:
    batch = kinesis_event(
        encoded(contact_record("c-1", updated=120, queued_at=10, disconnected_at=105)),
        b"{not json",
        encoded(contact_record("c-3", updated=120, queued_at=10, answered_at=20)),
        encoded(contact_record("c-4", updated=120, queued_at=10, answered_at=20)),
    )
    response = handler.lambda_handler(batch, None)
    # Lambda retries from sequence 3 (and bisects); the malformed record is dropped: a retry cannot fix it.
    assert response == {"batchItemFailures": [{"itemIdentifier": "3"}]}
    landed = {r.contact_id: summarize(r.contact_id, r.slots).outcome for r in store.scan()}
    assert landed == {"c-1": Outcome.ABANDONED, "c-4": Outcome.ANSWERED}
    logs = lambda_logs.getvalue()
    assert "contact record rejected" in logs
    assert CUSTOMER not in logs
    assert "{not json" not in logs


def test_a_batch_that_fully_lands_reports_no_failure(store: BrokenFor) -> None:
    batch = kinesis_event(encoded(contact_record("c-1", updated=120, queued_at=10, disconnected_at=105)))
    assert handler.lambda_handler(batch, None) == {"batchItemFailures": []}
    assert handler.lambda_handler(batch, None) == {"batchItemFailures": []}  # the retry of a landed batch
    assert [r.contact_id for r in store.scan()] == ["c-1"]
