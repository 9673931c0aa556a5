"""``engine.decide`` on the sample contact centre (config/) and on small documents for each fallback condition."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing.common.contact import ContactRequest
from routing.route.decision import RoutingDecision
from routing.route.engine import CompiledConfig, decide
from routing.route.reply import to_reply
from tests.conftest import FakeMetrics, queue_id_of
from trunkline.contacts import INSTANCE_ARN, connect_event

TUESDAY_MORNING = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 10:30 New York, 09:30 Chicago, 07:30 Los Angeles
TUESDAY_NIGHT = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 22:30 New York
TUESDAY_EVENING = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 18:30 New York
THANKSGIVING = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
CHRISTMAS_EVE_AFTERNOON = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)  # 14:00 New York, after the 13:00 close
CHRISTMAS_EVE_NOON = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)  # 12:00 New York, inside the special hours
CARDS, CARDS_ES, PLATINUM, FRAUD = "+18005550100", "+18005550101", "+18005550102", "+18005550200"
COLLECTIONS, COMMERCIAL, UK = "+18005550300", "+18005550400", "+442079460000"


def route(
    cfg: CompiledConfig,
    *,
    now: datetime = TUESDAY_MORNING,
    metrics: FakeMetrics | None = None,
    **event: Any,
) -> RoutingDecision:
    contact = ContactRequest.from_event(connect_event(**event))
    return decide(contact, cfg, now=now, metrics=metrics or FakeMetrics())


def metrics_on(document: dict[str, Any], queue_key: str, **values: float) -> FakeMetrics:
    queue_id = queue_id_of(document, queue_key)
    return FakeMetrics({(queue_id, name): value for name, value in values.items()})


# --- finding the entry point ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "entry", "line_of_business", "language"),
    [
        ({"dialed": CARDS}, "cards_main", "cards", "en-US"),
        ({"dialed": CARDS_ES}, "cards_espanol", "cards", "es-US"),
        ({"dialed": FRAUD}, "fraud_main", "fraud", "en-US"),
        ({"dialed": COLLECTIONS}, "collections_main", "collections", "en-US"),
        ({"dialed": UK}, "uk_cards", "cards", "en-GB"),
        ({"channel": "CHAT", "parameters": {"entry_key": "cards_web_chat"}}, "cards_chat_web", "cards", "en-US"),
        ({"channel": "CHAT", "attributes": {"entry_key": "fraud_app_chat"}}, "fraud_chat_app", "fraud", "en-US"),
        (
            {"channel": "TASK", "attributes": {"entry_key": "collections_followup"}},
            "collections_task",
            "collections",
            "en-US",
        ),
    ],
)
def test_entry_point_by_dialed_number_entry_key_parameter_or_attribute(
    sample_compiled: CompiledConfig, event: dict[str, Any], entry: str, line_of_business: str, language: str
) -> None:
    decision = route(sample_compiled, **event)
    assert (decision.entry_point, decision.line_of_business, decision.language) == (entry, line_of_business, language)
    assert decision.status == "ROUTED"
    assert decision.ruleset == line_of_business  # the sample names each ruleset after its line of business


def test_the_entry_key_parameter_wins_over_the_dialed_number_which_wins_over_the_attribute(
    sample_compiled: CompiledConfig,
) -> None:
    both = route(sample_compiled, dialed=CARDS, parameters={"entry_key": "fraud_app_chat"})
    assert both.entry_point == "fraud_chat_app"
    number_and_attribute = route(sample_compiled, dialed=CARDS, attributes={"entry_key": "fraud_app_chat"})
    assert number_and_attribute.entry_point == "cards_main"
    # An unknown parameter does not hide the dialed number.
    assert route(sample_compiled, dialed=CARDS, parameters={"entry_key": "nope"}).entry_point == "cards_main"


@pytest.mark.parametrize(
    "event",
    [
        {"dialed": "+18885550000"},
        {},
        {"channel": "CHAT", "attributes": {"entry_key": "no_such_key"}},
        {"dialed": "18005550100"},  # not the E.164 form the config uses
    ],
)
def test_an_unknown_entry_point_goes_to_the_default_queue(
    sample_compiled: CompiledConfig, event: dict[str, Any]
) -> None:
    decision = route(sample_compiled, **event)
    assert (decision.status, decision.reason, decision.rule_id) == ("DEFAULT", "unknown_entry_point", "default")
    assert decision.queue is not None
    assert decision.queue.key == "general_default"
    assert decision.classification == "unclassified"
    assert decision.config_version == "v000042"


# --- hours: closed, holidays, emergency ----------------------------------------------------------------------


def test_closed_hours_answer_closed_with_the_message(sample_compiled: CompiledConfig) -> None:
    decision = route(sample_compiled, now=TUESDAY_NIGHT, dialed=CARDS, attributes={"ivr_choice": "1"})
    assert (decision.status, decision.reason) == ("CLOSED", "closed:cards_hours")
    assert decision.message == sample_compiled.closed_message  # cards_hours has no message of its own
    assert decision.message.startswith("Thank you for calling Northwind")
    assert decision.queue is not None
    assert decision.queue.key == "cards_general"  # the line of business's default queue
    assert decision.rule_id == ""  # no rule ran


@pytest.mark.parametrize(
    ("now", "dialed", "status"),
    [
        (THANKSGIVING, CARDS, "CLOSED"),
        (THANKSGIVING, COLLECTIONS, "CLOSED"),
        (THANKSGIVING, FRAUD, "ROUTED"),  # fraud is open every day of the year
        (TUESDAY_NIGHT, FRAUD, "ROUTED"),
        (CHRISTMAS_EVE_AFTERNOON, CARDS, "CLOSED"),  # special hours 08:00-13:00
        (CHRISTMAS_EVE_NOON, CARDS, "ROUTED"),
    ],
)
def test_holidays_and_round_the_clock_lines(
    sample_compiled: CompiledConfig, now: datetime, dialed: str, status: str
) -> None:
    assert route(sample_compiled, now=now, dialed=dialed).status == status


def test_the_sample_commercial_closure_answers_emergency(sample_compiled: CompiledConfig) -> None:
    # The sample switches commercial_hours' office_closure on: every commercial contact hears its message.
    for event in ({"dialed": COMMERCIAL}, {"channel": "CHAT", "parameters": {"entry_key": "commercial_portal_chat"}}):
        decision = route(sample_compiled, **event)
        assert (decision.status, decision.reason) == ("EMERGENCY", "emergency:office_closure")
        assert decision.message.startswith("Our commercial card team is closed today")
        assert decision.queue is not None
        assert decision.queue.key == "commercial_service"


# --- rules ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "queue", "rule_id", "priority"),
    [
        ({"dialed": CARDS, "attributes": {"ivr_choice": "1"}}, "cards_lost_stolen", "cards-lost-stolen", 1),
        ({"dialed": PLATINUM}, "cards_platinum", "cards-platinum-line", 2),
        ({"dialed": CARDS, "attributes": {"crm_segment": "black_card"}}, "cards_platinum", "cards-platinum-line", 2),
        ({"dialed": CARDS_ES}, "cards_spanish", "cards-spanish", 4),
        ({"dialed": CARDS, "attributes": {"ivr_choice": "2"}}, "cards_activation", "cards-activation", 6),
        ({"dialed": CARDS, "attributes": {"ivr_choice": "3"}}, "cards_balance", "cards-balance", 6),
        ({"dialed": CARDS, "attributes": {"intent": "cancel_card"}}, "retention", "cards-retention", 3),
        ({"dialed": CARDS, "attributes": {"ivr_choice": "5"}}, "cards_general", "cards:default", 5),
        (
            {"dialed": FRAUD, "attributes": {"fraud_score": "850", "alert_id": "AL1"}},
            "fraud_alerts",
            "fraud-high-risk-alert",
            1,
        ),
        ({"dialed": FRAUD, "attributes": {"fraud_score": "850"}}, "fraud_alerts", "fraud:default", 3),
        (
            {"dialed": COLLECTIONS, "attributes": {"days_past_due": "95"}},
            "collections_late",
            "collections-late-stage",
            4,
        ),
        (
            {"dialed": COLLECTIONS, "attributes": {"days_past_due": "30"}},
            "collections_early",
            "collections-early-stage",
            5,
        ),
        (
            {"dialed": COLLECTIONS, "attributes": {"preferred_language": "es-MX"}},
            "collections_spanish",
            "collections-spanish",
            4,
        ),
    ],
)
def test_rules_route_the_sample_contacts(
    sample_compiled: CompiledConfig, event: dict[str, Any], queue: str, rule_id: str, priority: int
) -> None:
    decision = route(sample_compiled, caller="+12125550187", **event)
    assert decision.queue is not None
    assert (decision.status, decision.queue.key, decision.rule_id, decision.priority) == (
        "ROUTED",
        queue,
        rule_id,
        priority,
    )
    assert decision.reason == ("ruleset_default" if rule_id.endswith(":default") else "rule")


def test_local_time_rule_sends_evening_balance_calls_to_the_partner(sample_compiled: CompiledConfig) -> None:
    evening = route(sample_compiled, now=TUESDAY_EVENING, dialed=CARDS, attributes={"ivr_choice": "3"})
    morning = route(sample_compiled, now=TUESDAY_MORNING, dialed=CARDS, attributes={"ivr_choice": "3"})
    assert evening.rule_id == "cards-evening-balance-to-partner"
    assert morning.rule_id == "cards-balance"


@pytest.mark.parametrize(
    ("caller", "classification"),
    [
        ("+447400123456", "international"),
        ("+33612345678", "international"),
        ("+14165550187", "general_service"),  # Canada is home
        ("+12125550187", "general_service"),
        ("anonymous", "general_service"),  # unknown country: the rule's when_unknown (false)
        (None, "general_service"),
    ],
)
def test_caller_country_rule(sample_compiled: CompiledConfig, caller: str | None, classification: str) -> None:
    decision = route(sample_compiled, dialed=CARDS, caller=caller, attributes={"ivr_choice": "5"})
    assert decision.classification == classification
    assert ("international" in decision.attributes) is (classification == "international")


def _two_country_document(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """A US deployment (New York) with a UK line of business whose line keeps London hours."""
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["defaults"].update(time_zone="America/New_York", country="US")
    document["lines_of_business"]["lob"].update(country="GB", schedule="london")
    document["schedules"]["london"] = {
        "key": "london",
        "time_zone": "Europe/London",
        "weekly": {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    document["rulesets"]["rs"]["rules"] = [
        {"id": f"r{i}", "when": when, "then": {"classification": f"c{i}", "queue": "overflow"}}
        for i, when in enumerate(rules)
    ]
    return document


def test_a_national_caller_number_is_read_in_the_line_of_business_country() -> None:
    cfg = CompiledConfig.compile(_two_country_document([{"field": "caller_country", "op": "equals", "value": "GB"}]))
    decision = route(cfg, dialed=CARDS, caller="020 7946 0000")  # a London number without +44
    assert decision.rule_id == "r0"


def test_time_rules_read_the_line_of_business_hours_time_zone() -> None:
    # 15:30 UTC on a Tuesday: 15:30 in London, 10:30 in New York (the deployment's zone)
    cfg = CompiledConfig.compile(_two_country_document([{"field": "local_time", "op": "gte", "value": "15:00"}]))
    assert route(cfg, dialed=CARDS, now=TUESDAY_MORNING).rule_id == "r0"


def test_a_decision_without_a_named_source_comes_from_the_active_version(sample_compiled: CompiledConfig) -> None:
    event = connect_event(dialed=CARDS)
    assert decide(ContactRequest.from_event(event), sample_compiled, now=TUESDAY_MORNING).config_source == "active"


def test_an_entry_whose_line_of_business_is_unknown_still_routes() -> None:
    # The schema refuses it; an unvalidated document must not crash the call (its queue: the deployment default).
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["entry_points"]["main"]["line_of_business"] = "ghost"
    decision = route(CompiledConfig.compile(document), dialed=CARDS)
    assert (decision.status, decision.queue.key if decision.queue else None) == ("ROUTED", "primary")


def test_a_callback_policys_hours_are_read_in_the_policys_own_time_zone(sample_document: dict[str, Any]) -> None:
    # Given the cards callback policy limited to Pacific business hours (the cards line keeps New York hours)
    document = copy.deepcopy(sample_document)
    document["schedules"]["west_callbacks"] = _pacific_tuesday("west_callbacks")
    document["callback_policies"]["standard_voice"]["schedule"] = "west_callbacks"
    cfg = CompiledConfig.compile(document)
    long_wait = FakeMetrics({(queue_id_of(document, "cards_general"), "estimated_wait_time"): 420})
    attributes = {"ivr_choice": "5"}
    # Then at 07:30 Pacific (10:30 New York) no callback is offered, at 08:30 Pacific one is
    early = route(cfg, metrics=long_wait, dialed=CARDS, attributes=attributes)
    later = route(cfg, now=TUESDAY_MORNING + timedelta(hours=1), metrics=long_wait, dialed=CARDS, attributes=attributes)
    assert (early.callback_offer, early.callback_reason) == (False, "outside_callback_hours")
    assert (later.callback_offer, later.callback_reason) == (True, "wait_above:300")


def test_an_entry_on_an_unknown_line_of_business_reads_national_numbers_in_the_deployments_country() -> None:
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["defaults"]["country"] = "US"
    document["entry_points"]["main"]["line_of_business"] = "ghost"
    document["rulesets"]["rs"]["rules"] = [
        {"id": "us", "when": {"field": "caller_country", "op": "equals", "value": "US"}, "then": {"queue": "overflow"}}
    ]
    assert route(CompiledConfig.compile(document), dialed=CARDS, caller="212 555 0187").rule_id == "us"


def test_a_target_without_classification_or_priority_has_none_and_connects_default(
    sample_compiled: CompiledConfig,
) -> None:
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["rulesets"]["rs"]["default"] = {"queue": "primary"}
    decision = route(CompiledConfig.compile(document), dialed=CARDS)
    assert (decision.classification, decision.priority) == ("", 5)


def test_the_queue_name_comes_from_config_and_defaults_to_its_key() -> None:
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    named = route(CompiledConfig.compile(document), dialed=CARDS).queue
    del document["queues"]["primary"]["name"]
    unnamed = route(CompiledConfig.compile(document), dialed=CARDS).queue
    assert (named.name if named else None, unnamed.name if unnamed else None) == ("Primary", "primary")


def test_an_entry_points_own_hours_come_before_its_line_of_business_hours() -> None:
    document = _two_country_document([])  # the line keeps London hours, open all day
    document["schedules"]["nights"] = {"key": "nights", "time_zone": "UTC", "weekly": {"tue": ["20:00-24:00"]}}
    document["entry_points"]["main"]["schedule"] = "nights"
    decision = route(CompiledConfig.compile(document), dialed=CARDS)  # 15:30 UTC
    assert (decision.status, decision.reason) == ("CLOSED", "closed:nights")


def test_without_a_country_anywhere_national_numbers_are_read_as_us_numbers() -> None:
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["rulesets"]["rs"]["rules"] = [
        {"id": "us", "when": {"field": "caller_country", "op": "equals", "value": "US"}, "then": {"queue": "overflow"}}
    ]
    assert route(CompiledConfig.compile(document), dialed=CARDS, caller="212 555 0187").rule_id == "us"


def test_an_entry_without_a_language_takes_the_contacts() -> None:
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    event = connect_event(dialed=CARDS)
    event["Details"]["ContactData"]["LanguageCode"] = "fr-CA"
    decision = decide(ContactRequest.from_event(event), CompiledConfig.compile(document), now=TUESDAY_MORNING)
    assert decision.language == "fr-CA"


def test_the_deployments_country_reads_national_numbers_where_the_line_names_none() -> None:
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["defaults"]["country"] = "GB"
    document["rulesets"]["rs"]["rules"] = [
        {"id": "gb", "when": {"field": "caller_country", "op": "equals", "value": "GB"}, "then": {"queue": "overflow"}}
    ]
    assert route(CompiledConfig.compile(document), dialed=CARDS, caller="020 7946 0000").rule_id == "gb"


@pytest.mark.parametrize(("time_zone", "matches"), [("America/New_York", True), (None, False)])
def test_time_rules_without_hours_read_the_deployments_time_zone_else_utc(time_zone: str | None, matches: bool) -> None:
    # 15:30 UTC is 10:30 in New York: "before 11:00" holds there, not in UTC
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    if time_zone:
        document["defaults"]["time_zone"] = time_zone
    else:
        del document["defaults"]["time_zone"]
    document["rulesets"]["rs"]["rules"] = [
        {"id": "am", "when": {"field": "local_time", "op": "lt", "value": "11:00"}, "then": {"queue": "overflow"}}
    ]
    assert (route(CompiledConfig.compile(document), dialed=CARDS).rule_id == "am") is matches


def test_routing_criteria_are_passed_as_json_text(sample_compiled: CompiledConfig) -> None:
    decision = route(sample_compiled, dialed=PLATINUM)
    steps = json.loads(decision.routing_criteria)
    assert steps[0]["expression"]["AttributeCondition"]["Name"] == "Tier"
    assert steps[0]["expiry_seconds"] == 30
    assert route(sample_compiled, dialed=CARDS).routing_criteria == ""
    # Compact and with sorted keys: the fewest bytes of the contact's attribute budget, the same text every time
    assert decision.routing_criteria == json.dumps(steps, separators=(",", ":"), sort_keys=True)
    assert decision.routing_criteria.startswith('[{"expiry_seconds":30,"expression":{"AttributeCondition":{"Comparison')


def test_a_metric_rule_reads_the_named_queue(sample_document: dict[str, Any], sample_compiled: CompiledConfig) -> None:
    # gold customers go to the concierge only while cards_general's oldest contact is over 60 s
    gold: dict[str, Any] = {"dialed": CARDS, "attributes": {"crm_segment": "gold"}}
    breaching = metrics_on(sample_document, "cards_general", oldest_contact_age=61)
    within = metrics_on(sample_document, "cards_general", oldest_contact_age=60)
    assert route(sample_compiled, metrics=breaching, **gold).rule_id == "cards-gold-priority-when-general-breaches-sla"
    assert route(sample_compiled, metrics=within, **gold).rule_id == "cards:default"
    assert route(sample_compiled, **gold).rule_id == "cards:default"  # unknown: when_unknown false


def test_metrics_are_prefetched_once_for_the_queues_the_ruleset_may_read(
    sample_document: dict[str, Any], sample_compiled: CompiledConfig
) -> None:
    metrics = FakeMetrics()
    route(sample_compiled, metrics=metrics, dialed=CARDS)
    assert len(metrics.prefetched) == 1
    ids = metrics.prefetched[0]
    # the metric rule's queue, rule targets and fallback queues; nothing from other lines of business
    for key in ("cards_general", "cards_platinum", "cards_overflow_partner", "cards_lost_stolen"):
        assert queue_id_of(sample_document, key) in ids
    assert queue_id_of(sample_document, "fraud_alerts") not in ids
    assert {queue_id for queue_id, _, _ in metrics.reads} <= ids


def test_no_metrics_are_read_for_closed_or_unknown_entries(sample_compiled: CompiledConfig) -> None:
    metrics = FakeMetrics()
    route(sample_compiled, now=TUESDAY_NIGHT, metrics=metrics, dialed=CARDS)
    route(sample_compiled, metrics=metrics, dialed="+18885550000")
    assert (metrics.prefetched, metrics.reads) == ([], [])


# --- fallbacks on the sample ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "queue_key", "values", "expected_queue", "reason"),
    [
        # lost & stolen → cards_general when nobody is staffed
        (
            {"attributes": {"ivr_choice": "1"}},
            "cards_lost_stolen",
            {"agents_staffed": 0},
            "cards_general",
            "unstaffed:cards_lost_stolen",
        ),
        ({"attributes": {"ivr_choice": "1"}}, "cards_lost_stolen", {"agents_staffed": 1}, "cards_lost_stolen", ""),
        ({"attributes": {"ivr_choice": "1"}}, "cards_lost_stolen", {}, "cards_lost_stolen", ""),
        # balance → partner when the estimated wait is above 600 s (strictly)
        (
            {"attributes": {"ivr_choice": "3"}},
            "cards_balance",
            {"estimated_wait_time": 601},
            "cards_overflow_partner",
            "wait_above:cards_balance",
        ),
        ({"attributes": {"ivr_choice": "3"}}, "cards_balance", {"estimated_wait_time": 600}, "cards_balance", ""),
        ({"attributes": {"ivr_choice": "3"}}, "cards_balance", {}, "cards_balance", ""),
        # platinum → general when the oldest contact waits above 45 s
        (
            {"dialed": PLATINUM},
            "cards_platinum",
            {"oldest_contact_age": 46},
            "cards_general",
            "oldest_above:cards_platinum",
        ),
        ({"dialed": PLATINUM}, "cards_platinum", {"oldest_contact_age": 45}, "cards_platinum", ""),
        # the ruleset default has two fallbacks: the first that holds is taken
        (
            {"attributes": {"ivr_choice": "5"}},
            "cards_general",
            {"agents_staffed": 0, "estimated_wait_time": 900},
            "cards_overflow_partner",
            "unstaffed:cards_general",
        ),
        (
            {"attributes": {"ivr_choice": "5"}},
            "cards_general",
            {"agents_staffed": 4, "estimated_wait_time": 900},
            "cards_overflow_partner",
            "wait_above:cards_general",
        ),
        # collections late stage → early stage when no agent is available
        (
            {"dialed": COLLECTIONS, "attributes": {"days_past_due": "120"}},
            "collections_late",
            {"agents_available": 0},
            "collections_early",
            "no_agents_available:collections_late",
        ),
        (
            {"dialed": COLLECTIONS, "attributes": {"days_past_due": "120"}},
            "collections_late",
            {"agents_available": 2},
            "collections_late",
            "",
        ),
    ],
)
def test_sample_fallbacks(
    sample_document: dict[str, Any],
    sample_compiled: CompiledConfig,
    event: dict[str, Any],
    queue_key: str,
    values: dict[str, float],
    expected_queue: str,
    reason: str,
) -> None:
    event = {"dialed": CARDS, "caller": "+12125550187", **event}
    decision = route(sample_compiled, metrics=metrics_on(sample_document, queue_key, **values), **event)
    assert decision.queue is not None
    assert (decision.queue.key, decision.fallback_reason) == (expected_queue, reason)


def test_closed_fallback_uses_the_target_queues_own_hours(sample_compiled: CompiledConfig) -> None:
    # Fraud's line is open at night, but disputes keeps card hours: the dispute rule falls back to claims.
    night = route(sample_compiled, now=TUESDAY_NIGHT, dialed=FRAUD, attributes={"ivr_choice": "3"})
    day = route(sample_compiled, now=TUESDAY_MORNING, dialed=FRAUD, attributes={"ivr_choice": "3"})
    assert night.queue is not None
    assert day.queue is not None
    assert (night.queue.key, night.fallback_reason) == ("fraud_claims", "closed:disputes")
    assert (day.queue.key, day.fallback_reason) == ("disputes", "")


def test_over_capacity_on_the_sample_once_the_closure_is_off(sample_document: dict[str, Any]) -> None:
    closures = sample_document["schedules"]["commercial_hours"]["emergency_closures"]
    for closure in closures:
        closure["active"] = False
    cfg = CompiledConfig.compile(sample_document)
    strategic: dict[str, Any] = {"dialed": COMMERCIAL, "attributes": {"crm_segment": "strategic"}}
    capacity = sample_document["queues"]["commercial_priority"]["capacity"]
    full = route(
        cfg, metrics=metrics_on(sample_document, "commercial_priority", contacts_in_queue=capacity), **strategic
    )
    room = route(
        cfg, metrics=metrics_on(sample_document, "commercial_priority", contacts_in_queue=capacity - 1), **strategic
    )
    assert full.queue is not None
    assert room.queue is not None
    assert (full.queue.key, full.fallback_reason) == ("commercial_service", "over_capacity:commercial_priority")
    assert (room.queue.key, room.fallback_reason) == ("commercial_priority", "")


# --- every fallback condition on a small document: known above/at/below, unknown, when_unknown ----------------


def _fallback_document(
    when: str, *, seconds: int | None, when_unknown: bool | None, capacity: int | None
) -> dict[str, Any]:
    fallback: dict[str, Any] = {"queue": "overflow", "when": when}
    if seconds is not None:
        fallback["seconds"] = seconds
    if when_unknown is not None:
        fallback["when_unknown"] = when_unknown
    primary: dict[str, Any] = {"key": "primary", "queue_id": "qid-primary", "name": "Primary"}
    if capacity is not None:
        primary["capacity"] = capacity
    return {
        "schema": 1,
        "defaults": {"default_queue": "primary", "time_zone": "UTC"},
        "queues": {"primary": primary, "overflow": {"key": "overflow", "queue_id": "qid-overflow", "name": "Overflow"}},
        "lines_of_business": {"lob": {"key": "lob", "name": "LOB"}},
        "entry_points": {"main": {"key": "main", "dialed_number": CARDS, "line_of_business": "lob", "ruleset": "rs"}},
        "schedules": {},
        "rulesets": {
            "rs": {
                "key": "rs",
                "rules": [],
                "default": {"classification": "c", "queue": "primary", "fallbacks": [fallback]},
            }
        },
    }


# (condition, metric, seconds, capacity, value that triggers, value that does not)
METRIC_FALLBACKS = [
    ("unstaffed", "agents_staffed", None, None, 0, 1),
    ("no_agents_available", "agents_available", None, None, 0, 1),
    ("over_capacity", "contacts_in_queue", None, 10, 10, 9),
    ("over_capacity", "contacts_in_queue", None, 10, 11, 0),
    ("wait_above", "estimated_wait_time", 120, None, 121, 120),
    ("oldest_above", "oldest_contact_age", 30, None, 30.5, 30),
    ("wait_above", "estimated_wait_time", 0, None, 1, 0),
    ("unstaffed", "agents_staffed", 5, None, 0, 1),  # a count condition ignores seconds (the schema refuses them)
]


@pytest.mark.parametrize(("when", "metric", "seconds", "capacity", "hit", "miss"), METRIC_FALLBACKS)
@pytest.mark.parametrize("when_unknown", [None, False, True])
def test_every_metric_fallback_known_and_unknown(
    when: str,
    metric: str,
    seconds: int | None,
    capacity: int | None,
    hit: float,
    miss: float,
    when_unknown: bool | None,
) -> None:
    cfg = CompiledConfig.compile(
        _fallback_document(when, seconds=seconds, when_unknown=when_unknown, capacity=capacity)
    )

    def queue_for(metrics: FakeMetrics) -> str:
        decision = route(cfg, metrics=metrics, dialed=CARDS)
        assert decision.queue is not None
        return decision.queue.key

    # Known values decide whatever when_unknown says
    assert queue_for(FakeMetrics({("qid-primary", metric): hit})) == "overflow"
    assert queue_for(FakeMetrics({("qid-primary", metric): miss})) == "primary"
    # A value for another queue (the overflow) does not count for the primary
    assert queue_for(FakeMetrics({("qid-overflow", metric): hit})) == ("overflow" if when_unknown else "primary")
    # Unknown takes when_unknown (default false: stay on the target)
    assert queue_for(FakeMetrics()) == ("overflow" if when_unknown else "primary")


def test_over_capacity_without_a_capacity_never_applies() -> None:
    cfg = CompiledConfig.compile(_fallback_document("over_capacity", seconds=None, when_unknown=True, capacity=None))
    for metrics in (FakeMetrics(), FakeMetrics({("qid-primary", "contacts_in_queue"): 10_000})):
        decision = route(cfg, metrics=metrics, dialed=CARDS)
        assert (decision.queue.key if decision.queue else None, decision.fallback_reason) == ("primary", "")


def test_closed_fallback_without_hours_never_applies() -> None:
    cfg = CompiledConfig.compile(_fallback_document("closed", seconds=None, when_unknown=True, capacity=None))
    for now in (TUESDAY_MORNING, TUESDAY_NIGHT):
        decision = route(cfg, now=now, dialed=CARDS)
        assert decision.queue is not None
        assert decision.queue.key == "primary"


def _pacific_tuesday(key: str) -> dict[str, Any]:
    """A schedule open 08:00-17:00 Los Angeles time on Tuesdays only."""
    return {"key": key, "time_zone": "America/Los_Angeles", "weekly": {"tue": ["08:00-17:00"]}}


def test_a_closed_fallback_reads_the_queues_hours_in_the_queues_own_time_zone() -> None:
    # Given a New York line whose primary queue keeps Los Angeles hours (08:00-17:00 Pacific)
    document = _fallback_document("closed", seconds=None, when_unknown=None, capacity=None)
    document["defaults"]["time_zone"] = "America/New_York"
    document["schedules"]["west"] = _pacific_tuesday("west")
    document["queues"]["primary"]["hours"] = "west"
    cfg = CompiledConfig.compile(document)
    # Then at 07:30 Pacific (10:30 New York, 15:30 UTC) the queue is closed, at 08:30 Pacific open
    early, opened = TUESDAY_MORNING, TUESDAY_MORNING + timedelta(hours=1)
    queues = [route(cfg, now=t, dialed=CARDS).queue for t in (early, opened)]
    assert [q.key if q else None for q in queues] == ["overflow", "primary"]


def test_an_unknown_fallback_condition_never_crashes_a_call_and_reads_as_oldest_above() -> None:
    # The schema refuses it before publish; an unvalidated document must still route.
    cfg = CompiledConfig.compile(_fallback_document("sometime", seconds=30, when_unknown=None, capacity=None))
    for age, expected in ((31.0, "overflow"), (30.0, "primary")):
        decision = route(cfg, metrics=FakeMetrics({("qid-primary", "oldest_contact_age"): age}), dialed=CARDS)
        assert (decision.queue.key if decision.queue else None) == expected


def test_a_fallback_metric_is_read_on_the_contacts_channel() -> None:
    cfg = CompiledConfig.compile(_fallback_document("unstaffed", seconds=None, when_unknown=None, capacity=None))
    metrics = FakeMetrics(
        {("qid-primary", "agents_staffed"): 5}, channel_values={("qid-primary", "agents_staffed", "CHAT"): 0}
    )
    chat = route(cfg, metrics=metrics, channel="CHAT", parameters={"entry_key": "main"})
    voice = route(cfg, metrics=metrics, dialed=CARDS)
    assert (chat.queue.key if chat.queue else None, voice.queue.key if voice.queue else None) == ("overflow", "primary")


# --- transfers -----------------------------------------------------------------------------------------------


def test_a_known_transfer_queue_routes_straight_there(sample_compiled: CompiledConfig) -> None:
    decision = route(
        sample_compiled,
        dialed=CARDS,
        parameters={"transfer_queue_key": "retention"},
        attributes={"classification": "retention", "ivr_choice": "1"},
    )
    assert decision.queue is not None
    assert (decision.status, decision.reason, decision.queue.key, decision.rule_id) == (
        "ROUTED",
        "transfer",
        "retention",
        "transfer:retention",
    )
    assert decision.classification == "retention"
    assert decision.entry_point == "cards_main"


def test_a_transfer_routes_even_outside_the_entry_hours(sample_compiled: CompiledConfig) -> None:
    # An agent already holds the contact: the transfer flow does not re-check the line's opening hours.
    decision = route(sample_compiled, now=TUESDAY_NIGHT, dialed=CARDS, parameters={"transfer_queue_key": "disputes"})
    assert (decision.status, decision.rule_id) == ("ROUTED", "transfer:disputes")


def test_an_unknown_transfer_queue_without_a_chosen_queue_goes_to_the_default_queue(
    sample_compiled: CompiledConfig,
) -> None:
    decision = route(sample_compiled, dialed=CARDS, parameters={"transfer_queue_key": "no_such_queue"})
    assert decision.queue is not None
    assert (decision.status, decision.reason, decision.queue.key) == (
        "DEFAULT",
        "unknown_transfer_queue:no_such_queue",
        "general_default",
    )


def _transfer(cfg: CompiledConfig, queue_id: str | None, *, now: datetime = TUESDAY_MORNING, **params: str) -> Any:
    event = connect_event(dialed=CARDS, parameters={"trunkline_flow": "transfer", **params})
    if queue_id:
        event["Details"]["ContactData"]["Queue"] = {"ARN": f"{INSTANCE_ARN}/queue/{queue_id}", "Name": "Chosen"}
    return decide(ContactRequest.from_event(event), cfg, now=now, metrics=FakeMetrics())


@pytest.mark.parametrize("now", [TUESDAY_MORNING, TUESDAY_NIGHT])
def test_a_quick_connect_transfer_goes_to_the_queue_the_agent_chose(
    sample_compiled: CompiledConfig, sample_document: dict[str, Any], now: datetime
) -> None:
    # The agent chose the retention queue; no transfer_queue_key attribute (a stock agent workspace cannot set one).
    retention = queue_id_of(sample_document, "retention")
    decision = _transfer(sample_compiled, retention, now=now)
    assert decision.queue is not None
    assert (decision.status, decision.reason, decision.queue.key) == ("ROUTED", "transfer_chosen_queue", "retention")
    assert to_reply(decision, instance_arn=INSTANCE_ARN)["queue_arn"] == f"{INSTANCE_ARN}/queue/{retention}"


def test_a_transfer_into_a_queue_unknown_to_config_still_goes_there(sample_compiled: CompiledConfig) -> None:
    decision = _transfer(sample_compiled, "0000aaaa-bbbb-cccc-dddd-eeeeffff0000")
    assert (decision.status, decision.reason) == ("ROUTED", "transfer_chosen_queue")
    assert to_reply(decision, instance_arn=INSTANCE_ARN)["queue_arn"].endswith(
        "/queue/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
    )


def test_config_can_redirect_transfers_into_a_queue(sample_document: dict[str, Any]) -> None:
    document = copy.deepcopy(sample_document)
    document["queues"]["retention"]["transfer_queue"] = "disputes"
    cfg = CompiledConfig.compile(document)
    decision = _transfer(cfg, queue_id_of(document, "retention"))
    assert decision.queue is not None
    assert (decision.status, decision.reason, decision.queue.key) == ("ROUTED", "transfer_redirect", "disputes")


def test_an_unknown_transfer_key_keeps_the_chosen_queue(
    sample_compiled: CompiledConfig, sample_document: dict[str, Any]
) -> None:
    decision = _transfer(sample_compiled, queue_id_of(sample_document, "retention"), transfer_queue_key="nope")
    assert decision.queue is not None
    assert (decision.status, decision.queue.key, decision.fallback_reason) == (
        "ROUTED",
        "retention",
        "unknown_transfer_queue:nope",
    )


def test_a_transfer_queue_key_attribute_alone_is_not_a_transfer(sample_compiled: CompiledConfig) -> None:
    # The transfer flow passes the key as a parameter; an attribute left over from earlier must not redirect.
    decision = route(sample_compiled, dialed=CARDS, attributes={"transfer_queue_key": "retention", "ivr_choice": "5"})
    assert decision.rule_id == "cards:default"


def _transfer_arn(cfg: CompiledConfig, arn: str, **params: str) -> Any:
    event = connect_event(dialed=CARDS, parameters={"trunkline_flow": "transfer", **params})
    event["Details"]["ContactData"]["Queue"] = {"ARN": arn, "Name": "Chosen"}
    return decide(ContactRequest.from_event(event), cfg, now=TUESDAY_MORNING, metrics=FakeMetrics())


def test_a_queue_arn_without_a_queue_part_is_no_chosen_queue(sample_compiled: CompiledConfig) -> None:
    decision = _transfer_arn(sample_compiled, f"{INSTANCE_ARN}/agent/0000aaaa")
    assert (decision.status, decision.reason, decision.rule_id) == ("DEFAULT", "transfer_without_queue", "default")


def test_the_chosen_queue_id_is_the_last_queue_part_cut_to_64_characters(sample_compiled: CompiledConfig) -> None:
    long_id = "q" * 70
    decision = _transfer_arn(sample_compiled, f"{INSTANCE_ARN}/queue/x/queue/{long_id}")
    assert decision.queue is not None
    assert decision.queue.queue_id == "q" * 64


def test_a_transfer_into_a_queue_unknown_to_config_names_no_key_and_no_name(sample_compiled: CompiledConfig) -> None:
    decision = _transfer(sample_compiled, "0000aaaa-bbbb-cccc-dddd-eeeeffff0000")
    assert decision.queue is not None
    assert (decision.queue.key, decision.queue.name, decision.rule_id, decision.fallback_reason) == (
        "",
        "",
        "transfer",
        "",
    )


def test_a_known_or_absent_transfer_key_is_no_fallback(
    sample_compiled: CompiledConfig, sample_document: dict[str, Any]
) -> None:
    known = _transfer(sample_compiled, None, transfer_queue_key="retention")
    chosen = _transfer(sample_compiled, queue_id_of(sample_document, "retention"))
    assert (known.rule_id, known.fallback_reason) == ("transfer:retention", "")
    assert (chosen.rule_id, chosen.fallback_reason) == ("transfer:retention", "")


def test_an_unknown_transfer_key_is_cut_to_64_characters_in_the_reason(sample_compiled: CompiledConfig) -> None:
    decision = _transfer(sample_compiled, None, transfer_queue_key="k" * 70)
    assert decision.reason == "unknown_transfer_queue:" + "k" * 64


def test_a_redirected_transfer_names_both_queues_in_its_rule_id(sample_document: dict[str, Any]) -> None:
    document = copy.deepcopy(sample_document)
    document["queues"]["retention"]["transfer_queue"] = "disputes"
    decision = _transfer(CompiledConfig.compile(document), queue_id_of(document, "retention"))
    assert (decision.rule_id, decision.fallback_reason) == ("transfer:retention>disputes", "")


class _AgedMetrics(FakeMetrics):
    """Each queue's snapshot has its own age (FakeMetrics answers one age for every queue)."""

    def __init__(self, ages: dict[str, float]) -> None:
        super().__init__()
        self.ages = ages

    def age_seconds(self, queue_id: str) -> float | None:
        return self.ages.get(queue_id)


