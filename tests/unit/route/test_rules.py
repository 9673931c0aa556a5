"""Rule conditions (routing.route.rules): every operator, unknown values, nesting, derived fields, malformed conditions.

Conditions are compiled with ``compile_condition`` and evaluated against the engine's real ``DecisionContext``
(pure: local time, caller country and metrics come from the contact, a fixed instant and a fake metrics view).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from routing.common.contact import ContactRequest
from routing.route.conditions import compile_condition
from routing.route.context import DecisionContext
from routing.route.rules import RuleError
from tests.conftest import FakeMetrics

QUEUE_IDS = {"general": "qid-general", "vip": "qid-vip"}
# Tuesday 2026-11-24 15:30 UTC = 10:30 in New York (EST), 07:30 in Los Angeles, Wednesday 04:30 in Auckland.
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def context(
    *,
    attributes: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
    caller: str = "+12125550187",
    dialed: str = "+18005550100",
    channel: str = "VOICE",
    initiation_method: str = "INBOUND",
    metrics: FakeMetrics | None = None,
    zone: ZoneInfo = NEW_YORK,
    now: datetime = NOW,
    default_region: str = "US",
) -> DecisionContext:
    contact = ContactRequest(
        contact_id="c-1",
        channel=channel,
        initiation_method=initiation_method,
        customer_number=caller,
        dialed_number=dialed,
        attributes=attributes or {},
        parameters=parameters or {},
        language="en-US",
    )
    return DecisionContext(
        contact, entry=None, zone=zone, now=now, metrics=metrics or FakeMetrics(), default_region=default_region
    )


def holds(condition: dict[str, Any], ctx: DecisionContext) -> bool:
    predicate, _ = compile_condition(condition, "when", QUEUE_IDS)
    result = predicate(ctx)
    assert isinstance(result, bool)
    return result


def attr(op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    spec = {"field": "attributes.x", "op": op, **extra}
    if value is not None:
        spec["value"] = value
    return spec


# --- operators on a string field -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("equals", "gold", "gold", True),
        ("equals", "gold", "Gold", False),  # case-sensitive
        ("equals", "gold", "gold ", False),  # exact, no trimming at run time
        ("equals", 7, "7", True),  # a number in config compares as its text
        ("not_equals", "gold", "silver", True),
        ("not_equals", "gold", "gold", False),
        ("in", ["a", "b"], "b", True),
        ("in", ["a", "b"], "c", False),
        ("in", [1, 2], "2", True),
        ("not_in", ["a", "b"], "c", True),
        ("not_in", ["a", "b"], "a", False),
        ("prefix", "+1212", "+12125550187", True),
        ("prefix", "+1646", "+12125550187", False),
        ("prefix", ["+44", "+1212"], "+12125550187", True),  # a list: any prefix matches
        ("prefix", ["+44", "+1646"], "+12125550187", False),
        ("prefix", "555", "+12125550187", False),  # contained, but not at the start
        ("suffix", "0187", "+12125550187", True),
        ("suffix", "+1212", "+12125550187", False),  # contained (and a prefix), but not at the end
        ("suffix", ["99", "88"], "+12125550187", False),
        ("contains", "555", "+12125550187", True),
        ("contains", ["xyz", "5550"], "+12125550187", True),
        ("contains", "777", "+12125550187", False),
        ("regex", "^VIP-[0-9]{4}$", "VIP-1234", True),
        ("regex", "^VIP-[0-9]{4}$", "VIP-12345", False),
        ("regex", "[0-9]{3}", "abc123def", True),  # search anywhere unless anchored
        ("regex", "^(platinum|black)(_.*)?$", "black_card", True),
        ("regex", "^(platinum|black)(_.*)?$", "gold", False),
    ],
)
def test_string_operator_on_a_string_field(op: str, value: Any, actual: str, expected: bool) -> None:
    # Given an attribute with a value, When the comparison runs, Then it answers by the operator's meaning.
    assert holds(attr(op, value), context(attributes={"x": actual})) is expected


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("gt", 90, "91", True),
        ("gt", 90, "90", False),
        ("gte", 90, "90", True),
        ("gte", 90, "89.99", False),
        ("lt", 1, "0.5", True),
        ("lt", 1, "1", False),
        ("lte", 1, "1", True),
        ("lte", 1, "2", False),
        ("between", [1, 90], "1", True),  # inclusive at both ends
        ("between", [1, 90], "90", True),
        ("between", [1, 90], "0", False),
        ("between", [1, 90], "90.5", False),
        ("gt", -5, "-4", True),
        ("gt", "100", "150", True),  # a numeric string in config is a number too
        ("gte", 800, "1e3", True),
    ],
)
def test_numeric_operator_on_a_string_field_compares_numbers(op: str, value: Any, actual: str, expected: bool) -> None:
    # "100" < "90" as text, but 100 > 90 as numbers: the comparison must be numeric.
    assert holds(attr(op, value), context(attributes={"x": actual})) is expected


def test_numeric_comparison_is_numeric_not_lexicographic() -> None:
    ctx = context(attributes={"x": "100"})
    assert holds(attr("gt", 90), ctx) is True
    assert holds(attr("lt", 90), ctx) is False


@pytest.mark.parametrize("when_unknown", [False, True])
@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte"])
def test_a_value_that_is_not_a_number_is_unknown_to_numeric_operators(op: str, when_unknown: bool) -> None:
    ctx = context(attributes={"x": "not a number"})
    assert holds(attr(op, 5, when_unknown=when_unknown), ctx) is when_unknown


@pytest.mark.parametrize(
    ("field", "value", "ctx_kwargs"),
    [
        ("channel", "CHAT", {"channel": "CHAT"}),
        ("initiation_method", "TRANSFER", {"initiation_method": "TRANSFER"}),
        ("dialed_number", "+18005550102", {"dialed": "+18005550102"}),
        ("caller_number", "+447400123456", {"caller": "+447400123456"}),
        ("parameters.entry_key", "cards_web_chat", {"parameters": {"entry_key": "cards_web_chat"}}),
        ("attributes.crm_segment", "gold", {"attributes": {"crm_segment": "gold"}}),
    ],
)
def test_each_contact_field_is_read_from_its_own_place(field: str, value: str, ctx_kwargs: dict[str, Any]) -> None:
    # Given a contact whose field has the value, Then equals holds; a contact without it does not match.
    assert holds({"field": field, "op": "equals", "value": value}, context(**ctx_kwargs)) is True
    assert holds({"field": field, "op": "equals", "value": value}, context()) is False


def test_entry_point_line_of_business_and_language_come_from_the_entry() -> None:
    from routing.route.compiled import EntryPoint

    entry = EntryPoint("cards_espanol", "cards", "es-US", "cards", None)
    ctx = DecisionContext(
        ContactRequest(language="en-US"),
        entry=entry,
        zone=NEW_YORK,
        now=NOW,
        metrics=FakeMetrics(),
        default_region="US",
    )
    assert holds({"field": "entry_point", "op": "equals", "value": "cards_espanol"}, ctx) is True
    assert holds({"field": "line_of_business", "op": "equals", "value": "cards"}, ctx) is True
    assert holds({"field": "language", "op": "equals", "value": "es-US"}, ctx) is True  # the entry's, not the contact's


def test_op_defaults_to_equals() -> None:
    assert holds({"field": "attributes.x", "value": "a"}, context(attributes={"x": "a"})) is True
    assert holds({"field": "attributes.x", "value": "a"}, context(attributes={"x": "b"})) is False


# --- operators on a numeric field (live metrics) -------------------------------------------------------------

WAITING = "metrics.general.contacts_in_queue"


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("equals", 5, 5.0, True),
        ("equals", "5", 5.0, True),
        ("equals", 5, 6.0, False),
        ("not_equals", 5, 6.0, True),
        ("not_equals", 5, 5.0, False),
        ("gt", 5, 6.0, True),
        ("gt", 5, 5.0, False),
        ("gte", 5, 5.0, True),
        ("lt", 5, 4.0, True),
        ("lt", 5, 5.0, False),
        ("lte", 5, 5.0, True),
        ("between", [2, 5], 2.0, True),
        ("between", [2, 5], 5.0, True),
        ("between", [2, 5], 5.5, False),
        ("gt", 0, 0.0, False),  # a known zero is a real zero
        ("lte", 0, 0.0, True),
    ],
)
def test_operator_on_a_metric(op: str, value: Any, actual: float, expected: bool) -> None:
    metrics = FakeMetrics({("qid-general", "contacts_in_queue"): actual})
    assert holds({"field": WAITING, "op": op, "value": value}, context(metrics=metrics)) is expected


def test_a_metric_is_read_for_the_named_queue_and_the_contacts_channel() -> None:
    metrics = FakeMetrics(
        {("qid-vip", "agents_available"): 0.0},
        channel_values={("qid-vip", "agents_available", "CHAT"): 3.0},
    )
    cond = {"field": "metrics.vip.agents_available", "op": "gt", "value": 0}
    assert holds(cond, context(metrics=metrics, channel="VOICE")) is False
    assert holds(cond, context(metrics=metrics, channel="CHAT")) is True
    assert ("qid-vip", "agents_available", "CHAT") in metrics.reads
    assert all(queue_id == "qid-vip" for queue_id, _, _ in metrics.reads)


def test_exists_on_a_metric() -> None:
    known = FakeMetrics({("qid-general", "contacts_in_queue"): 0.0})
    assert holds({"field": WAITING, "op": "exists"}, context(metrics=known)) is True
    assert holds({"field": WAITING, "op": "exists"}, context()) is False
    assert holds({"field": WAITING, "op": "exists", "value": False}, context()) is True


@pytest.mark.parametrize("op", ["in", "not_in", "prefix", "suffix", "contains", "regex"])
def test_string_operators_do_not_apply_to_numeric_fields(op: str) -> None:
    value = ["1"] if op in ("in", "not_in") else "1"
    with pytest.raises(RuleError, match="does not apply to numeric field") as err:
        compile_condition({"field": WAITING, "op": op, "value": value}, "when", QUEUE_IDS)
    assert err.value.path == "when.op"


# --- unknown values: when_unknown for every operator ---------------------------------------------------------

STRING_FIELD_OPS: list[tuple[str, Any]] = [
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
NUMERIC_FIELD_OPS: list[tuple[str, Any]] = [
    ("equals", 1),
    ("not_equals", 1),
    ("gt", 1),
    ("gte", 1),
    ("lt", 1),
    ("lte", 1),
    ("between", [1, 2]),
]
UNKNOWN_STRING_FIELDS = [
    ("attributes.absent", {}),
    ("attributes.empty", {"attributes": {"empty": ""}}),  # Connect sends "" for an attribute set to nothing
    ("parameters.absent", {}),
    ("caller_number", {"caller": "anonymous"}),
    ("caller_number", {"caller": ""}),
    ("caller_country", {"caller": "anonymous"}),
    ("caller_country", {"caller": "Restricted"}),
    ("caller_country", {"caller": "not-a-number"}),
    ("initiation_method", {"initiation_method": ""}),
]


@pytest.mark.parametrize("when_unknown", [False, True])
@pytest.mark.parametrize(("op", "value"), STRING_FIELD_OPS)
@pytest.mark.parametrize(("field", "ctx_kwargs"), UNKNOWN_STRING_FIELDS)
def test_every_operator_on_an_unknown_string_field_returns_when_unknown(
    field: str, ctx_kwargs: dict[str, Any], op: str, value: Any, when_unknown: bool
) -> None:
    # Given a field with no value, When any operator compares it, Then the answer is when_unknown — never a guess
    # (not_equals/not_in would be True and a guessed "" would match prefix/contains).
    cond = {"field": field, "op": op, "value": value, "when_unknown": when_unknown}
    assert holds(cond, context(**ctx_kwargs)) is when_unknown


@pytest.mark.parametrize("when_unknown", [False, True])
@pytest.mark.parametrize(("op", "value"), NUMERIC_FIELD_OPS)
def test_every_operator_on_an_unknown_metric_returns_when_unknown(op: str, value: Any, when_unknown: bool) -> None:
    # An unknown metric is not zero: "gt 1" false and "lt 1" true would both be guesses.
    cond = {"field": WAITING, "op": op, "value": value, "when_unknown": when_unknown}
    assert holds(cond, context(metrics=FakeMetrics())) is when_unknown


@pytest.mark.parametrize("op", ["gt", "lt"])
def test_when_unknown_defaults_to_false(op: str) -> None:
    assert holds({"field": WAITING, "op": op, "value": 1}, context()) is False
    assert holds({"field": "attributes.absent", "op": "not_equals", "value": "a"}, context()) is False


@pytest.mark.parametrize("when_unknown", [False, True])
@pytest.mark.parametrize(("field", "ctx_kwargs"), [*UNKNOWN_STRING_FIELDS, (WAITING, {})])
def test_exists_answers_presence_whatever_when_unknown_says(
    field: str, ctx_kwargs: dict[str, Any], when_unknown: bool
) -> None:
    ctx = context(**ctx_kwargs)
    assert holds({"field": field, "op": "exists", "when_unknown": when_unknown}, ctx) is False
    assert holds({"field": field, "op": "exists", "value": False, "when_unknown": when_unknown}, ctx) is True


def test_exists_on_a_present_value() -> None:
    ctx = context(attributes={"alert_id": "AL1"})
    assert holds({"field": "attributes.alert_id", "op": "exists"}, ctx) is True
    assert holds({"field": "attributes.alert_id", "op": "exists", "value": True}, ctx) is True
    assert holds({"field": "attributes.alert_id", "op": "exists", "value": False}, ctx) is False


# --- all / any / not -----------------------------------------------------------------------------------------

NESTED = {
    "all": [
        {
            "any": [
                {"field": "attributes.a", "op": "equals", "value": "1"},
                {"field": "channel", "op": "equals", "value": "CHAT"},
            ]
        },
        {"not": {"field": "attributes.b", "op": "exists"}},
        {"all": [{"field": "attributes.c", "op": "not_equals", "value": "x", "when_unknown": True}]},
    ]
}


@pytest.mark.parametrize(
    ("attributes", "channel", "expected"),
    [
        ({"a": "1"}, "VOICE", True),
        ({"a": "1", "b": "present"}, "VOICE", False),  # not(exists b) fails
        ({"a": "2"}, "CHAT", True),  # the any's second branch
        ({"a": "2"}, "VOICE", False),  # neither branch of the any
        ({"a": "1", "c": "x"}, "VOICE", False),  # the inner all fails
        ({"a": "1", "c": "y"}, "VOICE", True),
    ],
)
def test_all_any_not_nest(attributes: dict[str, str], channel: str, expected: bool) -> None:
    assert holds(NESTED, context(attributes=attributes, channel=channel)) is expected


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_all_and_any_of_every_size(size: int) -> None:
    # The compiler specialises small lists; each size must keep all = every, any = at least one.
    leaves = [{"field": f"attributes.k{i}", "op": "equals", "value": "y"} for i in range(size)]
    every = {f"k{i}": "y" for i in range(size)}
    all_but_last = {f"k{i}": "y" for i in range(size - 1)}
    only_last = {f"k{size - 1}": "y"}
    assert holds({"all": leaves}, context(attributes=every)) is True
    assert holds({"all": leaves}, context(attributes=all_but_last)) is False
    assert holds({"any": leaves}, context(attributes=only_last)) is True
    assert holds({"any": leaves}, context(attributes={})) is False


def test_not_inverts_an_unknown_comparison_result() -> None:
    # not(x == "a") with x unknown: the inner comparison is when_unknown (False), so the not is True.
    assert holds({"not": attr("equals", "a")}, context()) is True
    assert holds({"not": attr("equals", "a", when_unknown=True)}, context()) is False


def test_no_condition_always_holds() -> None:
    predicate, leaves = compile_condition(None, "when", QUEUE_IDS)
    assert predicate(context()) is True
    assert leaves == []


# --- local time, day and date at the entry point's time zone -------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "window", "expected"),
    [
        ("America/New_York", ["10:00", "11:00"], True),  # 10:30 local
        ("America/New_York", ["11:00", "12:00"], False),
        ("America/Los_Angeles", ["07:00", "08:00"], True),  # 07:30 local
        ("America/Los_Angeles", ["10:00", "11:00"], False),
        ("Asia/Kolkata", ["21:00", "21:05"], True),  # UTC+5:30 → 21:00
        ("UTC", ["15:30", "15:30"], True),
    ],
)
def test_local_time_is_read_in_the_entry_zone(zone: str, window: list[str], expected: bool) -> None:
    cond = {"field": "local_time", "op": "between", "value": window}
    assert holds(cond, context(zone=ZoneInfo(zone))) is expected


def test_local_time_comparisons_and_midnight() -> None:
    ctx = context()  # 10:30 New York
    assert holds({"field": "local_time", "op": "gte", "value": "10:30"}, ctx) is True
    assert holds({"field": "local_time", "op": "lt", "value": "10:30"}, ctx) is False
    assert holds({"field": "local_time", "op": "lt", "value": "24:00"}, ctx) is True
    just_after_midnight = context(now=datetime(2026, 11, 24, 5, 1, tzinfo=UTC))  # 00:01 New York
    assert holds({"field": "local_time", "op": "lt", "value": "00:05"}, just_after_midnight) is True


@pytest.mark.parametrize(
    ("zone", "day", "date"),
    [
        ("America/New_York", "tue", "2026-11-24"),
        ("Pacific/Auckland", "wed", "2026-11-25"),  # UTC+13 in November: already Wednesday
        ("Pacific/Honolulu", "tue", "2026-11-24"),
    ],
)
def test_local_day_and_date_follow_the_zone(zone: str, day: str, date: str) -> None:
    ctx = context(zone=ZoneInfo(zone))
    assert holds({"field": "local_day", "op": "equals", "value": day}, ctx) is True
    assert holds({"field": "local_date", "op": "equals", "value": date}, ctx) is True
    assert holds({"field": "local_day", "op": "in", "value": ["sat", "sun"]}, ctx) is False


def test_local_day_late_evening_is_still_the_local_day() -> None:
    # 2026-11-25 03:30 UTC is Wednesday in UTC but Tuesday 22:30 in New York.
    ctx = context(now=datetime(2026, 11, 25, 3, 30, tzinfo=UTC))
    assert holds({"field": "local_day", "op": "equals", "value": "tue"}, ctx) is True
    assert holds({"field": "local_date", "op": "prefix", "value": "2026-11-24"}, ctx) is True


# --- caller country ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "region", "country"),
    [
        ("+447400123456", "US", "GB"),
        ("+12125550187", "US", "US"),
        ("+14165550187", "US", "CA"),
        ("+33612345678", "US", "FR"),
        ("2125550187", "US", "US"),  # a national number is read in the line of business's country
    ],
)
def test_caller_country_from_the_number(caller: str, region: str, country: str) -> None:
    ctx = context(caller=caller, default_region=region)
    assert holds({"field": "caller_country", "op": "equals", "value": country}, ctx) is True
    assert holds({"field": "caller_country", "op": "not_in", "value": [country]}, ctx) is False


@pytest.mark.parametrize(
    "caller",
    [
        "anonymous",
        "ANONYMOUS",
        "restricted",
        "private",
        "unknown",
        "",
        "abc",
        "+80012345678",  # international freephone: a valid number with no country (phonenumbers says "001")
        "+881612345678",  # satellite
    ],
)
def test_anonymous_or_unparseable_caller_has_unknown_country(caller: str) -> None:
    ctx = context(caller=caller)
    # not_in [US, CA] would be True for a guessed country; unknown takes when_unknown instead.
    assert holds({"field": "caller_country", "op": "not_in", "value": ["US", "CA"]}, ctx) is False
    assert holds({"field": "caller_country", "op": "not_in", "value": ["US"], "when_unknown": True}, ctx) is True
    assert holds({"field": "caller_country", "op": "exists"}, ctx) is False


# --- RE2 -----------------------------------------------------------------------------------------------------


def test_catastrophic_backtracking_pattern_completes_with_re2() -> None:
    # (a+)+$ on "aaaa…b" takes exponential time on a backtracking engine; RE2 answers in linear time.
    cond = attr("regex", "(a+)+$")
    assert holds(cond, context(attributes={"x": "a" * 50_000 + "b"})) is False
    assert holds(cond, context(attributes={"x": "a" * 50_000})) is True


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?<=a)b"])
def test_backtracking_only_syntax_is_refused(pattern: str) -> None:
    # Backreferences and lookarounds need backtracking; RE2 refuses them at compile (publish) time.
    with pytest.raises(RuleError, match="invalid regex") as err:
        compile_condition(attr("regex", pattern), "when", QUEUE_IDS)
    assert err.value.path == "when.value"


@pytest.mark.parametrize("pattern", ["", None, 5, ["^a"]])
def test_a_regex_without_a_pattern_string_is_refused_with_the_reason(pattern: object) -> None:
    with pytest.raises(RuleError) as err:
        compile_condition(attr("regex", pattern), "when", QUEUE_IDS)
    assert (err.value.path, err.value.message) == ("when.value", "regex takes a non-empty pattern string")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1], "between takes a list [low, high]"),
        (["x", 5], "expected a number, got 'x'"),
        ([1, "y"], "expected a number, got 'y'"),
    ],
)
def test_a_bad_between_is_refused_at_its_value_with_the_exact_reason(value: object, message: str) -> None:
    with pytest.raises(RuleError) as err:
        compile_condition(attr("between", value), "when", QUEUE_IDS)
    assert (err.value.path, err.value.message) == ("when.value", message)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("", "field must be a non-empty string"),
        ("attributes.", "field 'attributes.' needs a name after 'attributes.'"),
        ("parameters.", "field 'parameters.' needs a name after 'parameters.'"),
    ],
)
def test_a_field_without_a_name_is_refused_with_the_exact_reason(field: str, message: str) -> None:
    with pytest.raises(RuleError) as err:
        compile_condition({"field": field, "op": "exists"}, "when", QUEUE_IDS)
    assert (err.value.path, err.value.message) == ("when.field", message)


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        (attr("equals", "a", when_unknown="no"), "when.when_unknown", "must be true or false"),
        (attr("exists", "yes"), "when.value", "exists takes true or false"),
    ],
)
def test_a_flag_that_is_not_true_or_false_is_refused_with_the_exact_reason(
    condition: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(RuleError) as err:
        compile_condition(condition, "when", QUEUE_IDS)
    assert (err.value.path, err.value.message) == (path, message)


def test_an_unknown_field_is_refused_listing_every_kind_of_field() -> None:
    with pytest.raises(RuleError) as err:
        compile_condition({"field": "colour", "op": "exists"}, "when", QUEUE_IDS)
    assert err.value.message.startswith("unknown field 'colour' (use one of [")
    assert err.value.message.endswith("], attributes.<name>, parameters.<name>, metrics.<queue>.<metric>)")


def test_a_condition_that_is_not_a_mapping_is_refused_and_any_mapping_is_accepted() -> None:
    from types import MappingProxyType

    with pytest.raises(RuleError) as err:
        compile_condition(["field", "channel"], "when", QUEUE_IDS)
    assert err.value.message == "a condition is a mapping with one of: all, any, not, field"
    read_only = MappingProxyType({"field": "attributes.x", "op": "equals", "value": "a"})
    assert holds(read_only, context(attributes={"x": "a"})) is True  # type: ignore[arg-type]


# --- malformed conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ({"field": "nonsense", "op": "equals", "value": "x"}, "R.field", "unknown field 'nonsense'"),
        ({"field": "", "op": "equals", "value": "x"}, "R.field", "non-empty string"),
        ({"field": 5, "op": "equals", "value": "x"}, "R.field", "non-empty string"),
        ({"field": "attributes.", "op": "equals", "value": "x"}, "R.field", "needs a name"),
        ({"field": "attributes.x", "op": "like", "value": "x"}, "R.op", "unknown operator 'like'"),
        ({"field": "attributes.x", "op": "regex", "value": "(unclosed"}, "R.value", "invalid regex"),
        ({"field": "attributes.x", "op": "regex", "value": ""}, "R.value", "non-empty pattern"),
        ({"field": "attributes.x", "op": "regex", "value": ["a"]}, "R.value", "non-empty pattern"),
        ({"field": "attributes.x", "op": "between", "value": [5, 1]}, "R.value", "low 5 is above high 1"),
        ({"field": "attributes.x", "op": "between", "value": [1]}, "R.value", r"\[low, high\]"),
        ({"field": "attributes.x", "op": "between", "value": "1-5"}, "R.value", r"\[low, high\]"),
        ({"field": "local_time", "op": "between", "value": ["18:00", "08:00"]}, "R.value", "above high"),
        ({"field": "attributes.x", "op": "equals", "value": ["a", "b"]}, "R.value", "use 'in'"),
        ({"field": "attributes.x", "op": "not_equals", "value": ["a"]}, "R.value", "use 'in'"),
        ({"field": "attributes.x", "op": "equals"}, "R.value", "expected a string"),
        ({"field": "attributes.x", "op": "in", "value": "a"}, "R.value", "takes a list"),
        ({"field": "attributes.x", "op": "in", "value": []}, "R.value", "non-empty list"),
        ({"field": "attributes.x", "op": "prefix", "value": {"a": 1}}, "R.value", "expected a string"),
        ({"field": "attributes.x", "op": "gt", "value": "many"}, "R.value", "expected a number"),
        ({"field": "attributes.x", "op": "gt", "value": True}, "R.value", "expected a number"),
        ({"field": "attributes.x", "op": "exists", "value": "yes"}, "R.value", "true or false"),
        ({"field": "attributes.x", "op": "equals", "value": "a", "when_unknown": "no"}, "R.when_unknown", "true"),
        ({"field": "attributes.x", "op": "equals", "value": "a", "extra": 1}, "R", "unknown keys"),
        ({"field": "metrics.nope.agents_available", "op": "gt", "value": 1}, "R.field", "unknown queue 'nope'"),
        ({"field": "metrics.general.happiness", "op": "gt", "value": 1}, "R.field", "metric must be one of"),
        ({"field": "metrics.general", "op": "gt", "value": 1}, "R.field", "metric must be one of"),
        ({"field": "local_time", "op": "gt", "value": "25:99"}, "R.value", "HH:MM"),
        ({"field": "local_time", "op": "gt", "value": 1030}, "R.value", "HH:MM"),
        ({"field": "local_time", "op": "lt", "value": "24:30"}, "R.value", "HH:MM"),  # 24:00 is the only 24:xx
        ("not a mapping", "R", "a condition is a mapping"),
        ({"all": [], "any": []}, "R", "exactly one of all/any/not/field"),
        ({"every": []}, "R", "exactly one of all/any/not/field"),
        ({}, "R", "exactly one of all/any/not/field"),
        ({"all": []}, "R.all", "non-empty list"),
        ({"any": {"field": "channel"}}, "R.any", "non-empty list"),
        ({"not": {"field": "attributes.x", "op": "bogus"}}, "R.not.op", "unknown operator"),
        (
            {"all": [attr("equals", "a"), {"any": [attr("equals", "b"), attr("gt", "x")]}]},
            "R.all[1].any[1].value",
            "expected a number",
        ),
    ],
)
def test_malformed_condition_raises_rule_error_with_path(condition: Any, path: str, message: str) -> None:
    # Given a broken condition at path "R", Then compiling names where (the exact sub-path) and why.
    with pytest.raises(RuleError, match=message) as err:
        compile_condition(condition, "R", QUEUE_IDS)
    assert err.value.path == path
    assert str(err.value).startswith(f"{path}: ")
