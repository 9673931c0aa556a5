"""The call-log table on moto: the conditional write converges like the in-memory model, outcomes are claimed once,
and the ``outcomes`` handler runs end to end (environment, tables, callback release, retries on store errors)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.callback.request import CallbackRequest, CallbackStatus, ConfirmOutcome, NumberHasher
from routing.outcomes.call_log import Outcome, summarize
from routing.outcomes.events import parse_event
from routing.outcomes.store import DynamoCallLogStore, InMemoryCallLogStore
from tests.conftest import shared
from tests.outcome_events import DECISION_TAGS, abandoned_call, answered_call, contact_event
from trunkline.embedded import fake_aws_env

REGION = "us-east-1"
NOW = 1_800_000_000.0


@pytest.fixture(scope=shared("module"))
def tables() -> Iterator[dict[str, str]]:
    from moto import mock_aws

    from routing.common.models import CallbackItem, CallLogItem, bind_model

    with fake_aws_env(), mock_aws():
        bind_model(CallLogItem, table_name="call-log-it", region=REGION)
        CallLogItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        bind_model(CallbackItem, table_name="callbacks-it", region=REGION)
        CallbackItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        yield {"call_log": "call-log-it", "callbacks": "callbacks-it"}


@pytest.fixture(scope=shared("module"))
def store(tables: dict[str, str]) -> DynamoCallLogStore:
    return DynamoCallLogStore(tables["call_log"], region=REGION)


_COUNTER = iter(range(10**9))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), duplicates=st.integers(0, 6))
def test_the_table_converges_to_the_in_memory_record_in_any_order(
    store: DynamoCallLogStore, seed: int, duplicates: int
) -> None:
    contact = f"prop-{next(_COUNTER)}"
    rng = random.Random(seed)
    events = answered_call(contact, wait=rng.choice([5.0, 40.0, 400.0]))
    events.append(
        contact_event("QUEUED", contact, at=20, queued_at=20, tags={**DECISION_TAGS, "trunkline:lob": "fraud"})
    )
    events += [rng.choice(events) for _ in range(duplicates)]
    rng.shuffle(events)
    memory = InMemoryCallLogStore()
    for envelope in events:
        event = parse_event(envelope)
        assert (store.apply(event, expires_at=NOW) is None) == (memory.apply(event, expires_at=NOW) is None)
    stored, expected = store.get(contact), memory.get(contact)
    assert stored is not None
    assert expected is not None
    assert stored.slots == expected.slots
    assert summarize(contact, stored.slots) == summarize(contact, expected.slots)


def test_claim_is_once_and_the_record_expires(store: DynamoCallLogStore) -> None:
    from routing.common.models import CallLogItem

    assert not store.claim("nobody", "ANSWERED")  # no record: nothing to claim
    for envelope in abandoned_call("claim-1"):
        store.apply(parse_event(envelope), expires_at=NOW + 86_400)
    assert store.claim("claim-1", "ABANDONED")
    assert not store.claim("claim-1", "ABANDONED")
    item = CallLogItem.get("claim-1")
    assert item.counted == "ABANDONED"
    assert item.expires_at is not None
    assert int(item.expires_at.timestamp()) == int(NOW + 86_400)
    record = store.get("claim-1")
    assert record is not None
    assert record.counted == "ABANDONED"
    assert "claim-1" in {r.contact_id for r in store.scan()}


@pytest.fixture
def handler(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from outcomes import handler as module

    monkeypatch.setenv("CALL_LOG_TABLE_NAME", tables["call_log"])
    monkeypatch.setenv("CALLBACK_TABLE_NAME", tables["callbacks"])
    monkeypatch.setenv("CALL_LOG_TTL_DAYS", "30")
    module.set_service(None)
    yield module
    module.set_service(None)


def test_the_handler_logs_outcomes_and_frees_a_finished_callbacks_number(
    handler: Any, tables: dict[str, str], lambda_logs: Any
) -> None:
    from routing.callback.store import DynamoCallbackStore

    callbacks = DynamoCallbackStore(tables["callbacks"], region=REGION)
    digest = NumberHasher("call-log-test-callback-number-key-0123456789").digest("+12125550187")
    request = CallbackRequest("h-parent", "collections_early", digest, "standard", 3600, 10)
    assert callbacks.reserve(request, now=NOW) is CallbackStatus.RESERVED
    assert callbacks.confirm("h-parent", request, now=NOW + 1) is ConfirmOutcome.CONFIRMED
    again = CallbackRequest("h-other", "collections_early", digest, "standard", 3600, 10)
    assert callbacks.reserve(again, now=NOW + 400) is CallbackStatus.DUPLICATE  # confirmed: past the reservation

    tags = {**DECISION_TAGS, "trunkline:lob": "collections", "trunkline:callback": "requested"}
    kw: dict[str, Any] = {"initiation_method": "CALLBACK", "previous_contact_id": "h-parent", "queued_at": 100.0}
    events = [
        contact_event("INITIATED", "h-parent"),
        contact_event("DISCONNECTED", "h-parent", at=40, disconnected_at=40, tags=tags),
        contact_event("QUEUED", "h-callback", at=100, **kw),
        contact_event("DISCONNECTED", "h-callback", at=400, disconnected_at=400, **kw),
    ]
    results = [handler.lambda_handler(e, None)["result"] for e in events + events]
    assert results == ["applied"] * 4 + ["stale"] * 4
    # The callback ended (failed: nobody answered), so the number may ask again.
    assert callbacks.reserve(again, now=NOW + 600) is CallbackStatus.RESERVED
    outcomes = [json.loads(x) for x in lambda_logs.getvalue().splitlines() if '"contact outcome"' in x]
    assert [(o["contact_id"], o["outcome"], o["line_of_business"]) for o in outcomes] == [
        ("h-parent", Outcome.CALLBACK_REQUESTED.value, "collections"),
        ("h-callback", Outcome.CALLBACK_FAILED.value, "collections"),
    ]
    assert all(o.get("correlation_id") in ("h-parent", "h-callback") for o in outcomes)


def test_a_store_error_raises_so_the_event_is_retried(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    def failing(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, operation)

    monkeypatch.setattr(BaseClient, "_make_api_call", failing)
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        handler.lambda_handler(contact_event("INITIATED", "err-1"), None)
    monkeypatch.undo()


def test_the_handler_refuses_to_start_without_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from outcomes import handler as module

    from routing.common.settings import SettingsError

    monkeypatch.delenv("CALL_LOG_TABLE_NAME", raising=False)
    module.set_service(None)
    with pytest.raises(SettingsError, match="CALL_LOG_TABLE_NAME"):
        module.lambda_handler(contact_event("INITIATED"), None)
    module.set_service(None)


@pytest.mark.parametrize(
    "where",
    ["contactId", "eventType", "channel", "disconnectReason", "tag", "id"],
)
def test_an_event_with_a_lone_surrogate_is_logged_and_dropped_not_retried_forever(
    handler: Any, lambda_logs: Any, where: str
) -> None:
    # Given an event with half a surrogate pair ("\ud800" in its JSON) in a field the call log keeps
    event = contact_event("DISCONNECTED", f"sur-{where}", at=40, disconnected_at=40, tags=dict(DECISION_TAGS))
    bad = "x\ud800y"
    if where == "tag":
        event["detail"]["tags"]["trunkline:rule"] = bad
    elif where == "id":
        event["id"] = bad
    else:
        event["detail"][where] = bad
    # When the outcomes function gets it (on moto: before the fix the table write raised, and Lambda retried it
    # into the dead-letter queue, from which a replay failed again)
    result = handler.lambda_handler(event, None)
    # Then it is rejected, logged as such, and the log is valid UTF-8 JSON with no raw surrogate
    assert result == {"result": "rejected"}
    lines = lambda_logs.getvalue().splitlines()
    rejected = [json.loads(x) for x in lines if '"contact event rejected"' in x]
    assert rejected
    assert "not valid Unicode" in rejected[-1]["reason"]
    lambda_logs.getvalue().encode("utf-8")
    # and a well-formed event still lands
    good = contact_event("DISCONNECTED", f"ok-{where}", at=40, disconnected_at=40, tags=dict(DECISION_TAGS))
    assert handler.lambda_handler(good, None) == {"result": "applied"}