def test_a_transfer_reports_the_age_of_its_queues_metrics_and_none_for_an_unknown_queue(
    sample_compiled: CompiledConfig, sample_document: dict[str, Any]
) -> None:
    retention = queue_id_of(sample_document, "retention")
    metrics = _AgedMetrics({retention: 7.0, "0000aaaa": 3.0})
    for queue_id, age in ((retention, 7.0), ("0000aaaa", None)):
        event = connect_event(dialed=CARDS, parameters={"trunkline_flow": "transfer"})
        event["Details"]["ContactData"]["Queue"] = {"ARN": f"{INSTANCE_ARN}/queue/{queue_id}", "Name": "Chosen"}
        decision = decide(ContactRequest.from_event(event), sample_compiled, now=TUESDAY_MORNING, metrics=metrics)
        assert decision.metrics_age_s == age, queue_id


def test_a_transfer_keeps_the_contacts_classification_cut_to_64_characters(sample_compiled: CompiledConfig) -> None:
    unclassified = _transfer(sample_compiled, None, transfer_queue_key="retention")
    assert unclassified.classification == ""
    long = route(
        sample_compiled,
        dialed=CARDS,
        parameters={"transfer_queue_key": "retention"},
        attributes={"classification": "c" * 70},
    )
    assert long.classification == "c" * 64


