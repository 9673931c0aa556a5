"""``RouteService.route``: never raises, always the reply contract, masked caller numbers in the decision log."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from routing.common.observability import mask_phone
from routing.config.cache import ConfigCache
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.route.engine import CompiledConfig
from routing.route.service import RouteService
from tests.conftest import FakeMetrics, assert_reply_contract, shared
from trunkline.contacts import DR_INSTANCE_ARN, INSTANCE_ARN, connect_event, sample_contacts

TUESDAY_MORNING = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
SETTINGS_ARN = "arn:aws:connect:eu-west-2:111122223333:instance/00000000-0000-0000-0000-000000000000"


class StaticCache:
    """A cache stand-in that hands out a fixed compiled config (or raises)."""

    def __init__(self, compiled: Any = None, source: str = "active", error: Exception | None = None) -> None:
        self.compiled, self.source, self.error = compiled, source, error

    def current(self) -> tuple[Any, str]:
        if self.error is not None:
            raise self.error
        return self.compiled, self.source

    def staleness_seconds(self) -> float | None:
        return None


def service_with(
    cache: Any, *, metrics: Any = None, instance_arn: str = "", default_queue_id: str = "dq-1"
) -> RouteService:
    return RouteService(
        cache,
        default_queue_id=default_queue_id,
        instance_arn=instance_arn,
        metrics_view=metrics or FakeMetrics(),
        clock=lambda: TUESDAY_MORNING,
    )


# --- failures become ERROR_DEFAULT ---------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError("bug"), KeyError("x"), MemoryError(), RecursionError()])
def test_a_cache_that_raises_gives_error_default(error: Exception) -> None:
    reply = service_with(StaticCache(error=error)).route(connect_event(dialed="+18005550100"))
    assert_reply_contract(reply)
    assert (reply["status"], reply["reason"], reply["config_source"], reply["rule_id"]) == (
        "ERROR_DEFAULT",
        "exception",
        "none",
        "error_default",
    )
    assert (reply["queue_id"], reply["queue_arn"]) == ("dq-1", f"{INSTANCE_ARN}/queue/dq-1")


def test_a_compiled_config_that_blows_up_gives_error_default(sample_compiled: CompiledConfig) -> None:
    # Given a compiled version whose entry points name a ruleset it does not have (a corrupt compile)
    broken = dataclasses.replace(sample_compiled, rulesets={})
    reply = service_with(StaticCache(broken)).route(connect_event(dialed="+18005550100"))
    assert (reply["status"], reply["reason"]) == ("ERROR_DEFAULT", "exception")
    # while contacts that never reach the rules still route with it
    unknown = service_with(StaticCache(broken)).route(connect_event(dialed="+18885550000"))
    assert unknown["status"] == "DEFAULT"


def test_error_default_carries_the_configured_error_message_for_the_flow_to_play(
    sample_compiled: CompiledConfig,
) -> None:
    # Given a version in memory whose decision fails (its rulesets are gone) and whose defaults.error_message is set
    broken = dataclasses.replace(sample_compiled, rulesets={})
    assert sample_compiled.error_message.startswith("We are sorry")
    # When a call reaches the rules
    reply = service_with(StaticCache(broken)).route(connect_event(dialed="+18005550100"))
    # Then the ERROR_DEFAULT reply carries the message (the inbound flow's PlayErrorMessage plays it)
    assert (reply["status"], reply["message"]) == ("ERROR_DEFAULT", sample_compiled.error_message)


def test_error_default_without_a_version_in_memory_has_no_message() -> None:
    reply = service_with(StaticCache(None, source="none")).route(connect_event(dialed="+18005550100"))
    assert (reply["status"], reply["reason"], reply["message"]) == ("ERROR_DEFAULT", "no_config", "")
    reply = service_with(StaticCache(error=RuntimeError("bug"))).route(connect_event(dialed="+18005550100"))
    assert (reply["status"], reply["message"]) == ("ERROR_DEFAULT", "")


def test_a_metrics_view_that_raises_gives_error_default(sample_compiled: CompiledConfig) -> None:
    class Exploding(FakeMetrics):
        def prefetch(self, queue_ids: frozenset[str]) -> None:
            raise ConnectionError("metrics table unreachable")

    reply = service_with(StaticCache(sample_compiled), metrics=Exploding()).route(connect_event(dialed="+18005550100"))
    assert reply["status"] == "ERROR_DEFAULT"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_nonsense_metric_values_still_route(sample_compiled: CompiledConfig, bad: float) -> None:
    class Nonsense(FakeMetrics):
        def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
            return bad

        def age_seconds(self, queue_id: str) -> float | None:
            return bad

    reply = service_with(StaticCache(sample_compiled), metrics=Nonsense()).route(
        connect_event(dialed="+18005550100", attributes={"ivr_choice": "3"})
    )
    assert_reply_contract(reply)
    assert reply["status"] == "ROUTED"


def test_no_config_and_no_default_queue_still_answers(sample_compiled: CompiledConfig) -> None:
    reply = service_with(StaticCache(None, "none"), default_queue_id="").route(connect_event(dialed="+18005550100"))
    assert_reply_contract(reply)
    assert (reply["status"], reply["reason"], reply["queue_id"], reply["queue_arn"]) == (
        "ERROR_DEFAULT",
        "no_config",
        "",
        "",
    )


@pytest.mark.parametrize("event", [None, "x", 1, [], {}, {"Details": []}])
def test_junk_events_still_answer(sample_compiled: CompiledConfig, event: Any) -> None:
    reply = assert_reply_contract(service_with(StaticCache(sample_compiled)).route(event))
    assert (reply["status"], reply["reason"]) == ("DEFAULT", "unknown_entry_point")


def test_the_source_is_reported(sample_compiled: CompiledConfig) -> None:
    for source in ("active", "last_known_good", "baked"):
        reply = service_with(StaticCache(sample_compiled, source)).route(connect_event(dialed="+18005550200"))
        assert (reply["config_source"], reply["config_version"]) == (source, "v000042")


@pytest.mark.parametrize(
    "now",
    [
        TUESDAY_MORNING,
        datetime(2026, 11, 25, 3, 30, tzinfo=UTC),  # Tuesday night
        datetime(2026, 11, 26, 15, 30, tzinfo=UTC),  # Thanksgiving
        datetime(2026, 11, 29, 15, 30, tzinfo=UTC),  # Sunday
    ],
)
def test_synthetic_contacts_at_any_hour_keep_the_contract(sample_compiled: CompiledConfig, now: datetime) -> None:
    service = RouteService(cast(ConfigCache, StaticCache(sample_compiled)), default_queue_id="dq", clock=lambda: now)
    replies = [assert_reply_contract(service.route(c.event())) for c in sample_contacts(150, seed=8)]
    assert "ERROR_DEFAULT" not in {r["status"] for r in replies}
    assert all(r["queue_id"] for r in replies)  # every answer names a queue to transfer to


# --- instance ARN --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_arn", "settings_arn", "expected_prefix"),
    [
        (INSTANCE_ARN, SETTINGS_ARN, INSTANCE_ARN),  # the invoking instance wins
        (DR_INSTANCE_ARN, SETTINGS_ARN, DR_INSTANCE_ARN),
        (None, SETTINGS_ARN, SETTINGS_ARN),  # else the deployment's instance
        (None, "", ""),  # else nothing: the flow cannot use an ARN it does not have
    ],
)
def test_queue_arn_source(
    sample_compiled: CompiledConfig, event_arn: str | None, settings_arn: str, expected_prefix: str
) -> None:
    service = service_with(StaticCache(sample_compiled), instance_arn=settings_arn)
    reply = service.route(connect_event(dialed="+18005550200", instance_arn=event_arn))
    expected = f"{expected_prefix}/queue/{reply['queue_id']}" if expected_prefix else ""
    assert reply["queue_arn"] == expected


# --- logs: one decision line per call, caller numbers masked -------------------------------------------------

E164_LIKE = re.compile(r"\+?\d[\d ]{6,}\d")


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+12125550187", "+*********87"),
        ("+44 7700 900123", "+**********23"),
        ("2125550187", "+********87"),
        ("123", "***"),
        ("", ""),
        ("anonymous", "***"),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_decision_lines_never_carry_a_raw_caller_number(
    sample_document: dict[str, Any], lambda_logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    store = InMemoryConfigStore()
    publish_document(store, sample_document, actor="t", summary="s")
    service = RouteService(ConfigCache(store), default_queue_id="dq", clock=lambda: TUESDAY_MORNING)
    contacts = [c for c in sample_contacts(120, seed=3) if c.caller]
    callers = {c.caller for c in contacts if c.caller} | {"+12125550187", "+447400123456"}
    events = [c.event() for c in contacts]
    events += [connect_event(dialed="+18005550100", caller=n, attributes={"ivr_choice": "1"}) for n in sorted(callers)]
    for event in events:
        service.route(event)
    # an exception path logs too
    RouteService(cast(ConfigCache, StaticCache(error=RuntimeError("bug"))), default_queue_id="dq").route(events[-1])
    captured = capsys.readouterr()
    text = lambda_logs.getvalue() + captured.out + captured.err
    lines = [json.loads(line) for line in lambda_logs.getvalue().splitlines() if line.startswith("{")]
    decisions = [line for line in lines if line.get("message") == "decision"]
    assert len(decisions) == len(events) + 1  # one decision line per call
    logged_digits = [re.sub(r"\D", "", str(value)) for line in lines for value in line.values()]
    for caller in callers:
        assert caller not in text
        digits = re.sub(r"\D", "", caller)
        if digits:  # not even with the formatting ("+44 7700 …") stripped, in any logged value
            assert not any(digits in value for value in logged_digits), caller
    assert {d["caller"] for d in decisions} >= {mask_phone("+12125550187"), mask_phone("+447400123456")}
    # No raw E.164 number at all: dialed numbers (the centre's own) are masked too; the entry point names them.
    assert not [n for n in E164_LIKE.findall(text) if n.startswith("+")]
    assert all(d["dialed"].startswith("+*") or d["dialed"] in ("", "***") for d in decisions)


# --- fuzzing: the contract holds for any event, any time, any metrics ----------------------------------------

SAMPLE_NUMBERS = [
    "+18005550100",
    "+18005550101",
    "+18005550102",
    "+18005550200",
    "+18005550300",
    "+18005550400",
    "+442079460000",
]
ENTRY_KEYS = ["cards_web_chat", "fraud_app_chat", "collections_followup", "commercial_portal_chat", "cards_main"]
QUEUE_KEYS = ["retention", "disputes", "cards_balance", "general_default", "no_such_queue"]

weird_text = st.text(st.characters(codec="utf-8"), max_size=24)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    weird_text,
)
json_like = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(weird_text, inner, max_size=3), max_leaves=8
)
address = st.one_of(
    st.sampled_from([*SAMPLE_NUMBERS, "+12125550187", "+447400123456", "anonymous", "", "+1888555"]),
    weird_text,
    scalars,
)
endpoint = st.one_of(
    st.none(),
    st.builds(lambda a, t: {"Address": a, "Type": t}, address, st.sampled_from(["TELEPHONE_NUMBER", "EMAIL", None])),
    json_like,
)
attribute_values = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "9", "", "gold", "platinum", "black_card", "strategic", "850", "95", "true"]),
    weird_text,
    json_like,
)
attributes = st.dictionaries(
    st.one_of(
        st.sampled_from(
            ["ivr_choice", "crm_segment", "fraud_score", "alert_id", "days_past_due", "entry_key", "intent"]
        ),
        weird_text,
    ),
    st.one_of(attribute_values, st.sampled_from(ENTRY_KEYS)),
    max_size=6,
)
parameters = st.dictionaries(
    st.one_of(st.sampled_from(["entry_key", "transfer_queue_key"]), weird_text),
    st.one_of(st.sampled_from(ENTRY_KEYS + QUEUE_KEYS), json_like),
    max_size=3,
)
contact_data = st.fixed_dictionaries(
    {},
    optional={
        "Channel": st.one_of(st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL", "SMS", "voice", ""]), json_like),
        "ContactId": st.one_of(st.uuids().map(str), json_like),
        "InitiationMethod": st.one_of(
            st.sampled_from(["INBOUND", "TRANSFER", "CALLBACK", "API", "OUTBOUND"]), json_like
        ),
        "InstanceARN": st.one_of(st.sampled_from([INSTANCE_ARN, DR_INSTANCE_ARN]), json_like),
        "CustomerEndpoint": endpoint,
        "SystemEndpoint": endpoint,
        "Queue": st.one_of(st.none(), json_like, st.just({"ARN": f"{INSTANCE_ARN}/queue/x", "Name": "x"})),
        "Attributes": st.one_of(attributes, json_like),
        "LanguageCode": st.one_of(st.sampled_from(["en-US", "es-US"]), json_like),
    },
)
realistic_contact_data = st.fixed_dictionaries(
    {
        "Channel": st.sampled_from(["VOICE", "VOICE", "CHAT", "TASK", "EMAIL", "SMS"]),
        "ContactId": st.uuids().map(str),
        "InitiationMethod": st.sampled_from(["INBOUND", "TRANSFER", "CALLBACK", "API"]),
        "InstanceARN": st.sampled_from([INSTANCE_ARN, DR_INSTANCE_ARN]),
        "CustomerEndpoint": st.one_of(
            st.none(), st.builds(lambda a: {"Address": a, "Type": "TELEPHONE_NUMBER"}, address)
        ),
        "SystemEndpoint": st.one_of(
            st.builds(lambda a: {"Address": a, "Type": "TELEPHONE_NUMBER"}, st.sampled_from(SAMPLE_NUMBERS)), endpoint
        ),
        "Queue": st.none(),
        "Attributes": attributes,
    }
)
realistic_event = st.fixed_dictionaries(
    {
        "Name": st.just("ContactFlowEvent"),
        "Details": st.fixed_dictionaries({"ContactData": realistic_contact_data, "Parameters": parameters}),
    }
)
events = st.one_of(
    # mostly shapes Connect sends (values still fuzzed), so decisions reach rules, fallbacks and callbacks
    realistic_event,
    realistic_event,
    # anything at all
    st.fixed_dictionaries(
        {
            "Name": st.just("ContactFlowEvent"),
            "Details": st.fixed_dictionaries(
                {"ContactData": contact_data}, optional={"Parameters": st.one_of(parameters, json_like)}
            ),
        }
    ),
    st.fixed_dictionaries({"Details": json_like}),
    json_like,
)
metric_values = st.one_of(
    st.none(),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 10_000).map(float),
)


class FuzzedMetrics:
    """Any value (unknown, NaN, infinite, negative) for any metric of any queue."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state  # state["value"]() draws the next value (set per example)

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        pass

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
        value: float | None = self.state["value"]()
        return value

    def age_seconds(self, queue_id: str) -> float | None:
        value: float | None = self.state["value"]()
        return value


