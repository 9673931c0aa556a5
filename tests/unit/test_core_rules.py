"""Rules as data: operators, unknown handling, the ruleset index (property-tested against a linear scan)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.contact import ContactRequest
from routing.engine import DecisionContext, _compile_ruleset
from routing.rules import RuleError, compile_condition

QUEUES = {"q1": "id-1", "q2": "id-2"}
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # Tuesday 10:30 in New York


class FakeMetrics:
    def __init__(self, values: dict[tuple[str, str], float]) -> None:
        self.values = values

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        pass

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
        return self.values.get((queue_id, name))

    def age_seconds(self, queue_id: str) -> float | None:
        return 3.0


def ctx(
    attributes: dict[str, str] | None = None,
    *,
    caller: str = "+12125550187",
    channel: str = "VOICE",
    metrics: dict[tuple[str, str], float] | None = None,
) -> DecisionContext:
    from zoneinfo import ZoneInfo

    contact = ContactRequest(
        contact_id="c",
        channel=channel,
        customer_number=caller,
        dialed_number="+18005550100",
        attributes=attributes or {},
    )
    return DecisionContext(
        contact,
        entry=None,
        zone=ZoneInfo("America/New_York"),
        now=NOW,
        metrics=FakeMetrics(metrics or {}),
        default_region="US",
    )


def holds(condition: dict[str, Any], c: DecisionContext) -> bool:
    predicate, _ = compile_condition(condition, "when", QUEUES)
    return predicate(c)


@pytest.mark.parametrize(
    ("op", "value", "attr", "expected"),
    [
        ("equals", "gold", "gold", True),
        ("equals", "gold", "Gold", False),
        ("not_equals", "gold", "silver", True),
        ("in", ["a", "b"], "b", True),
        ("in", ["a", "b"], "c", False),
        ("not_in", ["a", "b"], "c", True),
        ("prefix", "+1212", "+12125550187", True),
        ("prefix", ["+44", "+1646"], "+12125550187", False),
        ("suffix", "87", "+12125550187", True),
        ("contains", "555", "+12125550187", True),
        ("regex", "^VIP-[0-9]{4}$", "VIP-1234", True),
        ("regex", "^VIP-[0-9]{4}$", "VIP-12345", False),
        ("gt", 90, "91", True),
        ("gt", 90, "90", False),
        ("gte", 90, "90", True),
        ("lt", 1, "0.5", True),
        ("lte", 1, "2", False),
        ("between", [1, 90], "90", True),
        ("between", [1, 90], "0", False),
        ("gt", 5, "not a number", False),
    ],
)
def test_operator_on_an_attribute(op: str, value: Any, attr: str, expected: bool) -> None:
    assert holds({"field": "attributes.x", "op": op, "value": value}, ctx({"x": attr})) is expected


ALL_OPS = [
    ("equals", "a"),
    ("not_equals", "a"),
    ("in", ["a"]),
    ("not_in", ["a"]),
    ("prefix", "a"),
    ("suffix", "a"),
    ("contains", "a"),
    ("regex", "a"),
    ("gt", 1),
    ("gte", 1),
    ("lt", 1),
    ("lte", 1),
    ("between", [1, 2]),
]


@pytest.mark.parametrize(("op", "value"), ALL_OPS)
@pytest.mark.parametrize("when_unknown", [False, True])
def test_every_operator_on_a_missing_value_returns_when_unknown(op: str, value: Any, when_unknown: bool) -> None:
    condition = {"field": "attributes.absent", "op": op, "value": value, "when_unknown": when_unknown}
    assert holds(condition, ctx()) is when_unknown
    # An empty attribute is unknown too (Connect sends "" for attributes set to nothing).
    assert holds(condition, ctx({"absent": ""})) is when_unknown


@pytest.mark.parametrize(("op", "value"), [(o, v) for o, v in ALL_OPS if o in {"gt", "gte", "lt", "lte", "between"}])
@pytest.mark.parametrize("when_unknown", [False, True])
def test_unknown_metric_is_never_zero(op: str, value: Any, when_unknown: bool) -> None:
    condition = {"field": "metrics.q1.agents_available", "op": op, "value": value, "when_unknown": when_unknown}
    assert holds(condition, ctx()) is when_unknown


def test_known_metric_is_compared() -> None:
    c = ctx(metrics={("id-1", "agents_available"): 0.0})
    assert holds({"field": "metrics.q1.agents_available", "op": "lte", "value": 0}, c) is True
    assert holds({"field": "metrics.q1.agents_available", "op": "gt", "value": 0, "when_unknown": True}, c) is False


def test_exists_and_anonymous_caller() -> None:
    assert holds({"field": "attributes.x", "op": "exists"}, ctx({"x": "1"})) is True
    assert holds({"field": "attributes.x", "op": "exists", "value": False}, ctx()) is True
    assert holds({"field": "caller_number", "op": "exists"}, ctx(caller="anonymous")) is False
    assert holds({"field": "caller_country", "op": "equals", "value": "GB"}, ctx(caller="+447400123456")) is True
    assert (
        holds({"field": "caller_country", "op": "equals", "value": "US", "when_unknown": True}, ctx(caller="")) is True
    )


def test_local_time_day_and_date_use_the_entry_time_zone() -> None:
    c = ctx()
    assert holds({"field": "local_time", "op": "between", "value": ["10:00", "11:00"]}, c) is True
    assert holds({"field": "local_day", "op": "equals", "value": "tue"}, c) is True
    assert holds({"field": "local_date", "op": "equals", "value": "2026-11-24"}, c) is True


def test_all_any_not_nest() -> None:
    condition = {
        "all": [
            {
                "any": [
                    {"field": "attributes.a", "op": "equals", "value": "1"},
                    {"field": "channel", "op": "equals", "value": "CHAT"},
                ]
            },
            {"not": {"field": "attributes.b", "op": "exists"}},
        ]
    }
    assert holds(condition, ctx({"a": "1"})) is True
    assert holds(condition, ctx({"a": "1", "b": "x"})) is False
    assert holds(condition, ctx({"a": "2"}, channel="CHAT")) is True
    assert holds(condition, ctx({"a": "2"})) is False


def test_re2_cannot_backtrack_catastrophically() -> None:
    assert holds({"field": "attributes.x", "op": "regex", "value": "(a+)+$"}, ctx({"x": "a" * 5000 + "b"})) is False


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "nonsense", "op": "equals", "value": "x"}, "unknown field 'nonsense'"),
        ({"field": "attributes.x", "op": "like", "value": "x"}, "unknown operator 'like'"),
        ({"field": "attributes.x", "op": "regex", "value": "(unclosed"}, "invalid regex"),
        ({"field": "attributes.x", "op": "between", "value": [5, 1]}, "low"),
        ({"field": "attributes.x", "op": "equals", "value": ["a", "b"]}, "use 'in'"),
        ({"field": "metrics.nope.agents_available", "op": "gt", "value": 1}, "unknown queue 'nope'"),
        ({"field": "metrics.q1.happiness", "op": "gt", "value": 1}, "metric must be one of"),
        ({"field": "local_time", "op": "gt", "value": "25:99"}, "HH:MM"),
        ({"all": []}, "non-empty list"),
        ({"all": [{"field": "attributes.x", "op": "prefix", "value": 5, "extra": 1}]}, "unknown keys"),
    ],
)
def test_malformed_conditions_say_where_and_why(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message) as err:
        compile_condition(condition, "rules[3].when", QUEUES)
    assert err.value.path.startswith("rules[3].when")


# --- the index returns exactly what a linear first-match scan returns -------------------------------------------

VALUES = ["a", "b", "c"]
leaf = st.one_of(
    st.builds(lambda v: {"field": "attributes.intent", "op": "equals", "value": v}, st.sampled_from(VALUES)),
    st.builds(
        lambda vs: {"field": "attributes.intent", "op": "in", "value": vs},
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
    ),
    st.builds(lambda v: {"field": "attributes.segment", "op": "equals", "value": v}, st.sampled_from(VALUES)),
    st.just({"field": "attributes.segment", "op": "exists"}),
    st.builds(lambda v: {"field": "attributes.segment", "op": "prefix", "value": v}, st.sampled_from(VALUES)),
    st.builds(
        lambda v: {"field": "attributes.intent", "op": "not_equals", "value": v, "when_unknown": True},
        st.sampled_from(VALUES),
    ),
    st.builds(
        lambda w: {"field": "metrics.q1.agents_available", "op": "gt", "value": 0, "when_unknown": w}, st.booleans()
    ),
)
condition = st.one_of(
    leaf,
    st.builds(lambda xs: {"all": xs}, st.lists(leaf, min_size=1, max_size=3)),
    st.builds(lambda xs: {"any": xs}, st.lists(leaf, min_size=1, max_size=3)),
    st.builds(lambda x: {"not": x}, leaf),
)


@settings(max_examples=150, deadline=None)
@given(
    conditions=st.lists(condition, min_size=1, max_size=12),
    contacts=st.lists(
        st.fixed_dictionaries(
            {},
            optional={"intent": st.sampled_from([*VALUES, "z", ""]), "segment": st.sampled_from([*VALUES, ""])},
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_indexed_first_match_equals_linear_scan(
    conditions: list[dict[str, Any]], contacts: list[dict[str, str]]
) -> None:
    spec = {
        "rules": [
            {"id": f"r{i}", "when": c, "then": {"classification": "x", "queue": "q1"}} for i, c in enumerate(conditions)
        ],
        "default": {"classification": "d", "queue": "q2"},
    }
    ruleset = _compile_ruleset("rs", spec, QUEUES, "rulesets.rs")
    for attrs in contacts:
        c = ctx(attrs)
        linear = next((r.target for r in ruleset.rules if r.predicate(c)), ruleset.default)
        assert ruleset.match(c) is linear
