"""Compiling a version: linear in the number of rules, rulesets compiled on first use (or all at once when asked),
never half-compiled, and a cap on rules per ruleset (docs/design/routing-core.md, "Compile")."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from typing import Any

import pytest

from routing.common.contact import ContactRequest
from routing.route.engine import CompiledConfig, decide
from routing.route.rules import MAX_RULES_PER_RULESET, RuleError
from routing.route.ruleset_index import LazyRulesets, RulesetUnusableError

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def document(rulesets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One entry point per ruleset (``+1800555<nnnn>``), every target queue q1."""
    return {
        "schema": 1,
        "defaults": {"default_queue": "q1", "time_zone": "UTC", "country": "US"},
        "queues": {"q1": {"key": "q1", "queue_id": "qid-1", "name": "Q1"}},
        "lines_of_business": {"lob": {"key": "lob", "name": "LOB"}},
        "entry_points": {
            key: {"key": key, "dialed_number": f"+1800555{i:04d}", "line_of_business": "lob", "ruleset": key}
            for i, key in enumerate(rulesets)
        },
        "schedules": {},
        "rulesets": {
            key: {
                "key": key,
                "rules": [
                    {"id": f"{key}-{i}", "when": w, "then": {"classification": "c", "queue": "q1"}}
                    for i, w in enumerate(rules)
                ],
                "default": {"classification": "default", "queue": "q1"},
            }
            for key, rules in rulesets.items()
        },
    }


def half_pinned(n: int) -> list[dict[str, Any]]:
    """n rules: every other one pins its own intent, the others pin nothing the index can use (worst case for
    per-value buckets: each value's list would repeat every unpinned rule)."""
    return [
        {"field": "attributes.intent", "op": "equals", "value": f"i{i}"}
        if i % 2 == 0
        else {"field": "attributes.segment", "op": "prefix", "value": f"s{i}"}
        for i in range(n)
    ]