@pytest.fixture(scope=shared("module"))
def fuzz_target(_sample_document_once: dict[str, Any]) -> dict[str, Any]:
    store = InMemoryConfigStore()
    publish_document(store, _sample_document_once, actor="t", summary="s")
    state: dict[str, Any] = {"now": TUESDAY_MORNING, "value": lambda: None}
    service = RouteService(
        ConfigCache(store, refresh_seconds=3600),
        default_queue_id="dq",
        metrics_view=FuzzedMetrics(state),
        clock=lambda: state["now"],
    )
    return {"service": service, "state": state}


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    event=events,
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    data=st.data(),
)
def test_the_reply_contract_holds_for_any_event(
    fuzz_target: dict[str, Any], event: Any, now: datetime, data: Any
) -> None:
    # Given any event, at any time, with any metric values
    fuzz_target["state"]["now"] = now
    fuzz_target["state"]["value"] = lambda: data.draw(metric_values)
    # When route runs, Then it returns (never raises) a reply that keeps the contract
    reply = fuzz_target["service"].route(event)
    assert_reply_contract(reply)
    hypothesis_event(f"status={reply['status']}")
    assert reply["config_source"] == "active"
    assert reply["status"] != "ERROR_DEFAULT", reply  # a valid config routes every event, whatever its shape


