"""Contact outcomes: Amazon Connect contact events, parsed into the *slots* of a call log that converges.

Pure logic (no I/O): the store (``routing.outcomes.store``) applies one event to one *slot* of a contact's
record with a conditional write; this module parses events and defines the slot order. A contact record
(``routing.outcomes.records``) is one more slot, ``RECORD``. ``routing.outcomes.call_log`` derives what became of
the contact from the slots. See ``docs/design/observability.md``.

The record keeps, per event type, the latest event of that type (by the event's own timestamp, then its id). That is
a function of the *set* of events seen, so duplicates and any arrival order give the same record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Connect's contact event types that carry a contact's progress; each is one slot of the record. Newer types
# (PAUSED, RESUMED, …) are ignored, as AWS asks consumers to do.
SLOT_TYPES = ("INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED")
ENDING_TYPES = frozenset({"DISCONNECTED", "COMPLETED"})
# The contact record's slot (routing.outcomes.records): ordered by LastUpdateTimestamp, the authority once present.
RECORD_SLOT = "RECORD"
ALL_SLOTS = (*SLOT_TYPES, RECORD_SLOT)

# Tags the inbound flow sets after the route call (contact_flows/inbound.json, TagDecision / TagCallbackRequested).
TAG_FIELDS = {
    "trunkline:rule": "rule_id",
    "trunkline:config": "config_version",
    "trunkline:lob": "line_of_business",
    "trunkline:queue": "queue_key",
    "trunkline:callback": "callback",
}
MAX_FIELD_CHARS = 256  # a tag value's limit; nothing we keep is longer
UNKNOWN_LOB = "unknown"
# Contacts the generic flows route (voice inbound, chat/task via the API, transfers); callbacks are recognised by
# their ``CALLBACK…`` method (also CALLBACK_CUSTOMER_FIRST_…). Agent outbound, monitoring, campaigns… are recorded
# but have no routing outcome. An event without the field is given the benefit of the doubt.
ROUTED_METHODS = frozenset({"", "INBOUND", "TRANSFER", "QUEUE_TRANSFER", "API", "WEBRTC_API"})
# A queued contact that the system, not the customer, ended is not an abandon (a customer-queue flow that
# disconnects or transfers out, an API StopContact).
SYSTEM_ENDED = frozenset({"CONTACT_FLOW_DISCONNECT", "API"})


class EventRejectedError(ValueError):
    """The event is not a usable Amazon Connect contact event (the message says why); a retry cannot fix it."""


Slot = dict[str, Any]  # {"at": epoch ms, "id": event id, <field>: str | int, ...}
Slots = dict[str, Slot]  # event type -> slot


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """One contact event, reduced to what the call log keeps."""

    event_id: str
    event_type: str
    contact_id: str
    at_ms: int
    fields: Mapping[str, str | int]

    @property
    def is_slot(self) -> bool:
        """True for the event types the call log records."""
        return self.event_type in ALL_SLOTS

    def slot(self) -> Slot:
        """The slot this event writes."""
        return {"at": self.at_ms, "id": self.event_id, **self.fields}


def newer(candidate: Slot, current: Slot | None) -> bool:
    """The slot order: later event time wins, the greater event id breaks ties; an equal slot is not newer.

    The DynamoDB store expresses exactly this as its condition expression (``call_log_store.py``).
    """
    if current is None:
        return True
    return (int(candidate["at"]), str(candidate["id"])) > (int(current["at"]), str(current["id"]))


def apply_event(slots: Slots, event: ContactEvent) -> bool:
    """Apply ``event`` to ``slots`` in place (the in-memory twin of the store's conditional write)."""
    if not event.is_slot:
        return False
    slot = event.slot()
    if not newer(slot, slots.get(event.event_type)):
        return False
    slots[event.event_type] = slot
    return True


# -- parsing ---------------------------------------------------------------------------------------------------


def field_of(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``key`` in camelCase, else PascalCase (AWS's own samples mix them)."""
    if not isinstance(mapping, Mapping):
        return None
    value = mapping.get(key)
    if value is None:
        value = mapping.get(key[:1].upper() + key[1:])
    return value


def kept_text(value: object) -> str:
    """A kept text field: stripped, capped, and valid Unicode — a lone surrogate (``"\ud800"`` in the JSON) cannot
    be written to DynamoDB or a log, so the event is rejected here rather than raising in the store on every retry."""
    if not isinstance(value, str):
        return ""
    text = value.strip()[:MAX_FIELD_CHARS]
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise EventRejectedError("the event has text that is not valid Unicode (a lone surrogate)") from None
    return text


def _shown(value: object) -> str:
    """A value for a rejection message: a string's repr (escapes surrogates) cut short, else None or the type name
    (the repr of anything else can be huge, or raise: an int of more than 4,300 digits has none)."""
    if value is None or isinstance(value, str):
        return repr(value)[:80]
    return f"<{type(value).__name__}>"


def epoch_ms(value: object) -> int | None:
    """An ISO-8601 timestamp (``2026-12-02T10:15:30.123Z``) as epoch milliseconds; None if absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return int(parsed.timestamp() * 1000)


def arn_id(arn: str) -> str:
    """The last path element of an ARN (a queue's id), or "" when it has none."""
    return arn.rsplit("/", 1)[-1] if "/" in arn else ""


def parse_event(envelope: object) -> ContactEvent:
    """Parse one EventBridge envelope; raises ``EventRejectedError`` with the reason when it is unusable.

    Hand-written rather than Powertools' ``EventBridgeEvent`` data class plus a model: the data class only wraps the
    envelope (``detail`` stays a raw dict), and AWS documents mixed key casing in the detail and asks consumers to
    ignore unknown fields and event types — tolerant lookups do that in a few lines.
    """
    envelope, detail = _contact_event(envelope)
    contact_id, event_type, event_id = _identity(envelope, detail)
    times = _times(detail)
    own_time = {
        "INITIATED": times["initiated_at"],
        "CONNECTED_TO_SYSTEM": times["connected_to_system_at"],
        "QUEUED": times["enqueued_at"],
        "CONNECTED_TO_AGENT": times["answered_at"],
        "DISCONNECTED": times["disconnected_at"],
        "COMPLETED": times["acw_ended_at"] or times["disconnected_at"],
    }.get(event_type)
    at_ms = own_time or epoch_ms(envelope.get("time"))
    if at_ms is None:
        raise EventRejectedError(f"contact {contact_id}: {event_type} has no usable timestamp")
    fields = _fields(detail, times)
    return ContactEvent(event_id=event_id, event_type=event_type, contact_id=contact_id, at_ms=at_ms, fields=fields)


def _contact_event(envelope: object) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """``(envelope, detail)`` of an Amazon Connect contact event, or ``EventRejectedError`` saying why it is not one."""
    if not isinstance(envelope, Mapping):
        raise EventRejectedError("the event is not a JSON object")
    if envelope.get("source") != "aws.connect" or envelope.get("detail-type") != "Amazon Connect Contact Event":
        raise EventRejectedError(
            f"not an Amazon Connect contact event: source={_shown(envelope.get('source'))}, "
            f"detail-type={_shown(envelope.get('detail-type'))}"
        )
    detail = envelope.get("detail")
    if not isinstance(detail, Mapping):
        raise EventRejectedError("the event has no detail object")
    return envelope, detail


def _identity(envelope: Mapping[str, Any], detail: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(contact_id, event_type, event_id)``, each required; ``EventRejectedError`` names the first one missing."""
    contact_id = kept_text(field_of(detail, "contactId"))
    if not contact_id:
        raise EventRejectedError("the event has no contactId")
    event_type = kept_text(field_of(detail, "eventType")).upper()
    if not event_type:
        raise EventRejectedError(f"contact {contact_id}: the event has no eventType")
    if event_type == RECORD_SLOT:  # the contact record's slot: never written by an event
        raise EventRejectedError(f"contact {contact_id}: eventType {RECORD_SLOT} is not a contact event type")
    event_id = kept_text(envelope.get("id"))
    if not event_id:
        raise EventRejectedError(f"contact {contact_id}: the event has no id")
    return contact_id, event_type, event_id


def _times(detail: Mapping[str, Any]) -> dict[str, int | None]:
    """The contact's timestamps (epoch ms) that this event carries, None where absent or unusable."""
    queue = field_of(detail, "queueInfo")
    agent = field_of(detail, "agentInfo")
    return {
        "initiated_at": epoch_ms(field_of(detail, "initiationTimestamp")),
        "connected_to_system_at": epoch_ms(field_of(detail, "connectedToSystemTimestamp")),
        "enqueued_at": epoch_ms(field_of(queue, "enqueueTimestamp")),
        "answered_at": epoch_ms(field_of(agent, "connectedToAgentTimestamp")),
        "disconnected_at": epoch_ms(field_of(detail, "disconnectTimestamp")),
        "acw_ended_at": epoch_ms(field_of(agent, "afterContactWorkEndTimestamp")),
    }


def _fields(detail: Mapping[str, Any], times: Mapping[str, int | None]) -> dict[str, str | int]:
    """The call-log fields of one event: the timestamps present, the non-empty texts, our own tags."""
    queue = field_of(detail, "queueInfo")
    fields: dict[str, str | int] = {k: v for k, v in times.items() if v is not None}
    texts = {
        "channel": kept_text(field_of(detail, "channel")).upper(),
        "initiation_method": kept_text(field_of(detail, "initiationMethod")).upper(),
        "previous_contact_id": kept_text(field_of(detail, "previousContactId")),
        "initial_contact_id": kept_text(field_of(detail, "initialContactId")),
        "queue_id": arn_id(kept_text(field_of(queue, "queueArn"))),
        "disconnect_reason": kept_text(field_of(detail, "disconnectReason")).upper(),
    }
    fields.update({k: v for k, v in texts.items() if v})
    tags = field_of(detail, "tags")
    if isinstance(tags, Mapping):
        # Only our own tags: others may hold anything, and the record has no use for them.
        fields.update({name: kept_text(tags.get(tag)) for tag, name in TAG_FIELDS.items() if kept_text(tags.get(tag))})
    return fields