# --- attributes: the rule's override the queue's -------------------------------------------------------------


def test_rule_attributes_override_queue_attributes(sample_compiled: CompiledConfig) -> None:
    high_risk = route(sample_compiled, dialed=FRAUD, attributes={"fraud_score": "900", "alert_id": "AL12345"})
    plain = route(sample_compiled, dialed=FRAUD, attributes={"ivr_choice": "1"})
    assert high_risk.queue is not None
    assert plain.queue is not None
    assert high_risk.queue.attributes["verify_level"] == "high"  # the queue says high …
    high_risk_reply = to_reply(high_risk, instance_arn=INSTANCE_ARN)
    plain_reply = to_reply(plain, instance_arn=INSTANCE_ARN)
    assert high_risk_reply["verify_level"] == "step_up"  # … the rule says step_up, and wins
    assert plain_reply["verify_level"] == "high"
    assert high_risk_reply["greeting_prompt"] == "fraud_greeting"  # queue attributes the rule leaves alone stay


def test_a_fallback_hands_over_the_fallback_queues_attributes_and_keeps_the_rules(
    sample_document: dict[str, Any], sample_compiled: CompiledConfig
) -> None:
    metrics = metrics_on(sample_document, "cards_lost_stolen", agents_staffed=0)
    decision = route(sample_compiled, metrics=metrics, dialed=CARDS, attributes={"ivr_choice": "1"})
    reply = to_reply(decision, instance_arn=INSTANCE_ARN)
    assert reply["queue_key"] == "cards_general"
    assert reply["greeting_prompt"] == "cards_greeting"  # cards_general's, not lost & stolen's
    assert "urgent" not in reply
    assert reply["case_type"] == "lost_stolen"  # the rule's own attributes travel with it


