"""The callback reply contract under hostile input (issue 12): whatever the event holds — lone surrogates, huge
values, wrong types, any action — the handler answers a flat str map < 32 KB with ``callback_status`` and never
raises."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import callback.handler as handler
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.callback.memory_store import InMemoryCallbackStore
from routing.callback.request import NumberHasher
from routing.callback.service import REPLY_KEYS, CallbackService
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from tests.conftest import shared
from trunkline.contacts import connect_event

ROOT = Path(__file__).resolve().parents[3]
MAX_REPLY_BYTES = 32_000  # Connect: "less than 32 KB of UTF-8 data"


@pytest.fixture(scope=shared("module"))
def service() -> Iterator[CallbackService]:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    config = InMemoryConfigStore()
    publish_document(config, doc, actor="t", summary="t")
    svc = CallbackService(
        ConfigCache(config), InMemoryCallbackStore(), hasher=NumberHasher("k" * 32), clock=lambda: 2e9
    )
    handler.set_service(svc)
    try:
        yield svc
    finally:
        handler.set_service(None)


# Every code point, lone surrogates included (hypothesis leaves them out by default).
_chars = st.characters(exclude_categories=())
_text = st.text(_chars, max_size=40)
_huge = st.builds(lambda c, n: c * n, st.text(_chars, min_size=1, max_size=3), st.integers(1_000, 60_000))
_scalar = st.one_of(_text, _huge, st.integers(), st.floats(), st.booleans(), st.none())
_value = st.one_of(_scalar, st.lists(_scalar, max_size=3), st.dictionaries(_text, _scalar, max_size=3))
_actions = st.one_of(st.sampled_from(["reserve", "confirm", "release", "RESERVE", "", "cancel"]), _value)
_queues = st.one_of(st.sampled_from(["cards_general", "cards_balance", "fraud_alerts"]), _value)
_numbers = st.one_of(st.sampled_from(["+12125550187", "(212) 555-0188", "anonymous", "+19005550100"]), _value)
_params = st.fixed_dictionaries(
    {},
    optional={
        "action": _actions,
        "queue_key": _queues,
        "callback_number": _numbers,
        "queue_arn": _value,
        "priority": _value,
    },
).flatmap(lambda p: st.dictionaries(_text, _value, max_size=2).map(lambda extra: {**extra, **p}))


@st.composite
def _events(draw: st.DrawFn) -> object:
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(_value)  # not even an event
    event = connect_event(
        dialed="+18005550100", caller="+13125550100", parameters={}, contact_id=draw(st.sampled_from(["c1", "c2"]))
    )
    data = event["Details"]["ContactData"]
    event["Details"]["Parameters"] = draw(st.one_of(_params, _value)) if shape == 1 else draw(_params)
    if shape == 2:
        data["ContactId"] = draw(_value)
    if shape == 3:
        data["CustomerEndpoint"] = draw(st.one_of(_value, st.fixed_dictionaries({"Address": _value})))
    if shape == 4:
        data["Attributes"] = draw(st.dictionaries(_text, _value, max_size=3))
    return event


def _check(reply: object) -> None:
    assert isinstance(reply, dict)
    assert set(reply) == set(REPLY_KEYS)
    assert all(isinstance(v, str) for v in reply.values())
    assert reply["callback_status"]
    size = len(json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))  # raises on a surrogate
    assert size < MAX_REPLY_BYTES


def _run(event: object) -> None:
    _check(handler.lambda_handler(event, None))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(_events())
def test_hostile_events_always_get_the_reply_contract(service: CallbackService, event: object) -> None:
    _run(event)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(_events())
def test_hostile_events_always_get_the_reply_contract_10000(service: CallbackService, event: object) -> None:
    _run(event)


@pytest.mark.parametrize(
    "params",
    [
        {"queue_key": "\ud800" * 50_000, "callback_number": "+12125550187"},
        {"queue_key": "cards_general", "callback_number": "\udfff+1212555018" + "7" * 100_000},
        {"queue_key": "x" * 100_000, "action": "\ud800confirm" * 1000},
        {"queue_key": "cards_general", "callback_number": "+12125550187", "queue_arn": "a" * 40_000},
    ],
)
def test_echoed_values_are_bounded_and_encodable(
    service: CallbackService, params: dict[str, Any], lambda_logs: Any
) -> None:
    reply = handler.lambda_handler(connect_event(parameters=params, contact_id="\ud800" * 1000), None)
    _check(reply)
    assert len(reply["queue_key"]) <= 128
    assert "queue_arn" not in reply
    assert "priority" not in reply
    logged = lambda_logs.getvalue()
    logged.encode("utf-8")
    assert all(len(line) < 4_000 for line in logged.splitlines())  # nothing echoed unbounded into a log line


def test_a_service_that_raises_still_answers_error(service: CallbackService, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(event: object) -> dict[str, str]:
        raise RuntimeError("bug")

    monkeypatch.setattr(service, "accept", boom)
    reply = handler.lambda_handler(connect_event(parameters={"queue_key": "cards_general"}), None)
    assert reply == dict.fromkeys(REPLY_KEYS, "") | {"callback_status": "ERROR"}
