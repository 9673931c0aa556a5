"""Queued-callback acceptance: normalize and vet the number, de-duplicate atomically, answer the flow.

Pure logic over a ``CallbackStore``; ``phonenumbers`` is imported only here (never on the route path).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from routing.callback_policy import CallbackPolicy

ANONYMOUS_VALUES = frozenset({"", "anonymous", "restricted", "unknown", "private", "withheld"})
# Refused whatever the policy says: US premium-rate (900/976) and UK premium/mobile ranges that Amazon Connect
# blocks for outbound calls by default (+447 mobiles, +449 premium, +4487 special services).
DEFAULT_BLOCKED_PREFIXES = ("+1900", "+1976", "+447", "+449", "+4487")


class CallbackStatus(StrEnum):
    """``callback_status`` in the reply: each refusal has its own so the flow can ask again or apologise."""

    CREATED = "CREATED"
    DUPLICATE = "DUPLICATE"
    INVALID_NUMBER = "INVALID_NUMBER"
    ANONYMOUS = "ANONYMOUS"
    NOT_ALLOWED_COUNTRY = "NOT_ALLOWED_COUNTRY"
    BLOCKED_PREFIX = "BLOCKED_PREFIX"
    QUEUE_FULL = "QUEUE_FULL"
    NOT_OFFERED = "NOT_OFFERED"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class NumberCheck:
    """The outcome of vetting a number."""

    status: CallbackStatus | None  # None: acceptable
    e164: str = ""
    country: str = ""


def check_number(raw: str | None, *, region: str, policy: CallbackPolicy) -> NumberCheck:
    """Normalize ``raw`` to E.164 (``region`` for national formats) and apply the policy's rules."""
    text = (raw or "").strip()
    if text.lower() in ANONYMOUS_VALUES:
        return NumberCheck(CallbackStatus.ANONYMOUS)
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return NumberCheck(CallbackStatus.INVALID_NUMBER)
    if not phonenumbers.is_valid_number(parsed):
        return NumberCheck(CallbackStatus.INVALID_NUMBER)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    country = phonenumbers.region_code_for_number(parsed) or ""
    if e164.startswith((*DEFAULT_BLOCKED_PREFIXES, *policy.blocked_prefixes)):
        return NumberCheck(CallbackStatus.BLOCKED_PREFIX, e164, country)
    if country not in policy.allowed_countries:
        return NumberCheck(CallbackStatus.NOT_ALLOWED_COUNTRY, e164, country)
    return NumberCheck(None, e164, country)


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """What the flow asks for."""

    contact_id: str
    queue_key: str
    number: str  # E.164
    profile: str
    window_seconds: int
    max_open: int


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What a contact was answered (idempotent retries return it)."""

    status: CallbackStatus
    queue_key: str
    number: str
    profile: str


class CallbackStore(Protocol):
    """Atomic callback records (``routing.data.callback_store``)."""

    def answer_for(self, contact_id: str) -> StoredAnswer | None:
        """What this contact was answered before (a Connect retry), if anything."""
        ...

    def create(self, request: CallbackRequest, *, now: float) -> CallbackStatus:
        """One atomic write: lock (queue, number) for the window, count against the cap, remember the answer.
        Returns CREATED, DUPLICATE or QUEUE_FULL."""
        ...

    def release(self, contact_id: str, *, now: float) -> None:
        """Drop this contact's lock and count (the caller gave another number, or the callback ended)."""
        ...
