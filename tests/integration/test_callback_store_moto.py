"""The callback table's transaction on moto: the race, idempotent retries, another number, the cap, the window."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from routing.callback import CallbackRequest, CallbackStatus
from routing.data.callback_store import DynamoCallbackStore
from trunkline.embedded import fake_aws_env

NOW = 1_800_000_000.0


@pytest.fixture
def store() -> Iterator[DynamoCallbackStore]:
    from moto import mock_aws

    from routing.data.models import CallbackItem

    with fake_aws_env(), mock_aws():
        s = DynamoCallbackStore("callbacks-test", region="us-east-1")
        CallbackItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        yield s


def _req(
    contact: str, number: str = "+12125550187", *, cap: int = 500, queue: str = "cards_general"
) -> CallbackRequest:
    return CallbackRequest(contact, queue, number, "standard", window_seconds=3600, max_open=cap)


def test_one_hundred_concurrent_duplicates_create_exactly_one(
    store: DynamoCallbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto's in-process backend is not thread-safe (it can fail with "dictionary changed size during iteration");
    # DynamoDB executes each transaction atomically, so serialize requests at the wire, as DynamoDB does per item.
    # The 100 callers still interleave freely between requests: no read-then-write window can be exploited.
    import threading

    from pynamodb.connection.base import Connection

    wire = threading.Lock()
    original = Connection._make_api_call

    def serialized(self: Connection, *args: object, **kwargs: object) -> object:
        with wire:
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Connection, "_make_api_call", serialized)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda i: store.create(_req(f"c{i}"), now=NOW), range(100)))
    assert statuses.count(CallbackStatus.CREATED) == 1
    assert statuses.count(CallbackStatus.DUPLICATE) == 99


def test_answer_is_remembered_and_window_ends_the_lock(store: DynamoCallbackStore) -> None:
    assert store.create(_req("c1"), now=NOW) is CallbackStatus.CREATED
    answer = store.answer_for("c1")
    assert answer is not None
    assert (answer.status, answer.number, answer.profile) == (CallbackStatus.CREATED, "+12125550187", "standard")
    assert store.create(_req("c2"), now=NOW + 3599) is CallbackStatus.DUPLICATE
    assert store.create(_req("c3"), now=NOW + 3601) is CallbackStatus.CREATED  # TTL may lag; the condition doesn't


def test_release_frees_the_number_and_the_count(store: DynamoCallbackStore) -> None:
    assert store.create(_req("c1", cap=1), now=NOW) is CallbackStatus.CREATED
    assert store.create(_req("c2", "+12125550188", cap=1), now=NOW) is CallbackStatus.QUEUE_FULL
    store.release("c1", now=NOW + 5)
    assert store.answer_for("c1") is None
    assert store.create(_req("c2", "+12125550188", cap=1), now=NOW + 6) is CallbackStatus.CREATED
    assert store.create(_req("c4", cap=2), now=NOW + 7) is CallbackStatus.CREATED  # the first number is free again


def test_cap_counts_per_queue(store: DynamoCallbackStore) -> None:
    statuses = [store.create(_req(f"c{i}", f"+1212555010{i}", cap=3), now=NOW) for i in range(5)]
    assert statuses == [CallbackStatus.CREATED] * 3 + [CallbackStatus.QUEUE_FULL] * 2
    assert store.create(_req("x", "+12125550199", cap=3, queue="cards_balance"), now=NOW) is CallbackStatus.CREATED
