"""Callback and reply behaviours a mutation run (``make mutation``) showed no test pinned (issue 17): the exact cap
shares, the country each number check reports, the key-length boundary of the number hasher and its bytes key,
what ``clean_text`` makes of non-text, and the reply's fallback at exactly the size limit."""

from __future__ import annotations

import pytest

from routing.callback.policy import CallbackPolicy
from routing.callback.request import (
    MIN_KEY_BYTES,
    NumberHasher,
    NumberKeyMissingError,
    cap_shares,
    check_number,
    clean_text,
)
from routing.route.decision import QueueProfile, RouteStatus, RoutingDecision
from routing.route.reply import MAX_REPLY_BYTES, RESERVED_ORDER, reply_size, to_reply

POLICY = CallbackPolicy.compile(
    {"key": "p", "profile": "standard", "allowed_countries": ["US", "CA"], "blocked_prefixes": ["+1312"]}
)


@pytest.mark.parametrize(
    ("max_open", "shards", "shares"),
    [(10, 4, [3, 3, 2, 2]), (8, 4, [2, 2, 2, 2]), (3, 4, [1, 1, 1]), (1, 4, [1]), (0, 4, [0]), (5, 1, [5])],
)
def test_cap_shares_split_the_cap_exactly_with_no_empty_shard(max_open: int, shards: int, shares: list[int]) -> None:
    assert cap_shares(max_open, shards) == shares
    assert sum(cap_shares(max_open, shards)) == max_open


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("+12125550187", "US"),
        ("+13125550100", "US"),
        ("+447400123456", "GB"),
        ("+442079460000", "GB"),
        ("+14165550123", "CA"),
    ],
)
def test_every_number_check_reports_the_numbers_country(raw: str, country: str) -> None:
    # accepted, blocked prefix, a blocked UK mobile, a UK landline (not an allowed country), accepted (Canada): the
    # country is always the number's
    assert check_number(raw, region="US", policy=POLICY).country == country


def test_the_hasher_takes_a_key_of_exactly_the_minimum_length_as_text_or_bytes() -> None:
    key = "k" * MIN_KEY_BYTES
    assert NumberHasher(key).ready
    assert not NumberHasher(key[:-1]).ready
    assert NumberHasher(key.encode()).digest("+12125550187") == NumberHasher(key).digest("+12125550187")


def test_a_short_key_is_refused_with_a_message_naming_the_setting_and_the_minimum() -> None:
    with pytest.raises(NumberKeyMissingError) as refused:
        NumberHasher("k" * (MIN_KEY_BYTES - 1)).digest("+12125550187")
    assert str(refused.value) == f"CALLBACK_NUMBER_KEY is missing or shorter than {MIN_KEY_BYTES} bytes"


def test_clean_text_makes_non_text_empty_and_replaces_a_lone_surrogate_with_one_character() -> None:
    assert clean_text(None) == ""
    assert clean_text(42) == ""
    assert clean_text("a\ud800b") == "a\ufffdb"


def _routed(message: str) -> RoutingDecision:
    queue = QueueProfile("q", "qid-1", "Q", {"extra": "x" * 100})  # an attribute: the whole reply is over the limit
    return RoutingDecision(status=RouteStatus.ROUTED, reason="r", queue=queue, message=message, rule_id="x")


def test_contract_keys_exactly_at_the_limit_fall_back_to_the_bounded_reply() -> None:
    # Given a decision whose contract keys alone (with the oversize marker) are exactly MAX_REPLY_BYTES
    base = to_reply(_routed(""), instance_arn="arn")
    reserved = {k: base[k] for k in RESERVED_ORDER} | {"attributes_dropped": "true"}
    message = "m" * (MAX_REPLY_BYTES - reply_size(reserved))
    # When it is flattened: "less than 32 KB" is not met at exactly the limit
    reply = to_reply(_routed(message), instance_arn="arn")
    # Then the last-resort reply answers: bounded values, the marker set to exactly "true"
    assert len(reply["message"]) == 1_000
    assert reply["attributes_dropped"] == "true"
    assert reply_size(reply) < MAX_REPLY_BYTES
    # and one byte less keeps the contract keys whole
    shorter = to_reply(_routed(message[:-1]), instance_arn="arn")
    assert shorter["message"] == message[:-1]
    assert shorter["attributes_dropped"] == "true"
