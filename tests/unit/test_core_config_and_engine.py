"""Config validation (all errors, file + path + reason), decisions on the sample config, reply contract."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.config import load_directory, validate_document
from routing.config_cache import ConfigCache
from routing.contact import ContactRequest
from routing.data.config_store import InMemoryConfigStore
from routing.engine import CompiledConfig, decide
from routing.publishing import publish_document
from routing.reply import MAX_REPLY_BYTES, reply_size
from routing.service import RouteService
from trunkline.contacts import DR_INSTANCE_ARN, INSTANCE_ARN, connect_event

ROOT = Path(__file__).resolve().parents[2]
TUESDAY_MORNING = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 10:30 New York
TUESDAY_NIGHT = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 22:30 New York
THANKSGIVING = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)


class Metrics:
    def __init__(self, **values: float) -> None:
        self.values = values

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        pass

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
        return self.values.get(name)

    def age_seconds(self, queue_id: str) -> float | None:
        return 4.0 if self.values else None


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    return doc


@pytest.fixture(scope="module")
def compiled(sample: dict[str, Any]) -> CompiledConfig:
    return CompiledConfig.compile(sample, version="v000007")


def route(compiled: CompiledConfig, now: datetime = TUESDAY_MORNING, metrics: Any = None, **event: Any) -> Any:
    contact = ContactRequest.from_event(connect_event(**event))
    return decide(contact, compiled, now=now, **({"metrics": metrics} if metrics else {}))


# --- validation ----------------------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)


def test_all_errors_at_once_with_file_path_and_reason(tmp_path: Path) -> None:
    _write(tmp_path, "defaults.yaml", "defaults: {default_queue: missing_queue, time_zone: Mars/Olympus}\n")
    _write(
        tmp_path,
        "queues.yaml",
        "queues:\n"
        "  - {key: q1, queue_id: id-1, name: Q1, hours: nowhere, attributes: {status: x}}\n"
        "  - {key: q2, queue_id: id-2, name: Q2}\n"
        "  - {key: q2, queue_id: id-3, name: dup}\n",
    )
    _write(
        tmp_path,
        "entries.yaml",
        "entry_points:\n  - {key: e1, dialed_number: '8005550100', line_of_business: lob_x, ruleset: rs1}\n",
    )
    _write(
        tmp_path,
        "rules.yaml",
        "rulesets:\n"
        "  - key: rs1\n"
        "    rules:\n"
        "      - {id: r1, when: {field: attributes.x, op: like, value: 1}, then: {classification: c, queue: q1}}\n"
        "    default: {classification: d, queue: q1, fallbacks: [{queue: q1, when: wait_above}]}\n",
    )
    _write(tmp_path, "junk.yaml", "surprise: {}\n")
    result = load_directory(tmp_path)
    assert not result.ok
    text = "\n".join(str(i) for i in result.issues)
    expected = [
        ("defaults.yaml", "defaults.time_zone", "unknown time zone"),
        ("queues.yaml", "queues[0].attributes", "reserved"),
        ("queues.yaml", "queues[2].key", "duplicate key 'q2'"),
        ("entries.yaml", "entry_points[0].dialed_number", "E.164"),
        ("rules.yaml", "rulesets[0].default.fallbacks[0]", "needs seconds"),
        ("junk.yaml", "surprise", "unknown section"),
    ]
    for file, path, reason in expected:
        assert any(i.file.endswith(file) and i.path.startswith(path) and reason in i.message for i in result.issues), (
            f"missing {file}: {path}: {reason} in\n{text}"
        )


def test_reference_errors_name_the_referring_item(tmp_path: Path) -> None:
    _write(tmp_path, "defaults.yaml", "defaults: {default_queue: nope}\n")
    _write(tmp_path, "q.yaml", "queues:\n  - {key: q1, queue_id: id-1, name: Q1, hours: no_schedule}\n")
    _write(
        tmp_path,
        "e.yaml",
        "entry_points:\n  - {key: e1, dialed_number: '+18005550100', line_of_business: no_lob, ruleset: no_rs}\n",
    )
    issues = {(i.path, i.message) for i in load_directory(tmp_path).issues}
    assert ("defaults.default_queue", "unknown queue 'nope'") in issues
    assert ("queues[0].hours", "unknown schedule 'no_schedule'") in issues
    assert ("entry_points[0].line_of_business", "unknown line of busines 'no_lob'") in issues or any(
        p == "entry_points[0].line_of_business" for p, _ in issues
    )
    assert any(p == "entry_points[0].ruleset" for p, _ in issues)


def test_rule_errors_are_located_in_their_file(sample: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(sample))
    broken["rulesets"]["cards"]["rules"][2]["when"] = {"field": "attributes.x", "op": "regex", "value": "(("}
    result = validate_document(broken)
    assert [(i.path, "invalid regex" in i.message) for i in result.issues] == [
        (f"rulesets[{sorted(broken['rulesets']).index('cards')}].rules[2].when.value", True)
    ]


def test_sample_config_and_generated_centre_are_valid() -> None:
    from trunkline.generate import generate_config

    assert load_directory(ROOT / "config").ok
    big = validate_document(generate_config(queues=600, rules=2000))
    assert big.ok, big.issues[:3]
    assert big.document is not None
    assert len(big.document["queues"]) == 600


# --- decisions on the sample config -------------------------------------------------------------------------


def test_dialed_number_ivr_choice_routes_by_rule(compiled: CompiledConfig) -> None:
    d = route(compiled, dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "1"})
    assert (d.status, d.queue.key, d.rule_id, d.priority) == ("ROUTED", "cards_lost_stolen", "cards-lost-stolen", 1)
    assert d.attributes["case_type"] == "lost_stolen"
    assert d.config_version == "v000007"


def test_chat_entry_key_attribute_and_parameter(compiled: CompiledConfig) -> None:
    by_attr = route(compiled, channel="CHAT", attributes={"entry_key": "fraud_app_chat"})
    by_param = route(compiled, channel="CHAT", parameters={"entry_key": "cards_web_chat"})
    assert (by_attr.entry_point, by_attr.queue.key) == ("fraud_chat_app", "fraud_chat")
    assert (by_param.entry_point, by_param.queue.key) == ("cards_chat_web", "cards_chat")


def test_unknown_number_goes_to_the_default_queue(compiled: CompiledConfig) -> None:
    d = route(compiled, dialed="+18885550000")
    assert (d.status, d.reason, d.queue.key) == ("DEFAULT", "unknown_entry_point", "general_default")


def test_closed_hours_holiday_and_emergency(compiled: CompiledConfig) -> None:
    night = route(compiled, now=TUESDAY_NIGHT, dialed="+18005550100")
    holiday = route(compiled, now=THANKSGIVING, dialed="+18005550100")
    fraud_night = route(compiled, now=TUESDAY_NIGHT, dialed="+18005550200")
    emergency = route(compiled, dialed="+18005550400")
    assert (night.status, night.reason) == ("CLOSED", "closed:cards_hours")
    assert "closed" in night.message
    assert holiday.status == "CLOSED"
    assert fraud_night.status == "ROUTED"  # fraud is open around the clock
    assert (emergency.status, emergency.reason) == ("EMERGENCY", "emergency:office_closure")
    assert emergency.message.startswith("Our commercial card team is closed")


@pytest.mark.parametrize(
    ("event", "metrics", "expected_queue", "reason"),
    [
        # lost & stolen: unstaffed primary → general
        (
            {"attributes": {"ivr_choice": "1"}},
            Metrics(agents_staffed=0),
            "cards_general",
            "unstaffed:cards_lost_stolen",
        ),
        ({"attributes": {"ivr_choice": "1"}}, Metrics(agents_staffed=3), "cards_lost_stolen", ""),
        ({"attributes": {"ivr_choice": "1"}}, None, "cards_lost_stolen", ""),  # unknown metrics: stay
        # balance: wait above 600 s → partner
        (
            {"attributes": {"ivr_choice": "3"}},
            Metrics(estimated_wait_time=900),
            "cards_overflow_partner",
            "wait_above:cards_balance",
        ),
        ({"attributes": {"ivr_choice": "3"}}, Metrics(estimated_wait_time=60), "cards_balance", ""),
        # platinum: oldest contact above 45 s → general
        ({"dialed": "+18005550102"}, Metrics(oldest_contact_age=50), "cards_general", "oldest_above:cards_platinum"),
    ],
)
def test_metric_fallbacks(
    compiled: CompiledConfig, event: dict[str, Any], metrics: Any, expected_queue: str, reason: str
) -> None:
    event = {"dialed": "+18005550100", **event}
    d = route(compiled, metrics=metrics, **event)
    assert (d.queue.key, d.fallback_reason) == (expected_queue, reason)


def test_closed_queue_fallback_and_over_capacity(compiled: CompiledConfig) -> None:
    # disputes keeps cards hours; fraud's line is open at night, so the disputes rule falls back to claims.
    d = route(compiled, now=TUESDAY_NIGHT, dialed="+18005550200", attributes={"ivr_choice": "3"})
    assert (d.queue.key, d.fallback_reason) == ("fraud_claims", "closed:disputes")
    full = route(
        compiled, dialed="+18005550400", attributes={"crm_segment": "strategic"}, metrics=Metrics(contacts_in_queue=30)
    )
    assert full.status == "EMERGENCY"  # the sample's commercial closure is switched on: nothing to route


def test_transfer_queue_key(compiled: CompiledConfig) -> None:
    ok = route(compiled, dialed="+18005550100", parameters={"transfer_queue_key": "retention"})
    bad = route(compiled, dialed="+18005550100", parameters={"transfer_queue_key": "nope"})
    assert (ok.status, ok.queue.key, ok.rule_id) == ("ROUTED", "retention", "transfer:retention")
    assert (bad.status, bad.reason) == ("DEFAULT", "unknown_transfer_queue:nope")


# --- reply contract -----------------------------------------------------------------------------------------

KEY = re.compile(r"^[A-Za-z0-9_\-]+$")
STATUSES = {"ROUTED", "CLOSED", "EMERGENCY", "DEFAULT", "ERROR_DEFAULT"}


def _service(sample: dict[str, Any], now: datetime = TUESDAY_MORNING) -> RouteService:
    store = InMemoryConfigStore()
    publish_document(store, sample, actor="test", summary="t")
    return RouteService(ConfigCache(store), default_queue_id="fallback-id", clock=lambda: now)


def test_queue_arn_comes_from_the_invoking_instance(sample: dict[str, Any]) -> None:
    service = _service(sample)
    active = service.route(connect_event(dialed="+18005550100", instance_arn=INSTANCE_ARN))
    dr = service.route(connect_event(dialed="+18005550100", instance_arn=DR_INSTANCE_ARN))
    assert active["queue_id"] == dr["queue_id"]
    assert active["queue_arn"] == f"{INSTANCE_ARN}/queue/{active['queue_id']}"
    assert dr["queue_arn"] == f"{DR_INSTANCE_ARN}/queue/{dr['queue_id']}"


def _check_reply(reply: Any) -> None:
    assert isinstance(reply, dict)
    assert all(isinstance(k, str) and KEY.match(k) and isinstance(v, str) for k, v in reply.items())
    assert reply_size(reply) < MAX_REPLY_BYTES
    assert reply["status"] in STATUSES
    for key in ("queue_id", "queue_arn", "classification", "rule_id", "config_version", "callback_offer"):
        assert key in reply


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
endpoint = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "Address": st.one_of(
                st.none(),
                st.sampled_from(["+18005550100", "+18005550200", "anonymous", "", "+4420"]),
                st.text(max_size=20),
            ),
            "Type": st.just("TELEPHONE_NUMBER"),
        }
    ),
    json_values,
)
contact_data = st.fixed_dictionaries(
    {},
    optional={
        "Channel": st.one_of(st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL", "voice", "SMS"]), json_values),
        "ContactId": st.one_of(st.uuids().map(str), json_values),
        "InstanceARN": st.one_of(st.just(INSTANCE_ARN), st.none(), st.text(max_size=10)),
        "CustomerEndpoint": endpoint,
        "SystemEndpoint": endpoint,
        "Queue": st.one_of(st.none(), json_values),
        "Attributes": st.one_of(
            st.none(), st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=40), json_values), max_size=6)
        ),
        "InitiationMethod": st.one_of(st.sampled_from(["INBOUND", "TRANSFER", "CALLBACK", "API"]), json_values),
    },
)
events = st.one_of(
    st.fixed_dictionaries(
        {
            "Name": st.just("ContactFlowEvent"),
            "Details": st.fixed_dictionaries(
                {"ContactData": contact_data},
                optional={
                    "Parameters": st.one_of(st.none(), st.dictionaries(st.text(max_size=10), json_values, max_size=4))
                },
            ),
        }
    ),
    json_values,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events)
def test_reply_contract_holds_for_any_event(sample: dict[str, Any], event: Any) -> None:
    _check_reply(_service(sample).route(event))


def test_reply_contract_over_sample_contacts_at_all_hours(sample: dict[str, Any]) -> None:
    from trunkline.contacts import sample_contacts

    for now in (TUESDAY_MORNING, TUESDAY_NIGHT, THANKSGIVING):
        service = _service(sample, now)
        for contact in sample_contacts(120, seed=4):
            _check_reply(service.route(contact.event()))
