"""Queued-callback acceptance: normalize and vet the number, de-duplicate atomically, answer the flow.

Pure logic over a ``CallbackStore``; ``phonenumbers`` is imported only here (never on the route path).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from routing.callback.policy import CallbackPolicy
from routing.common.contact import ANONYMOUS_CALLER_IDS
from routing.common.text import clean_text as _clean_text

ANONYMOUS_VALUES = ANONYMOUS_CALLER_IDS  # one list, shared with route (``ContactRequest.caller_is_anonymous``)
# Refused whatever the policy says: US premium-rate (900/976) and UK premium/mobile ranges that Amazon Connect
# blocks for outbound calls by default (+447 mobiles, +449 premium, +4487 special services).
DEFAULT_BLOCKED_PREFIXES = ("+1900", "+1976", "+447", "+449", "+4487")


class CallbackStatus(StrEnum):
    """``callback_status`` in the reply: each refusal has its own so the flow can ask again or apologise."""

    RESERVED = "RESERVED"  # reserve: the number is held for minutes, the flow may create the callback
    CONFIRMED = "CONFIRMED"  # confirm: Connect created the callback, the hold lasts the de-dup window
    RELEASED = "RELEASED"  # release: a failure branch gave the hold (and its cap slot) back
    DUPLICATE = "DUPLICATE"
    INVALID_NUMBER = "INVALID_NUMBER"
    ANONYMOUS = "ANONYMOUS"
    NOT_ALLOWED_COUNTRY = "NOT_ALLOWED_COUNTRY"
    BLOCKED_PREFIX = "BLOCKED_PREFIX"
    QUEUE_FULL = "QUEUE_FULL"
    NOT_OFFERED = "NOT_OFFERED"
    ERROR = "ERROR"


class CallbackAction(StrEnum):
    """The ``action`` parameter the flow passes (absent means ``reserve``)."""

    RESERVE = "reserve"
    CONFIRM = "confirm"
    RELEASE = "release"


class HoldState(StrEnum):
    """A hold (lock) on (queue, number): reserved for minutes, or confirmed for the de-dup window."""

    RESERVED = "RESERVED"
    CONFIRMED = "CONFIRMED"


class ConfirmOutcome(StrEnum):
    """What ``confirm`` found (the reply is ``CONFIRMED`` in every case: the callback exists in Connect)."""

    CONFIRMED = "confirmed"  # the contact's reservation became the window-long lock (or already had)
    ADOPTED = "adopted"  # no live reservation (expired, or never made): the lock was taken anew
    UNLOCKED = "unlocked"  # no live reservation and another contact holds the number: nothing to lock


MAX_TEXT_CHARS = 128  # queue keys, profiles and contact ids are short identifiers; nothing echoed is longer


def clean_text(value: object, limit: int = MAX_TEXT_CHARS) -> str:
    """An event value made safe to echo in a reply or a log (``routing.common.text.clean_text``: lone surrogates
    replaced, at most ``limit`` characters). Anything but a string becomes ""."""
    return _clean_text(value, limit) if isinstance(value, str) else ""


def cap_shares(max_open: int, shards: int) -> list[int]:
    """How many callbacks each cap shard admits: ``max_open`` split over at most ``shards`` counters, so the shares
    add up to exactly ``max_open`` (no shard gets a zero share: fewer shards than ``max_open`` when it is small)."""
    count = max(1, min(shards, max_open))
    base, extra = divmod(max(0, max_open), count)
    return [base + (1 if i < extra else 0) for i in range(count)]


class NumberKeyMissingError(RuntimeError):
    """No usable HMAC key for phone numbers: a lock cannot be written without storing the raw number."""


MIN_KEY_BYTES = 32


class NumberHasher:
    """HMAC-SHA256 of an E.164 number with the deployment's key: what the callback table stores instead of it.

    Phone numbers are a small space (about 10^10 per country), so a plain hash is reversed by enumeration in
    minutes; the secret key is what makes the digest useless to whoever reads the table, a backup or a log.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes | str) -> None:
        raw = key.encode() if isinstance(key, str) else key
        self._key = raw if len(raw) >= MIN_KEY_BYTES else b""

    @property
    def ready(self) -> bool:
        """A key of at least ``MIN_KEY_BYTES`` is configured."""
        return bool(self._key)

    def digest(self, e164: str) -> str:
        """Hex HMAC-SHA256 of ``e164``; raises ``NumberKeyMissingError`` without a usable key."""
        if not self._key:
            raise NumberKeyMissingError(f"CALLBACK_NUMBER_KEY is missing or shorter than {MIN_KEY_BYTES} bytes")
        import hashlib
        import hmac

        return hmac.new(self._key, e164.encode(), hashlib.sha256).hexdigest()


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
    """What the flow asks for; the number only as its keyed hash (the store never sees the raw number)."""

    contact_id: str
    queue_key: str
    number_hash: str
    profile: str
    window_seconds: int
    max_open: int
    reservation_seconds: int = 300


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What a contact holds (idempotent retries return it; ``release`` finds the lock and cap slot from it)."""

    state: HoldState
    queue_key: str
    number_hash: str
    profile: str


class CallbackStore(Protocol):
    """Atomic callback records (``routing.callback.store``)."""

    def answer_for(self, contact_id: str) -> StoredAnswer | None:
        """What this contact holds (a Connect retry, a second request), if anything."""
        ...

    def reserve(self, request: CallbackRequest, *, now: float) -> CallbackStatus:
        """One atomic write: hold (queue, number) for ``reservation_seconds``, take a cap slot, remember the
        contact. Returns RESERVED, DUPLICATE or QUEUE_FULL."""
        ...

    def confirm(self, contact_id: str, request: CallbackRequest | None, *, now: float) -> ConfirmOutcome:
        """Turn the contact's reservation into the lock held for ``window_seconds`` (idempotent); without a live
        reservation, take the lock anew from ``request`` if the number is free."""
        ...

    def release(self, contact_id: str, *, keep_confirmed: bool = False) -> bool:
        """Drop this contact's lock and cap slot (idempotent). With ``keep_confirmed`` a confirmed callback is
        kept (the flow's failure branches); returns False when it was kept."""
        ...
