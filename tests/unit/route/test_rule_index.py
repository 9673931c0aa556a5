"""The ruleset index: first-match through the index returns exactly what a linear first-match scan returns.

This is the routing core's key correctness property (docs/design/routing-core.md, "Index"): rulesets are compiled
through ``CompiledConfig.compile`` from random documents, and every random contact is matched three ways —
through the index, by a linear scan of the compiled predicates, and by a small reference interpreter written here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from routing.common.contact import ContactRequest
from routing.route.compiled import CompiledConfig, CompiledRuleset
from routing.route.context import DecisionContext
from tests.conftest import FakeMetrics

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
VALUES = ["a", "b", "c"]
METRIC_QUEUE_ID = "qid-1"


def document(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": 1,
        "defaults": {"default_queue": "q1", "time_zone": "UTC", "country": "US"},
        "queues": {
            "q1": {"key": "q1", "queue_id": METRIC_QUEUE_ID, "name": "Q1"},
            "q2": {"key": "q2", "queue_id": "qid-2", "name": "Q2"},
        },
        "lines_of_business": {"lob": {"key": "lob", "name": "LOB"}},
        "entry_points": {
            "main": {"key": "main", "dialed_number": "+18005550100", "line_of_business": "lob", "ruleset": "rs"}
        },
        "schedules": {},
        "rulesets": {
            "rs": {
                "key": "rs",
                "rules": [
                    {"id": f"r{i}", "when": when, "then": {"classification": f"c{i}", "queue": "q1"}}
                    for i, when in enumerate(rules)
                ],
                "default": {"classification": "default", "queue": "q2"},
            }
        },
    }


def compile_ruleset(rules: list[dict[str, Any]]) -> CompiledRuleset:
    return CompiledConfig.compile(document(rules)).rulesets["rs"]


# --- a reference interpreter for the generated conditions (independent of routing.route.rules) ----------------------


def field_value(field: str, contact: dict[str, Any]) -> Any:
    if field == "channel":
        return contact["channel"] or None
    if field.startswith("attributes."):
        return contact["attributes"].get(field.split(".", 1)[1]) or None
    if field.startswith("parameters."):
        return contact["parameters"].get(field.split(".", 1)[1]) or None
    if field == "metrics.q1.agents_available":
        return contact["agents_available"]
    raise AssertionError(field)


def as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reference(cond: dict[str, Any] | None, contact: dict[str, Any]) -> bool:
    if cond is None:
        return True
    if "all" in cond:
        return all(reference(c, contact) for c in cond["all"])
    if "any" in cond:
        return any(reference(c, contact) for c in cond["any"])
    if "not" in cond:
        return not reference(cond["not"], contact)
    want: Any = cond.get("value")
    op, unknown = cond["op"], cond.get("when_unknown", False)
    value = field_value(cond["field"], contact)
    if op == "exists":
        return (value is not None) is (True if want is None else want)
    if op in ("gt", "lte"):
        number = as_number(value)
        if number is None:
            return bool(unknown)
        return bool(number > want if op == "gt" else number <= want)
    if value is None:
        return bool(unknown)
    checks: dict[str, Callable[[], bool]] = {
        "equals": lambda: value == want,
        "not_equals": lambda: value != want,
        "in": lambda: value in want,
        "not_in": lambda: value not in want,
        "prefix": lambda: bool(value.startswith(want)),
    }
    return checks[op]()


# --- strategies ----------------------------------------------------------------------------------------------

STRING_FIELDS = ["attributes.intent", "attributes.segment", "channel", "parameters.lang"]
FIELD_VALUES = {
    "attributes.intent": VALUES,
    "attributes.segment": VALUES,
    "channel": ["VOICE", "CHAT", "TASK"],
    "parameters.lang": ["en", "es"],
}


@st.composite
def comparison(draw: st.DrawFn) -> dict[str, Any]:
    # Few fields, so that several rules share one and the compiler builds its equality and presence indexes.
    field = draw(
        st.sampled_from(
            ["attributes.intent"] * 3 + ["attributes.segment"] * 2 + [*STRING_FIELDS[2:], "score", "metric"]
        )
    )
    unknown = draw(st.sampled_from([None, False, True]))
    if field == "metric":
        spec: dict[str, Any] = {
            "field": "metrics.q1.agents_available",
            "op": draw(st.sampled_from(["gt", "lte", "exists"])),
        }
        if spec["op"] != "exists":
            spec["value"] = draw(st.sampled_from([0, 1]))
    elif field == "score":
        spec = {
            "field": "attributes.score",
            "op": draw(st.sampled_from(["gt", "lte"])),
            "value": draw(st.sampled_from([1, 5])),
        }
    else:
        values = FIELD_VALUES[field]
        op = draw(st.sampled_from(["equals", "equals", "in", "in", "not_equals", "not_in", "prefix", "exists"]))
        spec = {"field": field, "op": op}
        if op in ("in", "not_in"):
            spec["value"] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True))
        elif op == "exists":
            presence = draw(st.sampled_from([None, True, False, False]))
            if presence is not None:
                spec["value"] = presence
        else:
            spec["value"] = draw(st.sampled_from(values))
    if unknown is not None:
        spec["when_unknown"] = unknown
    return spec


nested = st.recursive(
    comparison(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=4)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)
# Indexing looks at a rule's top-level AND-ed comparisons: generate mostly that shape, some deeper trees, and rules
# with no condition at all.
top_level_and = st.builds(
    lambda xs: {"all": xs}, st.lists(st.one_of(comparison(), comparison(), nested), min_size=1, max_size=3)
)
rule_conditions = st.lists(
    st.one_of(comparison(), top_level_and, top_level_and, nested, st.none()), min_size=1, max_size=14
)


def maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.just(""), st.sampled_from(values), st.just("zzz"))


contacts = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL"]),
        "intent": maybe(VALUES),
        "segment": maybe(VALUES),
        "score": st.one_of(st.none(), st.sampled_from(["0", "1", "3", "5", "9", "x", ""])),
        "lang": maybe(["en", "es"]),
        "agents_available": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0])),
    }
).map(
    lambda c: {
        "channel": c["channel"],
        "attributes": {
            k: v
            for k, v in (("intent", c["intent"]), ("segment", c["segment"]), ("score", c["score"]))
            if v is not None
        },
        "parameters": {"lang": c["lang"]} if c["lang"] is not None else {},
        "agents_available": c["agents_available"],
    }
)


def decision_context(contact: dict[str, Any]) -> DecisionContext:
    request = ContactRequest(
        contact_id="c", channel=contact["channel"], attributes=contact["attributes"], parameters=contact["parameters"]
    )
    known = contact["agents_available"]
    values = {} if known is None else {(METRIC_QUEUE_ID, "agents_available"): known}
    return DecisionContext(
        request, entry=None, zone=ZoneInfo("UTC"), now=NOW, metrics=FakeMetrics(values), default_region="US"
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_conditions, batch=st.lists(contacts, min_size=1, max_size=10))
@example(
    # Two rules pin intent; the third only needs segment present: both indexes are built.
    rules=[
        {"field": "attributes.intent", "op": "equals", "value": "a"},
        {"field": "attributes.intent", "op": "in", "value": ["a", "b"]},
        {"field": "attributes.segment", "op": "prefix", "value": "b"},
        {"field": "attributes.segment", "op": "not_equals", "value": "c"},
        None,
    ],
    batch=[
        {"channel": "VOICE", "attributes": {"segment": "b"}, "parameters": {}, "agents_available": None},
        {"channel": "VOICE", "attributes": {"intent": "b"}, "parameters": {}, "agents_available": None},
        {"channel": "VOICE", "attributes": {"intent": "zzz", "segment": "a"}, "parameters": {}, "agents_available": 0},
    ],
)
@example(
    # Rules that need segment present make it the presence index; "exists: false" must still be found without it.
    rules=[
        {"field": "attributes.segment", "op": "prefix", "value": "a"},
        {"field": "attributes.segment", "op": "equals", "value": "b", "when_unknown": True},
        {"field": "attributes.segment", "op": "exists", "value": False},
        {"field": "attributes.segment", "op": "not_in", "value": ["c"]},
    ],
    batch=[{"channel": "VOICE", "attributes": {}, "parameters": {}, "agents_available": None}],
)
def test_indexed_first_match_equals_linear_first_match(
    rules: list[dict[str, Any] | None], batch: list[dict[str, Any]]
) -> None:
    # Given a ruleset compiled from a random document (its index chosen by the compiler)
    ruleset = compile_ruleset(rules)  # type: ignore[arg-type]
    for contact in batch:
        ctx = decision_context(contact)
        # When a contact is matched through the index
        indexed = ruleset.match(ctx)
        # Then it is the rule a linear first-match scan picks, and the one the reference semantics pick.
        linear = next((r.target for r in ruleset.rules if r.predicate(ctx)), ruleset.default)
        expected = next((f"r{i}" for i, cond in enumerate(rules) if reference(cond, contact)), "rs:default")
        assert indexed.rule_id == linear.rule_id == expected, (contact, ruleset.index_field, ruleset.presence_field)


def test_a_typical_ruleset_is_indexed_and_prunes_candidates() -> None:
    # Given many rules pinning attributes.intent, and a few catch-alls that only need attributes.vip present
    rules: list[dict[str, Any]] = [
        {
            "all": [
                {"field": "attributes.intent", "op": "equals", "value": f"i{n}"},
                {"field": "channel", "op": "equals", "value": "VOICE"},
            ]
        }
        for n in range(40)
    ]
    rules += [{"field": "attributes.vip", "op": "regex", "value": "^V"}, {"field": "attributes.vip", "op": "exists"}]
    ruleset = compile_ruleset(rules)
    # Then the compiler indexes intent (equality) and vip (presence)
    assert (ruleset.index_field, ruleset.presence_field) == ("attributes.intent", "attributes.vip")
    # And a contact with intent i7 and no vip attribute only scans the one rule that can match
    assert [r.target.rule_id for r in ruleset.candidates("i7", False)] == ["r7"]
    assert [r.target.rule_id for r in ruleset.candidates("i7", True)] == ["r7", "r40", "r41"]
    assert [r.target.rule_id for r in ruleset.candidates(None, False)] == []
    ctx = decision_context(
        {"channel": "VOICE", "attributes": {"intent": "i7"}, "parameters": {}, "agents_available": None}
    )
    assert ruleset.match(ctx).rule_id == "r7"
    ctx = decision_context(
        {"channel": "CHAT", "attributes": {"intent": "i7", "vip": "V1"}, "parameters": {}, "agents_available": None}
    )
    assert ruleset.match(ctx).rule_id == "r40"


def test_an_unindexed_ruleset_offers_every_rule_as_a_candidate() -> None:
    # Given rules on nothing indexable (a regex, a numeric comparison): no index, a linear scan
    rules: list[dict[str, Any]] = [
        {"field": "attributes.vip", "op": "regex", "value": "^V"},
        {"field": "attributes.score", "op": "gt", "value": 5},
    ]
    ruleset = compile_ruleset(rules)
    assert ruleset.index is None
    # Then every rule, in order, is a candidate whatever the keys
    assert [r.target.rule_id for r in ruleset.candidates(None, False)] == ["r0", "r1"]
    assert [r.target.rule_id for r in ruleset.candidates("x", True)] == ["r0", "r1"]


def test_the_equality_index_is_chosen_by_pinned_values_not_by_presence() -> None:
    # Given three rules that only need vip present and two that pin intent
    vip = {"field": "attributes.vip", "op": "exists"}
    rules: list[dict[str, Any]] = [vip, vip, vip]
    rules += [{"field": "attributes.intent", "op": "equals", "value": v} for v in ("a", "b")]
    ruleset = compile_ruleset(rules)
    # Then intent is the equality index (the only field rules pin) and vip the presence index
    assert (ruleset.index_field, ruleset.presence_field) == ("attributes.intent", "attributes.vip")


def test_an_equality_index_alone_is_still_an_index_and_a_presence_index_alone_too() -> None:
    pinned = compile_ruleset([{"field": "attributes.intent", "op": "in", "value": [v]} for v in ("a", "b", "c")])
    assert (pinned.index_field, pinned.presence_field) == ("attributes.intent", None)
    assert pinned.index is not None
    assert [r.target.rule_id for r in pinned.candidates("b", False)] == ["r1"]
    numeric = compile_ruleset([{"field": "attributes.score", "op": "gt", "value": n} for n in (5, 9)])
    assert numeric.presence_field == "attributes.score"  # a numeric comparison needs a value too
    present = compile_ruleset([{"field": "attributes.vip", "op": "prefix", "value": p} for p in ("A", "B")])
    assert (present.index_field, present.presence_field) == (None, "attributes.vip")
    assert present.index is not None
    assert present.candidates(None, False) == ()


def test_the_index_keys_are_read_from_the_contact() -> None:
    rules: list[dict[str, Any]] = [{"field": "attributes.intent", "op": "equals", "value": v} for v in ("a", "b")]
    rules += [{"field": "attributes.vip", "op": "exists"}, {"field": "attributes.vip", "op": "prefix", "value": "V"}]
    ruleset = compile_ruleset(rules)
    with_vip = {
        "channel": "VOICE",
        "attributes": {"intent": "b", "vip": "V1"},
        "parameters": {},
        "agents_available": None,
    }
    without = {"channel": "VOICE", "attributes": {"intent": "b"}, "parameters": {}, "agents_available": None}
    assert ruleset._keys(decision_context(with_vip)) == ("b", True)
    assert ruleset._keys(decision_context(without)) == ("b", False)


@pytest.mark.parametrize(
    "when",
    [
        {"field": "metrics.q3.agents_available", "op": "gt", "value": 0},
        {"not": {"field": "metrics.q3.agents_available", "op": "gt", "value": 0}},
        {
            "any": [
                {"field": "channel", "op": "equals", "value": "CHAT"},
                {"field": "metrics.q3.agents_staffed", "op": "gt", "value": 1},
            ]
        },
    ],
)
def test_a_ruleset_prefetches_the_queues_its_metric_rules_name(when: dict[str, Any]) -> None:
    # q3 is no rule's target: only its metric rule names it
    doc = document([when])
    doc["queues"]["q3"] = {"key": "q3", "queue_id": "qid-3", "name": "Q3"}
    ruleset = CompiledConfig.compile(doc).rulesets["rs"]
    assert ruleset.metric_queue_ids == {METRIC_QUEUE_ID, "qid-2", "qid-3"}


def test_when_unknown_true_equality_is_not_used_to_prune() -> None:
    # equals with when_unknown: true also matches contacts *without* the field: it cannot be an index key.
    rules: list[dict[str, Any]] = [
        {"field": "attributes.intent", "op": "equals", "value": "a", "when_unknown": True},
        {"field": "attributes.intent", "op": "equals", "value": "a", "when_unknown": True},
        {"field": "attributes.intent", "op": "equals", "value": "b"},
    ]
    ruleset = compile_ruleset(rules)
    assert ruleset.index_field is None
    no_intent = decision_context({"channel": "VOICE", "attributes": {}, "parameters": {}, "agents_available": None})
    assert ruleset.match(no_intent).rule_id == "r0"


def test_generated_large_centre_index_agrees_with_linear_scan() -> None:
    # The benchmark's shape (thousands of rules pinning an intent, 2% catch-alls) with realistic contacts.
    import random

    from trunkline.generate import generate_config, intent_codes

    cfg = CompiledConfig.compile(generate_config(queues=60, rules=1500, lines_of_business=3))
    rng = random.Random(5)
    for key, ruleset in cfg.rulesets.items():
        assert ruleset.index_field == "attributes.intent"
        lob = key.removesuffix("_rules")
        codes = intent_codes(lob, len(ruleset.rules))
        for _ in range(150):
            attributes = {"intent": rng.choice([*codes, "none-such"])}
            if rng.random() < 0.5:
                attributes["crm_segment"] = rng.choice(["gold", "standard", "platinum"])
            if rng.random() < 0.2:
                attributes["vip_code"] = rng.choice(["VIP-1234", "VIP-12"])
            contact = {
                "channel": rng.choice(["VOICE", "CHAT", "EMAIL"]),
                "attributes": attributes,
                "parameters": {},
                "agents_available": rng.choice([None, 0.0, 3.0]),
            }
            ctx = decision_context(contact)
            linear = next((r.target for r in ruleset.rules if r.predicate(ctx)), ruleset.default)
            assert ruleset.match(ctx) is linear
