"""Whole calls with the real route and callback handlers: a long wait offers a callback, the caller accepts, the
callback is reserved, created with the profile's timings and confirmed; the same number again is told it already
has one; a failure after the reservation releases it; silence and mistyped numbers keep the place in queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import callback.handler as callback_handler
import pytest

import route.handler as route_handler
from routing.callback.memory_store import InMemoryCallbackStore
from routing.callback.request import HoldState, NumberHasher
from routing.callback.service import CallbackService
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.service import RouteService
from tests.flows.flow_scenarios import CALLBACK_ARN, DEFAULT_QUEUE_ARN, INSTANCE, REPO, ROUTE_ARN, flows
from trunkline.simulator import Contact, EndReason, Faults, FlowSimulator, ScriptedInput

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
GENERAL = "86ab7e22-5e41-516b-9428-5c53e39b9081"


STORE = InMemoryCallbackStore()


@pytest.fixture
def sim() -> Iterator[FlowSimulator]:
    doc = load_directory(REPO / "config").document
    assert doc is not None
    STORE.__init__()  # type: ignore[misc]  # a fresh store per test (the handler holds this one)
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    metrics = InMemoryMetricsStore()
    metrics.items[GENERAL] = QueueSnapshot(GENERAL, 1000.0, {"VOICE": {"estimated_wait_time": 600}})
    view = LiveMetrics(metrics, wall_clock=lambda: 1001.0, monotonic=lambda: 1001.0)
    route_handler.set_service(
        RouteService(
            ConfigCache(config),
            default_queue_id=DEFAULT_QUEUE_ARN.rsplit("/", 1)[-1],
            metrics_view=view,
            clock=lambda: OPEN,
        )
    )
    callback_handler.set_service(
        CallbackService(ConfigCache(config), STORE, hasher=NumberHasher("e2e-test-callback-number-key-0123456789"))
    )
    try:
        yield FlowSimulator(
            flows(), lambdas={ROUTE_ARN: route_handler.lambda_handler, CALLBACK_ARN: callback_handler.lambda_handler}
        )
    finally:
        route_handler.set_service(None)
        callback_handler.set_service(None)


def _call(sim: FlowSimulator, *keys: str, caller: str = "+12125550187", faults: Faults | None = None) -> Any:
    return sim.run(
        "inbound",
        Contact(
            system_number="+18005550100",
            customer_number=caller,
            attributes={"ivr_choice": "5"},
            inputs=tuple(ScriptedInput.dtmf(k) for k in keys),
            instance_arn=INSTANCE,
            faults=faults or Faults(),
        ),
    )


def test_accepted_callback_is_reserved_created_confirmed_then_a_repeat_is_refused(sim: FlowSimulator) -> None:
    first = _call(sim, "1")
    assert first.end_reason is EndReason.DISCONNECTED, first.describe()
    made = first.callback
    assert made is not None
    assert (made.number, made.initial_call_delay_seconds, made.maximum_connection_attempts) == ("+12125550187", 20, 3)
    assert made.queue_arn == f"{INSTANCE}/queue/{GENERAL}"
    actions = [i.parameters.get("action") for i in first.invocations if i.function_arn == CALLBACK_ARN]
    assert actions == ["reserve", "confirm"]
    repeat = _call(sim, "2", "2125550187#", caller="+13125550100")
    assert "CallbackAlreadyScheduled" in repeat.visited, repeat.describe()
    assert repeat.callback is None


def test_a_failed_create_releases_so_the_caller_can_ask_again(sim: FlowSimulator) -> None:
    # The lock leak: a reservation whose CreateCallbackContact fails must not block the number for hours.
    failed = sim.run(
        "inbound",
        Contact(
            system_number="+18005550100",
            customer_number="+12125550187",
            attributes={"ivr_choice": "5"},
            inputs=(ScriptedInput.dtmf("1"),),
            instance_arn=INSTANCE,
            faults=Faults(action_errors={"CreateCallbackStandard": "NoMatchingError"}),
        ),
    )
    assert failed.transferred, failed.describe()
    assert "ReleaseCallback" in failed.visited
    again = _call(sim, "1")
    assert again.callback is not None, again.describe()
    assert "CallbackAlreadyScheduled" not in again.visited


def test_a_number_that_cannot_be_called_back_keeps_the_place_in_queue(sim: FlowSimulator) -> None:
    result = _call(sim, "2", "9005550123#")  # a valid NANP number on a blocked prefix: refused by reserve
    assert result.end_reason is EndReason.TRANSFERRED_TO_QUEUE, result.describe()
    assert result.queue_arn == f"{INSTANCE}/queue/{GENERAL}"
    assert "CallbackNotPossible" in result.visited
    assert "ReleaseCallback" not in result.visited  # nothing was reserved


def test_a_silent_caller_at_the_number_prompt_keeps_the_place_without_an_apology(sim: FlowSimulator) -> None:
    result = _call(sim, "2")  # then silence: Connect stores "Timeout" and continues on success
    assert result.end_reason is EndReason.TRANSFERRED_TO_QUEUE, result.describe()
    assert result.queue_arn == f"{INSTANCE}/queue/{GENERAL}"
    assert result.stored_customer_input == "Timeout"
    assert "CallbackNotPossible" not in result.visited
    assert not any("cannot arrange a callback" in m for m in result.message_texts)
    assert [i.function_arn for i in result.invocations] == [ROUTE_ARN]  # no callback call at all


def test_a_mistyped_number_is_refused_by_connect_validation_and_keeps_the_place(sim: FlowSimulator) -> None:
    result = _call(sim, "2", "555#")
    assert result.transferred, result.describe()
    assert result.path[result.visited.index("AskCallbackNumber")] == "AskCallbackNumber:InvalidPhoneNumber"
    assert "CallbackNotPossible" in result.visited


def test_a_created_callback_is_confirmed_for_the_window(sim: FlowSimulator) -> None:
    made = _call(sim, "1")
    assert made.callback is not None, made.describe()
    holds = list(STORE.answers.values())
    assert [answer.state for answer, _, _ in holds] == [HoldState.CONFIRMED]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ("SetCallbackNumber", "CallbackNumberNotDialable"),
        ("SetCallbackNumber", "InvalidCallbackNumber"),
        ("SaveCallbackReservation", "NoMatchingError"),
        ("CreateCallbackStandard", "NoMatchingError"),
    ],
)
def test_a_failure_after_the_reservation_releases_the_number(sim: FlowSimulator, action: str, error: str) -> None:
    """Issue 11: the caller keeps their place, and the next request for the number is not told DUPLICATE."""
    failed = _call(sim, "1", faults=Faults(action_errors={action: error}))
    assert failed.end_reason is EndReason.TRANSFERRED_TO_QUEUE, failed.describe()
    assert failed.callback is None
    assert "ReleaseCallback" in failed.visited
    assert not STORE.locks
    assert not STORE.answers
    again = _call(sim, "1")
    assert again.callback is not None, again.describe()


class _GatedStore(InMemoryCallbackStore):
    """The callback table behind the invocation's store deadline (as ``DynamoCallbackStore`` with a gate)."""

    def __init__(self, gate: Any) -> None:
        super().__init__()
        self.gate = gate

    def answer_for(self, contact_id: str) -> Any:
        return self.gate.run(lambda: InMemoryCallbackStore.answer_for(self, contact_id))


