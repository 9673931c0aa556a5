"""The callback handler against DynamoDB endpoints that misbehave (stub servers on localhost, never AWS): a socket
that accepts and never answers, a refused port, HTTP 500, throttling, a gray failure (every other request hangs) —
for a cold container (nothing in memory) and a warm one. What is asserted: the reply (``ERROR``: the flow keeps the
caller in queue and releases nothing), that no write was sent once the call was out of time (nothing
half-written), and what stopped the wait (the ``StoreGate`` counters and state), with one loose sanity bound."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import callback.handler as handler
import pytest

from routing.callback.service import CallbackService
from routing.common.deadline import BUSY, CLOSED, OPEN, StoreGate
from tests.integration.route.test_route_handler import write_baked
from trunkline.contacts import connect_event
from trunkline.fault_endpoints import FakeDynamo, dynamo_endpoint

# The production default. A hang is cut whatever the budget; what must finish inside it (a fast failure, a healthy
# read) needs headroom on a loaded CI machine: at 300 ms a localhost throttle answer ran out of budget under load.
BUDGET_MS = 1000
SANITY_SECONDS = 3 * BUDGET_MS / 1000  # loose: a regression to socket timeouts x retries would still be caught
KEY = "test-only-callback-number-key-0123456789"
FAST_FAILURES = ["refused", "http500", "throttle"]


@pytest.fixture
def fault_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sample_document: dict[str, Any]) -> Iterator[Path]:
    """The callback function's environment with the default 1 s store budget, the baked config and fake credentials."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "CONFIG_TABLE_NAME": "trunkline-config-faults",
        "CALLBACK_TABLE_NAME": "trunkline-callbacks-faults",
        "CALLBACK_NUMBER_KEY": KEY,
        "CONFIG_REFRESH_SECONDS": "0",  # every invocation checks the pointer: the config read is on every call
        "CONFIG_RETRY_SECONDS": "30",  # the breaker stays open 30 s after a deadline expiry
        "STORE_BUDGET_MS": str(BUDGET_MS),
        "BAKED_CONFIG_PATH": str(write_baked(tmp_path / "baked.json", sample_document)),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield tmp_path
    handler.set_service(None)


def cold_container(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> StoreGate:
    """A new execution environment pointed at ``endpoint``: init builds the service, nothing is in memory."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    service = handler.build_service()
    handler.set_service(service)
    assert isinstance(service, CallbackService)
    gate = service.store_gate
    assert gate is not None
    return gate


def invoke(contact_id: str, action: str | None = None) -> tuple[dict[str, str], float]:
    params = {"queue_key": "cards_general", "callback_number": "(212) 555-0187"}
    if action:
        params["action"] = action
    event = connect_event(dialed="+18005550100", caller="+13125550100", parameters=params, contact_id=contact_id)
    started = time.perf_counter()
    reply = handler.lambda_handler(event, None)
    elapsed = time.perf_counter() - started
    assert set(reply) == {"callback_status", "callback_number", "callback_profile", "queue_key"}
    return reply, elapsed


def writes(fake: FakeDynamo | None) -> int:
    return 0 if fake is None else fake.requests.get("TransactWriteItems", 0)


@pytest.mark.parametrize("kind", ["blackhole", "gray", *FAST_FAILURES])
def test_a_cold_container_answers_error_in_time_and_writes_nothing(
    fault_env: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    with dynamo_endpoint(kind) as (endpoint, fake):
        gate = cold_container(monkeypatch, endpoint)
        reply, elapsed = invoke("c1")
        if kind in ("blackhole", "gray"):
            # The pointer read hung (gray: the first request hangs): the deadline cut it, the config came from the
            # baked version, and the callback table was never asked (the gate was busy or open) ...
            assert (gate.stats.deadline_exceeded, gate.stats.requests) == (1, 1)
            assert gate.stats.skipped >= 1
            assert gate.state in (BUSY, OPEN)
            assert fake is not None
            assert fake.requests == {"GetItem": 1}
            # ... and a Connect retry does not ask the store again before the retry interval.
            again, _ = invoke("c1")
            assert again["callback_status"] == "ERROR"
            assert gate.stats.requests == 1
        else:
            # The store failed fast, once per request: no SDK retry, no deadline needed.
            assert (gate.stats.deadline_exceeded, gate.stats.requests, gate.stats.completed) == (0, 2, 2)
            assert gate.state == CLOSED
            if fake is not None:
                assert fake.requests == {"GetItem": 2}  # the pointer, then the contact's stored answer
        assert writes(fake) == 0
    assert reply == {
        "callback_status": "ERROR",
        "callback_number": "",
        "callback_profile": "",
        "queue_key": "cards_general",
    }
    assert elapsed < SANITY_SECONDS


@pytest.mark.parametrize("kind", ["blackhole", "gray", *FAST_FAILURES])
def test_a_warm_container_answers_error_in_time_after_serving(
    fault_env: Path, monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any], kind: str
) -> None:
    fake = FakeDynamo().start()
    fake.publish(sample_document)
    try:
        gate = cold_container(monkeypatch, fake.endpoint)
        healthy, _ = invoke("c0")
        assert healthy["callback_status"] == "RESERVED"
        assert writes(fake) == 1
        before = dict(fake.requests)
        if kind == "refused":
            fake.stop()  # the port closes: connections are refused
        else:
            fake.mode = kind
            # gray: the pointer read (this call's first request) answers, the contact read (its second) hangs.
            fake._count = 1
        reply, elapsed = invoke("c1")
        sent = {op: n - before.get(op, 0) for op, n in fake.requests.items() if n != before.get(op, 0)}
        if kind in ("blackhole", "gray"):
            assert gate.stats.deadline_exceeded == 1
            assert gate.state in (BUSY, OPEN)
            assert sent == ({"GetItem": 1} if kind == "blackhole" else {"GetItem": 2})
        else:
            assert gate.stats.deadline_exceeded == 0
            assert gate.state == CLOSED
            assert sent == ({} if kind == "refused" else {"GetItem": 2})
    finally:
        fake.stop()
    assert writes(fake) == 1  # only the healthy reservation: nothing was written for the failed call
    assert (reply["callback_status"], reply["callback_number"]) == ("ERROR", "")
    assert elapsed < SANITY_SECONDS


class _HangingWrites(FakeDynamo):
    """Reads answer; every transaction hangs (the deadline cuts the write itself)."""

    def answer(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        answered = super().answer(operation, body)
        return None if operation == "TransactWriteItems" else answered


@pytest.mark.parametrize("action", [None, "confirm", "release"])
def test_a_hung_transaction_is_cut_by_the_deadline_and_not_retried(
    fault_env: Path, monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any], action: str | None
) -> None:
    """The transaction is atomic: cut by the deadline it either lands whole or not at all (a reservation that lands
    lapses by itself). The reply is ERROR and no second write is sent."""
    fake = _HangingWrites().start()
    fake.publish(sample_document)
    try:
        gate = cold_container(monkeypatch, fake.endpoint)
        reply, elapsed = invoke("c1", action)
        assert gate.stats.deadline_exceeded == (1 if action != "release" else 0)
        assert writes(fake) == (1 if action != "release" else 0)  # release of nothing held: no write at all
    finally:
        fake.stop()
    expected = "ERROR" if action != "release" else "RELEASED"
    assert reply["callback_status"] == expected
    assert elapsed < SANITY_SECONDS