def peak_bytes_per_rule(n: int) -> float:
    doc = document({"rs": half_pinned(n)})
    tracemalloc.start()
    try:
        CompiledConfig.compile(doc, eager=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / n


def test_compile_memory_per_rule_does_not_grow_with_the_ruleset() -> None:
    # Given rulesets of 500 and 4,000 rules, half pinning distinct values and half unpinned
    small, large = peak_bytes_per_rule(500), peak_bytes_per_rule(4000)
    # Then compiling 8x the rules costs about 8x the memory, not 64x: no per-value copy of the unpinned rules
    # (that quadratic structure was also the quadratic compile time; memory is the deterministic witness).
    assert large / small < 1.5, (small, large)


def test_index_lists_hold_each_rule_once_per_value_it_pins() -> None:
    ruleset = CompiledConfig.compile(document({"rs": half_pinned(400)})).rulesets["rs"]
    assert ruleset.index is not None
    entries = sum(len(v) for v in ruleset.index.pinned.values()) + sum(len(v) for v in ruleset.index.unpinned)
    assert entries <= 2 * 400
    # and the merged candidates are still in rule order, pinned rule first where it comes first
    assert [r.order for r in ruleset.candidates("i4", True)] == [1, 3, 4, *range(5, 400, 2)]


def test_rulesets_compile_on_first_use_only() -> None:
    # Given a version with three rulesets
    doc = document({name: half_pinned(10) for name in ("a", "b", "c")})
    compiled = CompiledConfig.compile(doc)
    assert isinstance(compiled.rulesets, LazyRulesets)
    assert compiled.rulesets.compiled_keys() == frozenset()
    assert compiled.rule_count == 30
    # When one call comes in on ruleset b's entry point
    decision = decide(ContactRequest(dialed_number="+18005550001", attributes={"intent": "i2"}), compiled, now=NOW)
    # Then only b was compiled, and it decided
    assert (decision.ruleset, decision.rule_id) == ("b", "b-2")
    assert compiled.rulesets.compiled_keys() == {"b"}
    assert compiled.rulesets["b"] is compiled.rulesets["b"]  # compiled once, kept


def test_eager_compile_builds_every_ruleset_now() -> None:
    doc = document({name: half_pinned(10) for name in ("a", "b", "c")})
    eager = CompiledConfig.compile(doc, eager=True)
    assert isinstance(eager.rulesets, LazyRulesets)
    assert eager.rulesets.compiled_keys() == {"a", "b", "c"}
    lazy = CompiledConfig.compile(doc)
    lazy.precompile()
    assert lazy.rulesets.compiled_keys() == {"a", "b", "c"}  # type: ignore[attr-defined]


def test_a_ruleset_that_fails_to_compile_is_never_half_visible_and_not_recompiled() -> None:
    # Given an unvalidated document (a baked file edited by hand) whose ruleset b has a broken rule at the end
    doc = document({"a": half_pinned(3), "b": [*half_pinned(5), {"field": "nonsense", "op": "equals", "value": 1}]})
    compiled = CompiledConfig.compile(doc)  # rulesets are not compiled yet: the version loads
    builds: list[str] = []
    inner = compiled.rulesets._build  # type: ignore[attr-defined]

    def counting(key: str, spec: Any) -> Any:
        builds.append(key)
        return inner(key, spec)

    compiled.rulesets._build = counting  # type: ignore[attr-defined]
    # When b is used twice
    for _ in range(2):
        with pytest.raises(
            RulesetUnusableError,
            match=r"ruleset 'b' does not compile: rulesets\.b\.rules\[5\]\.when\.field: .*'nonsense'",
        ):
            compiled.rulesets["b"]
    # Then it was compiled once, nothing of it is visible, and the other ruleset still works
    assert builds == ["b"]
    assert "b" not in compiled.rulesets.compiled_keys()  # type: ignore[attr-defined]
    assert compiled.rulesets["a"].key == "a"
    with pytest.raises(RulesetUnusableError):
        CompiledConfig.compile(doc, eager=True)


def test_a_missing_ruleset_is_a_key_error_like_a_dict() -> None:
    compiled = CompiledConfig.compile(document({"a": []}))
    with pytest.raises(KeyError):
        compiled.rulesets["zzz"]
    assert list(compiled.rulesets) == ["a"]
    assert len(compiled.rulesets) == 1


def test_more_rules_than_the_cap_are_refused_at_compile_naming_ruleset_count_and_cap() -> None:
    rules = [None] * (MAX_RULES_PER_RULESET + 1)
    doc = document({"big": rules})  # type: ignore[dict-item]
    with pytest.raises(RuleError) as caught:
        CompiledConfig.compile(doc)  # refused up front, before any ruleset is compiled
    message = str(caught.value)
    assert caught.value.path == "rulesets.big.rules"
    assert "'big'" in message
    assert str(MAX_RULES_PER_RULESET + 1) in message
    assert f"cap of {MAX_RULES_PER_RULESET}" in message
    doc["rulesets"]["big"]["rules"].pop()
    assert CompiledConfig.compile(doc, eager=True).rule_count == MAX_RULES_PER_RULESET


def test_a_default_queue_that_is_not_a_queue_is_refused_naming_it() -> None:
    doc = document({"a": []})
    doc["defaults"]["default_queue"] = "nope"
    with pytest.raises(KeyError, match=r"defaults\.default_queue 'nope' is not a queue"):
        CompiledConfig.compile(doc)


def test_a_version_compiled_without_its_identity_names_none() -> None:
    compiled = CompiledConfig.compile(document({"a": []}))
    assert (compiled.version, compiled.content_hash, compiled.published_at) == ("", "", "")
    assert compiled.error_message == ""  # no defaults.error_message: the flow plays its own
    named = CompiledConfig.compile(document({"a": []}), version="v7", content_hash="c0ffee", published_at="t")
    assert (named.version, named.content_hash, named.published_at) == ("v7", "c0ffee", "t")


def test_each_queue_knows_its_line_of_business(sample_compiled: CompiledConfig) -> None:
    assert sample_compiled.queue_line_of_business["cards_general"] == "cards"
    assert "general_default" not in sample_compiled.queue_line_of_business  # a queue on no line


def test_a_language_without_a_voice_names_none_and_no_prompts() -> None:
    doc = document({"a": []})
    doc["defaults"]["languages"] = {"fr-CA": {}}
    assert CompiledConfig.compile(doc).languages["fr-CA"] == ("", {})