# --- values echoed from the event: cleaned and bounded before any reply key or log line -------------------------

HOSTILE = {
    "surrogate": "x\ud800y",
    "huge": "z" * 100_000,
    "huge surrogates": "\udc00" * 50_000,
}


def hostile_event(value: str) -> dict[str, Any]:
    """Every echoed field of a transfer event (the path that echoes most) carries ``value``."""
    event = connect_event(
        dialed="+18005550100",
        caller="+12125550187",
        attributes={"classification": value, value[:64]: value},
        parameters={"transfer_queue_key": value},
        contact_id=value,
    )
    data = event["Details"]["ContactData"]
    data.update(InstanceARN=value, LanguageCode=value, InitiationMethod=value, Channel=value)
    return event


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_values_echoed_from_the_event_are_cleaned_and_bounded(
    sample_compiled: CompiledConfig, lambda_logs: Any, kind: str
) -> None:
    # Given an event whose every echoed value is a lone surrogate or 100,000 characters
    service = service_with(StaticCache(sample_compiled))
    # When it is routed (before the fix: a surrogate raised outside the guard; huge values made a reply over 32 KB
    # that the oversize fallback kept)
    reply = assert_reply_contract(service.route(hostile_event(HOSTILE[kind])))
    # Then the reply holds the contract, every value encodable and the echoed ones short
    assert reply["status"] == "DEFAULT"
    assert reply["reason"].startswith("unknown_transfer_queue:")
    assert all(len(v) <= 400 for k, v in reply.items() if k != "message")  # queue_arn: a 256-char ARN + queue id
    "".join(reply.values()).encode("utf-8")
    # And the decision log line is valid UTF-8 JSON with a bounded contact id and correlation
    line = next(json.loads(x) for x in lambda_logs.getvalue().splitlines() if '"decision"' in x)
    lambda_logs.getvalue().encode("utf-8")
    assert len(line["contact_id"]) <= 128
    assert len(lambda_logs.getvalue()) < 10_000


