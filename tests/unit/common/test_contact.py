"""Parsing the Connect flow event (routing.common.contact): nothing missing, null or mistyped may crash a call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from routing.common.contact import ContactRequest
from tests.conftest import SAMPLE_EVENTS
from trunkline.contacts import INSTANCE_ARN, connect_event


def event_with(**contact_data: Any) -> dict[str, Any]:
    event = connect_event(dialed="+18005550100", caller="+12125550187")
    event["Details"]["ContactData"].update(contact_data)
    return event


def test_a_full_voice_event() -> None:
    event = connect_event(
        dialed="+18005550100",
        caller="+12125550187",
        attributes={"ivr_choice": "1"},
        parameters={"entry_key": "cards"},
        contact_id="c-1",
    )
    event["Details"]["ContactData"]["LanguageCode"] = "es-US"
    event["Details"]["ContactData"]["Queue"] = {"ARN": f"{INSTANCE_ARN}/queue/q-1", "Name": "Q"}
    contact = ContactRequest.from_event(event)
    assert contact == ContactRequest(
        contact_id="c-1",
        channel="VOICE",
        initiation_method="INBOUND",
        instance_arn=INSTANCE_ARN,
        customer_number="+12125550187",
        dialed_number="+18005550100",
        queue_arn=f"{INSTANCE_ARN}/queue/q-1",
        attributes={"ivr_choice": "1"},
        parameters={"entry_key": "cards"},
        language="es-US",
    )
    assert contact.caller_is_anonymous is False


@pytest.mark.parametrize(
    ("key", "attribute", "expected"),
    [
        ("Queue", "queue_arn", ""),
        ("CustomerEndpoint", "customer_number", ""),
        ("SystemEndpoint", "dialed_number", ""),
        ("Attributes", "attributes", {}),
        ("InstanceARN", "instance_arn", ""),
        ("Channel", "channel", "VOICE"),  # Connect's default channel
        ("ContactId", "contact_id", ""),
        ("InitiationMethod", "initiation_method", ""),
    ],
)
def test_null_parts_are_empty_values(key: str, attribute: str, expected: Any) -> None:
    # Given an event whose part is null (as Connect sends absent endpoints and queues), Then the value is empty
    contact = ContactRequest.from_event(event_with(**{key: None}))
    assert getattr(contact, attribute) == expected
    # and the other parts are still read
    assert contact.dialed_number == ("" if key == "SystemEndpoint" else "+18005550100")


def test_an_endpoint_with_a_null_address() -> None:
    contact = ContactRequest.from_event(event_with(CustomerEndpoint={"Address": None, "Type": "TELEPHONE_NUMBER"}))
    assert (contact.customer_number, contact.caller_is_anonymous) == ("", True)


def test_addresses_are_trimmed() -> None:
    contact = ContactRequest.from_event(event_with(SystemEndpoint={"Address": " +18005550100\n"}))
    assert contact.dialed_number == "+18005550100"


@pytest.mark.parametrize(
    "event",
    [
        None,
        "a string",
        42,
        [],
        [{"Details": {}}],
        {},
        {"Name": "ContactFlowEvent"},
        {"Details": None},
        {"Details": "x"},
        {"Details": {"ContactData": None}},
        {"Details": {"ContactData": []}},
        {"Details": {"ContactData": {}, "Parameters": None}},
        {"Details": {"ContactData": {}, "Parameters": ["a", "b"]}},
    ],
)
def test_events_without_usable_details_parse_to_an_empty_request(event: Any) -> None:
    contact = ContactRequest.from_event(event)
    assert contact == ContactRequest()
    assert contact.channel == "VOICE"


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("TASK", "TASK"), ("EMAIL", "EMAIL"), ("CHAT", "CHAT"), ("chat", "CHAT"), ("SMS", "SMS"), ("", "VOICE"), (7, "7")],
)
def test_every_channel_is_kept(channel: Any, expected: str) -> None:
    # Powertools' ConnectContactFlowEvent raises KeyError on TASK/EMAIL; an unknown channel is still data.
    contact = ContactRequest.from_event(event_with(Channel=channel, CustomerEndpoint=None, SystemEndpoint=None))
    assert contact.channel == expected


def test_a_task_or_email_without_endpoints() -> None:
    for channel in ("TASK", "EMAIL"):
        event = connect_event(channel=channel, attributes={"entry_key": "collections_followup"})
        contact = ContactRequest.from_event(event)
        assert (contact.channel, contact.customer_number, contact.dialed_number) == (channel, "", "")
        assert contact.attributes["entry_key"] == "collections_followup"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (5, "5"),
        (2.5, "2.5"),
        (True, "true"),
        (False, "false"),
        ({"nested": "dict"}, ""),  # not routable data
        (["a", "list"], ""),
        ("", ""),
    ],
)
def test_parameter_and_attribute_values_of_any_type(value: Any, expected: str) -> None:
    event = connect_event(attributes={"a": value}, parameters={"p": value})
    contact = ContactRequest.from_event(event)
    assert (contact.attributes["a"], contact.parameters["p"]) == (expected, expected)
    assert all(isinstance(v, str) for v in (*contact.attributes.values(), *contact.parameters.values()))


def test_null_values_are_absent_and_keys_become_text() -> None:
    event = connect_event(parameters={"none": None, 1: "one"})  # type: ignore[dict-item]
    contact = ContactRequest.from_event(event)
    assert contact.parameters == {"1": "one"}


@pytest.mark.parametrize("caller", ["anonymous", "Anonymous", "RESTRICTED", "private", "unknown", "", "  "])
def test_anonymous_callers(caller: str) -> None:
    contact = ContactRequest.from_event(event_with(CustomerEndpoint={"Address": caller, "Type": "TELEPHONE_NUMBER"}))
    assert contact.caller_is_anonymous is True


@pytest.mark.parametrize("caller", ["+12125550187", "+44 7700 900123", "2125550187"])
def test_callers_with_numbers_are_not_anonymous(caller: str) -> None:
    contact = ContactRequest.from_event(event_with(CustomerEndpoint={"Address": caller, "Type": "TELEPHONE_NUMBER"}))
    assert contact.caller_is_anonymous is False


def test_initiation_method_is_upper_case() -> None:
    assert ContactRequest.from_event(event_with(InitiationMethod="transfer")).initiation_method == "TRANSFER"


def test_every_sample_event_parses() -> None:
    events = json.loads(SAMPLE_EVENTS.read_text())
    contacts = [ContactRequest.from_event(e) for e in events]
    assert all(c.contact_id for c in contacts)
    assert {c.channel for c in contacts} >= {"VOICE"}
    for event, contact in zip(events, contacts, strict=True):
        assert contact.contact_id == event["Details"]["ContactData"]["ContactId"]