def test_decide_does_not_change_the_compiled_config(sample_document: dict[str, Any]) -> None:
    cfg = CompiledConfig.compile(sample_document)
    before = copy.deepcopy({k: dict(q.profile.attributes) for k, q in cfg.queues.items()})
    for ivr in ("1", "2", "3", "9"):
        to_reply(
            route(cfg, dialed=FRAUD, attributes={"ivr_choice": ivr, "fraud_score": "999", "alert_id": "A"}),
            instance_arn="",
        )
    assert {k: dict(q.profile.attributes) for k, q in cfg.queues.items()} == before


# --- language: voice and fixed prompts ------------------------------------------------------------------------


def test_a_spanish_entry_point_gets_a_spanish_voice_and_prompts(sample_compiled: CompiledConfig) -> None:
    spanish = to_reply(route(sample_compiled, dialed=CARDS_ES), instance_arn=INSTANCE_ARN)
    english = to_reply(route(sample_compiled, dialed=CARDS), instance_arn=INSTANCE_ARN)
    assert (spanish["language"], spanish["voice"], english["voice"]) == ("es-US", "Lupe", "Joanna")
    assert spanish["prompt_callback_offer"].startswith("Nuestra espera")
    assert english["prompt_callback_offer"].startswith("Our wait is longer")
    unknown = to_reply(route(sample_compiled, dialed="+18005559999"), instance_arn=INSTANCE_ARN)
    assert unknown["voice"] == "Joanna"  # no entry point, no language: Connect's default voice, English