def test_an_exception_while_building_the_reply_is_inside_the_guard(
    sample_compiled: CompiledConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a reply builder that fails once (a bug, or a value nobody foresaw)
    import routing.route.reply
    import routing.route.service

    real = routing.route.reply.to_reply
    calls = iter([RuntimeError("boom")])

    def flaky(decision: Any, *, instance_arn: str) -> dict[str, str]:
        error = next(calls, None)
        if error is not None:
            raise error
        return real(decision, instance_arn=instance_arn)

    monkeypatch.setattr(routing.route.service, "to_reply", flaky)
    reply = assert_reply_contract(service_with(StaticCache(sample_compiled)).route(connect_event(dialed="+1800")))
    assert (reply["status"], reply["reason"]) == ("ERROR_DEFAULT", "exception")

    # and if even the error reply fails, a fixed reply still keeps the contract
    def always_fails(decision: Any, *, instance_arn: str) -> dict[str, str]:
        raise RuntimeError("x")

    monkeypatch.setattr(routing.route.service, "to_reply", always_fails)
    fixed = assert_reply_contract(service_with(StaticCache(sample_compiled)).route({}))
    assert (fixed["status"], fixed["reason"], fixed["config_source"]) == ("ERROR_DEFAULT", "exception", "none")


def test_a_call_checks_the_store_once_even_when_the_first_version_is_loaded(sample_document: dict[str, Any]) -> None:
    """The freshness metrics read the version the call decided with: a second cache check after the decision
    would reach the store again, outside the call's budget (found by the fault tests of issue 12)."""
    store = InMemoryConfigStore()
    publish_document(store, sample_document, actor="t", summary="t")
    service = service_with(ConfigCache(store, refresh_seconds=0, retry_seconds=0))
    store.reads = 0
    service.route(connect_event(dialed="+18005550100"))
    assert store.reads == 2  # the pointer, then the version: no second pointer read
    service.route(connect_event(dialed="+18005550100"))
    assert store.reads == 3  # refresh 0: one pointer check per call


def test_every_store_read_of_a_call_runs_under_one_deadline(sample_document: dict[str, Any]) -> None:
    from routing.common.deadline import StoreGate

    class GateSpy(StoreGate):
        deadlines: list[float | None] = []

        def run(self, fn: Any) -> Any:
            self.deadlines.append(self._deadline)
            return super().run(fn)

    store = InMemoryConfigStore()
    publish_document(store, sample_document, actor="t", summary="t")
    gate = GateSpy(budget_seconds=5.0)
    service = RouteService(
        ConfigCache(store, refresh_seconds=0, gate=gate),
        default_queue_id="dq",
        clock=lambda: TUESDAY_MORNING,
        store_gate=gate,
    )
    service.route(connect_event(dialed="+18005550100"))
    assert len(gate.deadlines) == 2
    assert gate.deadlines[0] is not None
    assert gate.deadlines[0] == gate.deadlines[1]  # the pointer and the version share the call's deadline
    assert gate.remaining() == 5.0  # and the deadline ends with the call