def test_out_of_store_time_keeps_the_place_in_queue_and_releases_nothing(sim: FlowSimulator) -> None:
    """Issue 12: the callback function out of store time (the breaker open after a hang) answers ERROR; the flow
    apologises, keeps the caller in the queue route chose, creates no callback and calls no release."""
    from routing.common.deadline import StoreGate

    gate = StoreGate(budget_seconds=1.0, retry_seconds=30.0, clock=lambda: 0.0)
    gate._open_until = 30.0  # a request hung a moment ago
    doc = load_directory(REPO / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    store = _GatedStore(gate)
    hasher = NumberHasher("e2e-test-callback-number-key-0123456789")
    callback_handler.set_service(CallbackService(ConfigCache(config), store, hasher=hasher, gate=gate))
    result = _call(sim, "1")
    assert result.end_reason is EndReason.TRANSFERRED_TO_QUEUE, result.describe()
    assert result.queue_arn == f"{INSTANCE}/queue/{GENERAL}"
    assert "CallbackNotPossible" in result.visited
    assert "ReleaseCallback" not in result.visited
    assert result.callback is None
    actions = [i.parameters.get("action") for i in result.invocations if i.function_arn == CALLBACK_ARN]
    assert actions == ["reserve"]
    assert (store.writes, gate.stats.requests, gate.stats.skipped) == (0, 0, 1)
