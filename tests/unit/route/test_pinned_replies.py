"""Issue 17, continued: behaviours no test pinned down — each test here fails if its behaviour breaks.

- Anonymous caller ids: every value Connect and carriers use is treated the same by route and callback, from one
  shared list.
- The empty default closed message: a closed line with no message anywhere answers CLOSED with an empty message,
  and the flow plays its static fallback.
- A reply right at the 32 KB limit: the size counts the JSON separators exactly; 31,999 bytes are kept whole,
  32,000 fall back to the contract keys.
"""

from __future__ import annotations

import pytest

from routing.callback.policy import CallbackPolicy
from routing.callback.request import ANONYMOUS_VALUES, CallbackStatus, check_number
from routing.common.contact import ANONYMOUS_CALLER_IDS, ContactRequest

# What Connect sends for a withheld caller id ("anonymous") and what carriers put in the From/P-Asserted-Identity.
CARRIER_VALUES = ("anonymous", "restricted", "unknown", "withheld", "private", "")
POLICY = CallbackPolicy.compile({"key": "p", "profile": "standard", "allowed_countries": ["US"]})


def test_route_and_callback_share_one_list_that_holds_every_carrier_value() -> None:
    assert ANONYMOUS_VALUES is ANONYMOUS_CALLER_IDS
    assert set(CARRIER_VALUES) <= ANONYMOUS_CALLER_IDS


@pytest.mark.parametrize("raw", [*CARRIER_VALUES, "WITHHELD", " Private ", "Unknown"])
def test_every_anonymous_value_is_anonymous_for_route_and_callback(raw: str) -> None:
    event = {"Details": {"ContactData": {"CustomerEndpoint": {"Address": raw, "Type": "TELEPHONE_NUMBER"}}}}
    assert ContactRequest.from_event(event).caller_is_anonymous is True
    assert check_number(raw, region="US", policy=POLICY).status is CallbackStatus.ANONYMOUS


@pytest.mark.parametrize("raw", ["+12125550187", "2125550187"])
def test_a_number_is_not_anonymous_for_either(raw: str) -> None:
    event = {"Details": {"ContactData": {"CustomerEndpoint": {"Address": raw, "Type": "TELEPHONE_NUMBER"}}}}
    assert ContactRequest.from_event(event).caller_is_anonymous is False
    assert check_number(raw, region="US", policy=POLICY).status is None


# --- the empty default closed message ------------------------------------------------------------------------


def test_a_closed_line_with_no_message_anywhere_answers_closed_and_the_flow_plays_its_fallback() -> None:
    """defaults.closed_message "" and no schedule message: the reply is CLOSED with ``message`` present and empty
    (never a missing key, never another queue), and the inbound flow's PlayClosedMessage errors on the empty text
    into its static fallback, then disconnects."""
    from routing.config.loader import validate_document
    from routing.route.engine import CompiledConfig, decide
    from routing.route.reply import to_reply
    from tests.flows.flow_scenarios import CLOSED_FALLBACK, simulator
    from tests.unit.route.test_schedule import _document, utc
    from trunkline.contacts import INSTANCE_ARN
    from trunkline.simulator import Contact, EndReason

    document = _document(False)
    document["defaults"]["closed_message"] = ""
    validated = validate_document(document)
    assert validated.document is not None, validated  # an empty default closed message is a valid config
    cfg = CompiledConfig.compile(validated.document)
    decision = decide(ContactRequest(dialed_number="+18005550100"), cfg, now=utc(2026, 11, 25, 3, 0))
    reply = to_reply(decision, instance_arn=INSTANCE_ARN)
    assert (reply["status"], reply["reason"], reply["message"]) == ("CLOSED", "closed:hours", "")

    result = simulator(lambda *_: dict(reply)).run("inbound", Contact())
    visited = [step.identifier for step in result.trace]
    assert "PlayClosedFallback" in visited
    assert [m.text for m in result.messages] == [CLOSED_FALLBACK]
    assert (result.end_reason, result.queue_arn) == (EndReason.DISCONNECTED, None)


# --- a reply right at the size limit -------------------------------------------------------------------------


def _compact_bytes(reply: dict[str, str]) -> int:
    """Measured here, not with ``reply_size``: the JSON Lambda hands Connect, without spaces after separators."""
    import json

    return len(json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode())


@pytest.mark.parametrize(("size", "kept"), [(31_999, True), (32_000, False)])
def test_a_reply_of_31999_bytes_is_kept_whole_and_32000_falls_back(size: int, kept: bool) -> None:
    """Connect: "less than 32 KB" (MAX_REPLY_BYTES = 32,000). The count includes the quotes, colons and commas
    exactly (no spaces): a padding attribute sized so the whole reply is ``size`` bytes."""
    from routing.route.reply import MAX_REPLY_BYTES, RESERVED_ORDER, reply_size, to_reply
    from tests.unit.route.test_reply import decision

    assert MAX_REPLY_BYTES == 32_000
    base = to_reply(decision(attributes={"padding": ""}), instance_arn="")
    padding = "x" * (size - _compact_bytes(base))
    full = {**base, "padding": padding}
    assert _compact_bytes(full) == size
    reply = to_reply(decision(attributes={"padding": padding}), instance_arn="")
    if kept:
        assert reply == full
        assert reply_size(reply) == size
    else:
        assert "padding" not in reply
        assert reply["attributes_dropped"] == "true"
        assert set(reply) == {*RESERVED_ORDER, "attributes_dropped"}
        assert reply["status"] == "ROUTED"
