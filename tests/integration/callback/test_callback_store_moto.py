"""The callback table's transactions on moto: the race, the two phases, idempotent retries, another number, the
cap and its shards, the window, hashed keys, conflicts (stubbed: moto cannot produce them), one client."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from routing.callback.request import CallbackRequest, CallbackStatus, ConfirmOutcome, NumberHasher
from routing.callback.store import DynamoCallbackStore
from trunkline.embedded import fake_aws_env

NOW = 1_800_000_000.0
HASHER = NumberHasher("moto-test-callback-number-key-0123456789")
NUMBER = "+12125550187"


@pytest.fixture
def store() -> Iterator[DynamoCallbackStore]:
    from moto import mock_aws

    from routing.common.models import CallbackItem

    with fake_aws_env(), mock_aws():
        s = DynamoCallbackStore("callbacks-test", region="us-east-1", rng=random.Random(7))
        CallbackItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        yield s


def _req(contact: str, number: str = NUMBER, *, cap: int = 500, queue: str = "cards_general") -> CallbackRequest:
    return CallbackRequest(contact, queue, HASHER.digest(number), "standard", window_seconds=3600, max_open=cap)


def _items() -> dict[str, dict[str, Any]]:
    from routing.common.models import CallbackItem

    return {item.pk: item.attribute_values for item in CallbackItem.scan()}


@pytest.fixture
def serialized(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's in-process backend is not thread-safe (it can fail with "dictionary changed size during iteration");
    # DynamoDB executes each transaction atomically, so serialize requests at the wire, as DynamoDB does per item.
    # The callers still interleave freely between requests: no read-then-write window can be exploited.
    from pynamodb.connection.base import Connection

    wire = threading.Lock()
    original = Connection._make_api_call

    def call(self: Connection, *args: object, **kwargs: object) -> object:
        with wire:
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Connection, "_make_api_call", call)


def test_one_hundred_concurrent_duplicates_reserve_exactly_one(store: DynamoCallbackStore, serialized: None) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda i: store.reserve(_req(f"c{i}"), now=NOW), range(100)))
    assert statuses.count(CallbackStatus.RESERVED) == 1
    assert statuses.count(CallbackStatus.DUPLICATE) == 99


def test_concurrent_callers_on_one_queue_never_exceed_the_cap(store: DynamoCallbackStore, serialized: None) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(
            pool.map(lambda i: store.reserve(_req(f"c{i}", f"+1212555{i:04d}", cap=10), now=NOW), range(40))
        )
    assert statuses.count(CallbackStatus.RESERVED) == 10
    assert statuses.count(CallbackStatus.QUEUE_FULL) == 30


def test_a_reservation_lapses_a_confirmed_lock_lasts_the_window(store: DynamoCallbackStore) -> None:
    assert store.reserve(_req("c1"), now=NOW) is CallbackStatus.RESERVED
    answer = store.answer_for("c1")
    assert answer is not None
    assert (answer.state, answer.number_hash, answer.profile) == ("RESERVED", HASHER.digest(NUMBER), "standard")
    assert store.reserve(_req("c2"), now=NOW + 299) is CallbackStatus.DUPLICATE
    assert store.reserve(_req("c2"), now=NOW + 301) is CallbackStatus.RESERVED  # TTL may lag; the condition doesn't
    assert store.confirm("c2", _req("c2"), now=NOW + 302) is ConfirmOutcome.CONFIRMED
    assert store.reserve(_req("c3"), now=NOW + 302 + 3599) is CallbackStatus.DUPLICATE
    assert store.reserve(_req("c3"), now=NOW + 302 + 3601) is CallbackStatus.RESERVED


def test_confirm_is_idempotent_and_adopts_a_lapsed_reservation(store: DynamoCallbackStore) -> None:
    store.reserve(_req("c1"), now=NOW)
    assert store.confirm("c1", _req("c1"), now=NOW + 1) is ConfirmOutcome.CONFIRMED
    before = _items()
    assert store.confirm("c1", _req("c1"), now=NOW + 2) is ConfirmOutcome.CONFIRMED  # a Connect retry
    assert _items() == before
    # Never reserved: the callback exists, so the number is locked if free, counted whatever the cap.
    assert store.confirm("c2", _req("c2", "+12125550188", cap=1), now=NOW) is ConfirmOutcome.ADOPTED
    assert store.reserve(_req("c3", "+12125550188"), now=NOW + 10) is CallbackStatus.DUPLICATE
    # Lapsed and taken by another contact: nothing to lock, the other hold untouched.
    store.reserve(_req("c4", "+12125550199"), now=NOW)
    assert store.reserve(_req("c5", "+12125550199"), now=NOW + 301) is CallbackStatus.RESERVED
    assert store.confirm("c4", _req("c4", "+12125550199"), now=NOW + 302) is ConfirmOutcome.UNLOCKED
    lock = f"LOCK#cards_general#{HASHER.digest('+12125550199')}"
    assert _items()[lock]["contact_id"] == "c5"


def test_release_frees_the_number_and_the_count_and_keeps_a_confirmed_callback(store: DynamoCallbackStore) -> None:
    assert store.reserve(_req("c1", cap=1), now=NOW) is CallbackStatus.RESERVED
    assert store.reserve(_req("c2", "+12125550188", cap=1), now=NOW) is CallbackStatus.QUEUE_FULL
    assert store.release("c1", keep_confirmed=True) is True
    assert store.answer_for("c1") is None
    assert store.release("c1", keep_confirmed=True) is True  # idempotent
    assert store.reserve(_req("c2", "+12125550188", cap=1), now=NOW + 6) is CallbackStatus.RESERVED
    assert store.reserve(_req("c4", cap=2), now=NOW + 7) is CallbackStatus.RESERVED  # the first number is free again
    store.confirm("c4", _req("c4", cap=2), now=NOW + 8)
    assert store.release("c4", keep_confirmed=True) is False  # the flow never drops a real callback
    assert store.reserve(_req("c5", cap=9), now=NOW + 10) is CallbackStatus.DUPLICATE
    assert store.release("c4") is True  # the outcome function does, when the callback ends
    assert store.reserve(_req("c5", cap=9), now=NOW + 12) is CallbackStatus.RESERVED


def test_release_after_the_lock_lapsed_and_moved_still_frees_the_cap_slot(store: DynamoCallbackStore) -> None:
    assert store.reserve(_req("c1", cap=1), now=NOW) is CallbackStatus.RESERVED
    assert store.reserve(_req("c2", cap=2), now=NOW + 301) is CallbackStatus.RESERVED  # took c1's lapsed lock
    store.release("c1")
    lock = f"LOCK#cards_general#{HASHER.digest(NUMBER)}"
    assert _items()[lock]["contact_id"] == "c2"  # not c1's to delete
    assert sum(int(v.get("open_count", 0)) for k, v in _items().items() if k.startswith("CAP#")) == 1


def test_cap_counts_per_queue_across_shards(store: DynamoCallbackStore) -> None:
    statuses = [store.reserve(_req(f"c{i}", f"+1212555010{i}", cap=3), now=NOW) for i in range(5)]
    assert statuses == [CallbackStatus.RESERVED] * 3 + [CallbackStatus.QUEUE_FULL] * 2
    assert store.reserve(_req("x", "+12125550199", cap=3, queue="cards_balance"), now=NOW) is CallbackStatus.RESERVED
    # A cap of 10 over 4 shards: exactly 10 admitted, spread over several counters, none above its share.
    statuses = [store.reserve(_req(f"d{i}", f"+1212555020{i:02d}", cap=10, queue="q"), now=NOW) for i in range(14)]
    assert statuses.count(CallbackStatus.RESERVED) == 10
    caps = {k: int(v["open_count"]) for k, v in _items().items() if k.startswith("CAP#q#")}
    assert sorted(caps.values()) == [2, 2, 3, 3]


def test_no_item_holds_the_raw_number(store: DynamoCallbackStore) -> None:
    store.reserve(_req("c1"), now=NOW)
    store.confirm("c1", _req("c1"), now=NOW + 1)
    store.reserve(_req("c2", "+12125550188"), now=NOW)
    dump = repr(_items())
    assert "2125550187" not in dump
    assert "2125550188" not in dump
    assert f"LOCK#cards_general#{HASHER.digest(NUMBER)}" in dump


def _conflict(times: int, monkeypatch: pytest.MonkeyPatch, reasons: list[str] | None = None) -> list[str]:
    """Fail the next ``times`` TransactWriteItems with DynamoDB's cancellation for a conflicting transaction."""
    from botocore.exceptions import ClientError
    from pynamodb.connection.base import Connection

    calls: list[str] = []
    original = Connection._make_api_call

    def call(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if operation == "TransactWriteItems":
            calls.append(operation)
            if len(calls) <= times:
                codes = reasons or ["None", "None", "TransactionConflict"]
                error = {
                    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                    "CancellationReasons": [{"Code": c} for c in codes],
                }
                try:
                    raise ClientError(error, operation)  # type: ignore[arg-type]
                except ClientError:
                    # Through PynamoDB's own translation, as a real cancellation would go.
                    self.client._make_api_call = _raise(error, operation)  # type: ignore[method-assign]
                    try:
                        return original(self, operation, kwargs)
                    finally:
                        del self.client._make_api_call
        return original(self, operation, kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", call)
    return calls


def _raise(error: dict[str, Any], operation: str) -> Any:
    from botocore.exceptions import ClientError

    def fail(*_: object, **__: object) -> None:
        raise ClientError(error, operation)  # type: ignore[arg-type]

    return fail


def test_a_transaction_conflict_is_retried_not_an_error(
    store: DynamoCallbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(store, "_sleep", slept.append)
    calls = _conflict(2, monkeypatch)
    assert store.reserve(_req("c1"), now=NOW) is CallbackStatus.RESERVED
    assert len(calls) == 3
    assert len(slept) == 2
    assert all(0 <= s <= 0.1 for s in slept)  # jittered, bounded backoff


def test_conflicts_beyond_the_bound_raise_for_an_error_reply(
    store: DynamoCallbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynamodb.exceptions import TransactWriteError

    monkeypatch.setattr(store, "_sleep", lambda _: None)
    calls = _conflict(10, monkeypatch)
    with pytest.raises(TransactWriteError):
        store.reserve(_req("c1"), now=NOW)
    assert len(calls) == 4  # 1 + CONFLICT_RETRIES, then the service answers ERROR


def test_a_condition_failure_is_never_retried(store: DynamoCallbackStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "_sleep", lambda _: None)
    calls = _conflict(1, monkeypatch, reasons=["ConditionalCheckFailed", "None", "TransactionConflict"])
    assert store.reserve(_req("c1"), now=NOW) is CallbackStatus.DUPLICATE
    assert len(calls) == 1


def test_one_botocore_client_per_container(store: DynamoCallbackStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.session

    created: list[str] = []
    original = botocore.session.Session.create_client

    def counting(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        created.append(str(args[:1]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    for i in range(5):
        store.reserve(_req(f"c{i}", f"+1212555030{i}"), now=NOW)
        store.confirm(f"c{i}", None, now=NOW)
        store.release(f"c{i}")
    assert len(created) <= 1  # at most the first use; never one per transaction


def test_sdk_debug_logs_stay_silent(store: DynamoCallbackStore, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        store.reserve(_req("c1"), now=NOW)
        store.confirm("c1", None, now=NOW)
    sdk = [r for r in caplog.records if r.name.split(".")[0] in ("botocore", "pynamodb", "urllib3", "boto3")]
    assert not [r for r in sdk if r.levelno < logging.INFO], sdk[:3]


@pytest.mark.parametrize(("left_after_first", "attempts"), [(5.0, 3), (0.05, 1)], ids=["time-left", "out-of-time"])
def test_a_conflict_retry_is_made_only_if_it_fits_in_the_calls_deadline(
    store: DynamoCallbackStore, monkeypatch: pytest.MonkeyPatch, left_after_first: float, attempts: int
) -> None:
    """Issue 12: with the per-call ``StoreGate``, ``may_retry`` refuses a retry whose backoff plus one more request
    would overrun the deadline: the conflict becomes ERROR at once instead of a wait the deadline would cut."""
    from pynamodb.exceptions import TransactWriteError

    from routing.common.deadline import StoreGate

    calls = _conflict(2, monkeypatch)
    budget = 10.0
    # The clock jumps to (budget - left) once the first transaction was cancelled.
    gate = StoreGate(budget_seconds=budget, clock=lambda: 0.0 if not calls else budget - left_after_first)
    timed = DynamoCallbackStore("callbacks-test", region="us-east-1", rng=random.Random(7), gate=gate)
    slept: list[float] = []
    monkeypatch.setattr(timed, "_sleep", slept.append)
    with gate.call():
        if attempts == 1:
            with pytest.raises(TransactWriteError):
                timed.reserve(_req("c1"), now=NOW)
        else:
            assert timed.reserve(_req("c1"), now=NOW) is CallbackStatus.RESERVED
    assert (len(calls), len(slept)) == (attempts, attempts - 1)
    assert gate.stats.requests == attempts  # every attempt ran under the call's deadline
