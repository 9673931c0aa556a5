"""The reply contract (routing.route.reply): a flat ``dict[str, str]`` Connect can read as ``$.External``."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from routing.route.decision import QueueProfile, RouteStatus, RoutingDecision
from routing.route.engine import CompiledConfig, decide
from routing.route.reply import RESERVED_KEYS, RESERVED_ORDER, bounded_reply, queue_arn, to_reply
from tests.conftest import ALWAYS_PRESENT, assert_reply_contract
from trunkline.contacts import DR_INSTANCE_ARN, INSTANCE_ARN

QUEUE = QueueProfile("cards_general", "86ab7e22-5e41-516b-9428-5c53e39b9081", "Cards General", {"greeting": "hi"})


def decision(**overrides: Any) -> RoutingDecision:
    fields: dict[str, Any] = {
        "status": RouteStatus.ROUTED,
        "reason": "rule",
        "queue": QUEUE,
        "config_version": "v000003",
        "config_source": "active",
        "classification": "general_service",
        "rule_id": "cards:default",
        "ruleset": "cards",
        "priority": 5,
    }
    fields.update(overrides)
    return RoutingDecision(**fields)


def json_bytes(reply: dict[str, str]) -> int:
    return len(json.dumps(reply, ensure_ascii=False).encode())


@pytest.mark.parametrize("status", list(RouteStatus))
@pytest.mark.parametrize("queue", [QUEUE, None])
def test_every_status_gives_a_flat_string_map_with_every_reserved_key(status: RouteStatus, queue: Any) -> None:
    reply = assert_reply_contract(to_reply(decision(status=status, queue=queue), instance_arn=INSTANCE_ARN))
    assert reply["status"] == status.value
    assert set(ALWAYS_PRESENT) <= set(reply)


def test_reserved_values_are_rendered_as_text() -> None:
    reply = to_reply(
        decision(
            priority=2, callback_offer=True, callback_wait_s=312.7, metrics_age_s=4.9, routing_criteria='[{"a":1}]'
        ),
        instance_arn=INSTANCE_ARN,
    )
    assert (reply["priority"], reply["callback_offer"], reply["callback_wait_s"], reply["metrics_age_s"]) == (
        "2",
        "true",
        "312",
        "4",
    )
    assert reply["routing_criteria"] == '[{"a":1}]'
    unknown = to_reply(decision(), instance_arn=INSTANCE_ARN)
    assert (unknown["callback_offer"], unknown["callback_wait_s"], unknown["metrics_age_s"]) == ("false", "", "")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_wait_or_age_is_unknown_not_a_crash(bad: float) -> None:
    # A metric snapshot can carry NaN/Infinity (JSON allows them in Python); the reply must still be built.
    reply = to_reply(decision(callback_wait_s=bad, metrics_age_s=bad), instance_arn=INSTANCE_ARN)
    assert (reply["callback_wait_s"], reply["metrics_age_s"]) == ("", "")
    assert_reply_contract(reply)


# --- queue ARN -----------------------------------------------------------------------------------------------


def test_queue_arn_is_built_from_the_invoking_instance() -> None:
    active = to_reply(decision(), instance_arn=INSTANCE_ARN)
    dr = to_reply(decision(), instance_arn=DR_INSTANCE_ARN)
    assert active["queue_arn"] == f"{INSTANCE_ARN}/queue/{QUEUE.queue_id}"
    assert dr["queue_arn"] == f"{DR_INSTANCE_ARN}/queue/{QUEUE.queue_id}"
    assert active["queue_arn"] != dr["queue_arn"]
    assert active["queue_id"] == dr["queue_id"] == QUEUE.queue_id


def test_queue_arn_from_the_same_compiled_config_differs_per_instance(sample_compiled: CompiledConfig) -> None:
    from datetime import UTC, datetime

    from routing.common.contact import ContactRequest

    made = decide(
        ContactRequest(dialed_number="+18005550200"), sample_compiled, now=datetime(2026, 11, 24, 15, tzinfo=UTC)
    )
    east = to_reply(made, instance_arn=INSTANCE_ARN)["queue_arn"]
    west = to_reply(made, instance_arn=DR_INSTANCE_ARN)["queue_arn"]
    assert east.startswith("arn:aws:connect:us-east-1:")
    assert west.startswith("arn:aws:connect:us-west-2:")
    assert east.rsplit("/", 1)[1] == west.rsplit("/", 1)[1] == made.queue.queue_id  # type: ignore[union-attr]


@pytest.mark.parametrize(("instance", "queue_id"), [("", "q-1"), (INSTANCE_ARN, ""), ("", "")])
def test_no_queue_arn_without_an_instance_or_a_queue_id(instance: str, queue_id: str) -> None:
    assert queue_arn(instance, queue_id) == ""


def test_no_queue_gives_empty_queue_fields() -> None:
    reply = to_reply(decision(status=RouteStatus.ERROR_DEFAULT, queue=None), instance_arn=INSTANCE_ARN)
    assert (reply["queue_key"], reply["queue_id"], reply["queue_arn"], reply["queue_name"]) == ("", "", "", "")


# --- attributes ----------------------------------------------------------------------------------------------


def test_queue_attributes_then_rule_attributes_then_reserved_keys() -> None:
    queue = QueueProfile("q", "qid", "Q", {"greeting": "queue", "music": "queue", "status": "from queue"})
    reply = to_reply(
        decision(queue=queue, attributes={"greeting": "rule", "case": "rule", "queue_arn": "from rule"}),
        instance_arn=INSTANCE_ARN,
    )
    assert (reply["greeting"], reply["music"], reply["case"]) == ("rule", "queue", "rule")
    # Validation keeps reserved names out of config, but an unvalidated document (a baked file) cannot override them
    assert reply["status"] == "ROUTED"
    assert reply["queue_arn"] == f"{INSTANCE_ARN}/queue/qid"


@pytest.mark.parametrize("key", ["has space", "dot.ted", "ünï", "line\n", "", "a/b"])
def test_attribute_keys_that_are_not_reply_keys_are_left_out(key: str) -> None:
    reply = to_reply(decision(attributes={key: "x", "fine_key-1": "y"}), instance_arn="")
    assert key not in reply
    assert reply["fine_key-1"] == "y"
    assert_reply_contract(reply)


def test_non_string_attribute_values_are_left_out() -> None:
    reply = to_reply(decision(attributes={"n": 5, "b": True, "s": "ok"}), instance_arn="")
    assert ("n" in reply, "b" in reply, reply["s"]) == (False, False, "ok")


def test_oversize_attributes_are_dropped_and_flagged() -> None:
    queue = QueueProfile("q", "qid", "Q", {f"q{i}": "x" * 1000 for i in range(16)})
    rule = {f"r{i}": "y" * 1000 for i in range(16)}
    reply = to_reply(decision(queue=queue, attributes=rule), instance_arn=INSTANCE_ARN)
    assert reply["attributes_dropped"] == "true"
    assert not any(k.startswith(("q", "r")) and k[1:].isdigit() for k in reply)
    assert (reply["status"], reply["queue_id"], reply["queue_arn"]) == ("ROUTED", "qid", f"{INSTANCE_ARN}/queue/qid")
    assert_reply_contract(reply)
    small = to_reply(decision(queue=queue), instance_arn=INSTANCE_ARN)
    assert "attributes_dropped" not in small
    assert small["q0"] == "x" * 1000


def test_escaped_characters_count_towards_the_limit() -> None:
    # 2 x 15,000 quote characters pass validation (each map is under 16 KB) but are 60 KB once JSON-escaped.
    queue = QueueProfile("q", "qid", "Q", {"quotes": '"' * 15_000})
    reply = to_reply(decision(queue=queue, attributes={"more": '"' * 15_000}), instance_arn=INSTANCE_ARN)
    assert json_bytes(reply) < 32_000
    assert reply.get("attributes_dropped") == "true"


def test_multibyte_text_counts_in_utf8_bytes() -> None:
    queue = QueueProfile("q", "qid", "Q", {"welcome": "ようこそ" * 2_000})  # 8,000 chars, 24,000 bytes
    reply = to_reply(decision(queue=queue, attributes={"more": "é" * 4_000}), instance_arn=INSTANCE_ARN)
    assert json_bytes(reply) < 32_000
    assert reply.get("attributes_dropped") == "true"
    fits = to_reply(decision(queue=queue), instance_arn=INSTANCE_ARN)
    assert fits["welcome"] == "ようこそ" * 2_000


def test_the_reserved_key_set_covers_every_key_the_reply_owns() -> None:
    owned = set(to_reply(decision(), instance_arn=INSTANCE_ARN)) - set(QUEUE.attributes)
    assert owned <= RESERVED_KEYS
    assert "attributes_dropped" in RESERVED_KEYS


@pytest.mark.parametrize(("priority", "expected"), [(1, "1"), (10, "10"), (0, "5"), (11, "5"), (1000, "5")])
def test_a_priority_the_flow_cannot_set_is_connects_default_5(priority: int, expected: str) -> None:
    # The flow sets 1..10 with static blocks; anything else is Connect's default 5, never the lowest precedence.
    assert to_reply(decision(priority=priority), instance_arn=INSTANCE_ARN)["priority"] == expected


def test_the_reply_counts_the_routing_steps_for_the_flow() -> None:
    steps = '[{"expression":{"AttributeCondition":{}}},{"expression":{}}]'
    assert to_reply(decision(routing_criteria=steps), instance_arn=INSTANCE_ARN)["routing_criteria_steps"] == "2"
    assert to_reply(decision(), instance_arn=INSTANCE_ARN)["routing_criteria_steps"] == "0"
    assert to_reply(decision(routing_criteria="{not json"), instance_arn=INSTANCE_ARN)["routing_criteria_steps"] == "0"
    # Steps are a list: one object (a malformed document) is no steps, not one.
    one_object = '{"expression":{}}'
    assert to_reply(decision(routing_criteria=one_object), instance_arn=INSTANCE_ARN)["routing_criteria_steps"] == "0"


# --- hostile values (an unvalidated document, text echoed from the event) ----------------------------------


def test_a_lone_surrogate_in_any_value_is_replaced_not_raised() -> None:
    # "\ud800" cannot be encoded as UTF-8: before the fix, sizing the reply raised outside the never-raise guard
    queue = QueueProfile("q", "qid", "Q\ud800", {"greeting": "hi\udfff"})
    reply = assert_reply_contract(
        to_reply(decision(queue=queue, reason="unknown_transfer_queue:x\ud800", language="en\ud800"), instance_arn="")
    )
    assert (reply["queue_name"], reply["greeting"], reply["language"]) == ("Q\ufffd", "hi\ufffd", "en\ufffd")
    assert reply["reason"] == "unknown_transfer_queue:x\ufffd"


def test_oversized_reserved_values_fall_back_to_bounded_contract_keys() -> None:
    # Given reserved values far over the limit (a baked document nobody validated)
    queue = QueueProfile("q", "qid-1", "N" * 40_000, {"extra": "x"})
    reply = to_reply(decision(queue=queue, message="m" * 40_000, routing_criteria="[" * 40_000), instance_arn="arn")
    # Then the reply keeps only the contract keys, bounded, and still routes to the queue
    assert_reply_contract(reply)
    assert set(reply) == set(RESERVED_ORDER) | {"attributes_dropped"}
    assert (reply["status"], reply["queue_id"], reply["queue_arn"]) == ("ROUTED", "qid-1", "arn/queue/qid-1")
    assert reply["routing_criteria"] == ""  # emptied, never cut into invalid JSON
    assert len(reply["queue_name"]) <= 120


def test_the_bounded_reply_of_nothing_is_every_contract_key_empty() -> None:
    assert bounded_reply({}) == {**dict.fromkeys(RESERVED_ORDER, ""), "attributes_dropped": "true"}


def test_the_bounded_reply_keeps_criteria_of_exactly_the_value_limit_and_empties_longer() -> None:
    from routing.route.reply import BOUNDED_VALUE_CHARS

    at_limit = "[" + "x" * (BOUNDED_VALUE_CHARS - 2) + "]"
    assert bounded_reply({"routing_criteria": at_limit})["routing_criteria"] == at_limit
    assert bounded_reply({"routing_criteria": at_limit + " "})["routing_criteria"] == ""


def test_the_bounded_reply_fits_whatever_the_values() -> None:
    # Worst case: every value is control characters, six bytes each once JSON-escaped
    huge = dict.fromkeys(RESERVED_ORDER, "\x01" * 50000)
    assert json_bytes(bounded_reply(huge)) < 32_000
    assert json_bytes(bounded_reply({})) < 32_000
