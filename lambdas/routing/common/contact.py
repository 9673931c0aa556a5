"""Defensive parsing of the Amazon Connect flow event.

Powertools ships ``ConnectContactFlowEvent`` (3.37), but its enum properties raise ``KeyError`` on values it does
not list — ``channel`` knows only VOICE and CHAT (not TASK or EMAIL), ``initiation_method`` only INBOUND, OUTBOUND,
TRANSFER, CALLBACK and API (not QUEUE_TRANSFER, DISCONNECT, …), ``endpoint_type`` only TELEPHONE_NUMBER — and every
property indexes its key, so an absent key raises too (a ``null`` endpoint or queue it does handle). A routing
decision must never crash a call, so we read the raw dict and tolerate every missing, null or unknown part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.common.text import clean_text

# Caller ids that are not a number (compared lower-cased, stripped): Connect's "anonymous" for a withheld id, and what
# carriers put in From/P-Asserted-Identity. ONE list for route (``caller_is_anonymous``) and callback
# (``routing.callback.request.check_number``), so the two can never disagree about a caller.
ANONYMOUS_CALLER_IDS = frozenset({"", "anonymous", "restricted", "unknown", "withheld", "private"})
# Caps on what is kept of each event value (characters). Generous for real values (a UUID is 36, an ARN ~130, an
# E.164 number 16, a Connect attribute value is rarely over a few hundred), small enough that nothing echoed from the
# event can make a reply or a log line large.
MAX_ID_CHARS = 128  # contact id, channel, initiation method, language
MAX_ADDRESS_CHARS = 256  # ARNs and endpoint addresses
MAX_NAME_CHARS = 128  # attribute and parameter names
MAX_VALUE_CHARS = 4096  # attribute and parameter values


def _as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_str(value: object, limit: int = MAX_ID_CHARS) -> str:
    """Connect sends strings, but flow authors can pass numbers/booleans in Parameters: keep them usable.
    Always encodable text of at most ``limit`` characters (``routing.common.text.clean_text``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value, limit)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        try:
            return str(value)[:limit]
        except ValueError:  # an int of more than 4,300 digits has no str
            return ""
    return ""  # nested JSON values are not routable data


def _string_map(value: object) -> dict[str, str]:
    return {
        clean_text(str(k), MAX_NAME_CHARS): _as_str(v, MAX_VALUE_CHARS)
        for k, v in _as_mapping(value).items()
        if v is not None
    }


def _endpoint_address(value: object) -> str:
    return _as_str(_as_mapping(value).get("Address"), MAX_ADDRESS_CHARS).strip()


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """What the routing decision needs from one Connect invocation."""

    contact_id: str = ""
    channel: str = "VOICE"
    initiation_method: str = ""
    instance_arn: str = ""
    customer_number: str = ""
    dialed_number: str = ""
    queue_arn: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    language: str = ""

    @classmethod
    def from_event(cls, event: object) -> ContactRequest:
        """Parse a Connect ``ContactFlowEvent``; any part may be missing, null or of the wrong type."""
        details = _as_mapping(_as_mapping(event).get("Details"))
        data = _as_mapping(details.get("ContactData"))
        channel = _as_str(data.get("Channel")).upper() or "VOICE"
        return cls(
            contact_id=_as_str(data.get("ContactId")),
            channel=channel,
            initiation_method=_as_str(data.get("InitiationMethod")).upper(),
            instance_arn=_as_str(data.get("InstanceARN"), MAX_ADDRESS_CHARS),
            customer_number=_endpoint_address(data.get("CustomerEndpoint")),
            dialed_number=_endpoint_address(data.get("SystemEndpoint")),
            queue_arn=_as_str(_as_mapping(data.get("Queue")).get("ARN"), MAX_ADDRESS_CHARS),
            attributes=_string_map(data.get("Attributes")),
            parameters=_string_map(details.get("Parameters")),
            language=_as_str(data.get("LanguageCode")),
        )

    @property
    def caller_is_anonymous(self) -> bool:
        """No usable caller number: withheld, anonymous, or not a telephone number."""
        number = self.customer_number
        return number.strip().lower() in ANONYMOUS_CALLER_IDS
