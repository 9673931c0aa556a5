"""Behaviours a mutation run showed no test pinned down (issue 17): each test here fails if its behaviour breaks.

- ``local_time`` is a time-of-day field: ``equals "08:00"`` matches at 08:00 exactly, and string operators on it are
  refused when the rule is compiled (validation), not on every call.
- Callback policy inheritance: a queue without its own policy takes its line of business's; a queue with its own
  keeps it, even when its line of business names another one.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from routing.common.contact import ContactRequest
from routing.route.compiled import CompiledConfig
from routing.route.conditions import compile_condition
from routing.route.context import DecisionContext
from routing.route.rules import RuleError
from tests.conftest import FakeMetrics

NEW_YORK = ZoneInfo("America/New_York")
QUEUE_IDS = {"general": "qid-general"}


def at_new_york(hour: int, minute: int) -> DecisionContext:
    """A decision context whose local time at the entry point (New York, EST in November) is hour:minute."""
    now = datetime(2026, 11, 24, 5, 0, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)  # 00:00 EST + h:m
    contact = ContactRequest(contact_id="c-1", channel="VOICE", customer_number="+12125550187")
    return DecisionContext(contact, entry=None, zone=NEW_YORK, now=now, metrics=FakeMetrics(), default_region="US")


def holds(condition: dict[str, Any], ctx: DecisionContext) -> bool:
    predicate, _ = compile_condition(condition, "when", QUEUE_IDS)
    return predicate(ctx)


# --- local_time is a time field ------------------------------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute", "expected"), [(8, 0, True), (8, 1, False), (7, 59, False), (20, 0, False)])
def test_local_time_equals_matches_that_minute_only(hour: int, minute: int, expected: bool) -> None:
    assert holds({"field": "local_time", "op": "equals", "value": "08:00"}, at_new_york(hour, minute)) is expected
    assert holds({"field": "local_time", "op": "not_equals", "value": "08:00"}, at_new_york(hour, minute)) is (
        not expected
    )


def test_local_time_in_a_list_of_times_is_refused_like_any_string_operator() -> None:
    with pytest.raises(RuleError, match="does not apply to numeric field") as err:
        compile_condition({"field": "local_time", "op": "in", "value": ["08:00", "09:00"]}, "when", QUEUE_IDS)
    assert err.value.path == "when.op"


@pytest.mark.parametrize(("op", "value"), [("prefix", "08"), ("suffix", "00"), ("contains", ":"), ("regex", "^08")])
def test_string_operators_on_local_time_are_refused_at_validation(op: str, value: str) -> None:
    with pytest.raises(RuleError, match="does not apply to numeric field") as err:
        compile_condition({"field": "local_time", "op": op, "value": value}, "when", QUEUE_IDS)
    assert err.value.path == "when.op"


# --- callback policy inheritance -----------------------------------------------------------------------------


def _queue(document: dict[str, Any], key: str) -> dict[str, Any]:
    queue: dict[str, Any] = document["queues"][key]
    return queue


def test_a_queue_without_its_own_policy_inherits_its_line_of_business_policy(sample_document: dict[str, Any]) -> None:
    document = copy.deepcopy(sample_document)
    lob = document["lines_of_business"]["cards"]
    lob["callback_policy"] = "collections_voice"  # differs from every cards queue's own policy
    _queue(document, "cards_general").pop("callback_policy", None)
    compiled = CompiledConfig.compile(document, version="v-test")
    assert compiled.queue_callback_policy["cards_general"] == "collections_voice"


def test_a_queue_with_its_own_policy_keeps_it_over_its_line_of_business(sample_document: dict[str, Any]) -> None:
    document = copy.deepcopy(sample_document)
    lob = document["lines_of_business"]["cards"]
    assert lob["callback_policy"] == "standard_voice"
    _queue(document, "cards_balance")["callback_policy"] = "collections_voice"
    compiled = CompiledConfig.compile(document, version="v-test")
    assert compiled.queue_callback_policy["cards_balance"] == "collections_voice"
    assert compiled.queue_callback_policy["cards_general"] == _queue(document, "cards_general").get(
        "callback_policy", "standard_voice"
    )
