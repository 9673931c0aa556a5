"""Amazon Connect contact records (the Kinesis data stream) → the ``RECORD`` slot of a contact's call log.

Pure logic. Connect "delivers contact records at least once" and again when information changes (for example
after ``update-contact-attributes``); consumers de-duplicate by ``ContactId`` and keep the copy with the latest
``LastUpdateTimestamp`` (Amazon Connect Administrator Guide, "Data model for Amazon Connect contact records").
The slot's order is exactly that: ``at`` is ``LastUpdateTimestamp``, ``id`` a hash of the kept fields, so an
identical re-delivery is equal (changes nothing) and two different copies with one timestamp resolve the same way
in any order.

Only what outcomes need is kept. The customer's number is masked (``mask_phone``); ``TransferredToEndpoint`` (a
phone number) is reduced to a flag; no other attribute is copied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from routing.common.observability import mask_phone
from routing.outcomes.events import (
    RECORD_SLOT,
    TAG_FIELDS,
    ContactEvent,
    EventRejectedError,
    arn_id,
    epoch_ms,
    field_of,
    kept_text,
)

# The route's reply is copied to these contact attributes by the inbound flow (contact_flows/inbound.json); a record
# carries them in ``Attributes`` even when tagging failed. Tags win when both are present.
ATTRIBUTE_FIELDS = {
    "rule_id": "rule_id",
    "config_version": "config_version",
    "line_of_business": "line_of_business",
    "queue_key": "queue_key",
}


class RecordRejectedError(EventRejectedError):
    """Not a usable contact record (the message says why, never the payload); a retry cannot fix it."""


def hour_key(epoch_milliseconds: int) -> str:
    """The UTC hour a moment falls in, ``2026-12-04T13`` (the call log's ``ended_hour``)."""
    return datetime.fromtimestamp(epoch_milliseconds / 1000, UTC).strftime("%Y-%m-%dT%H")


def _times(record: Mapping[str, Any]) -> dict[str, int | None]:
    queue = field_of(record, "queue")
    agent = field_of(record, "agent")
    return {
        "initiated_at": epoch_ms(field_of(record, "initiationTimestamp")),
        "connected_to_system_at": epoch_ms(field_of(record, "connectedToSystemTimestamp")),
        "enqueued_at": epoch_ms(field_of(queue, "enqueueTimestamp")),
        "dequeued_at": epoch_ms(field_of(queue, "dequeueTimestamp")),
        "answered_at": epoch_ms(field_of(agent, "connectedToAgentTimestamp")),
        "disconnected_at": epoch_ms(field_of(record, "disconnectTimestamp")),
        "acw_ended_at": epoch_ms(field_of(agent, "afterContactWorkEndTimestamp")),
        "transfer_completed_at": epoch_ms(field_of(record, "transferCompletedTimestamp")),
    }


def _decision(record: Mapping[str, Any]) -> dict[str, str]:
    """Our decision fields: contact tags (``trunkline:*``) first, else the route's contact attributes."""
    out: dict[str, str] = {}
    attributes = field_of(record, "attributes")
    if isinstance(attributes, Mapping):
        for key, name in ATTRIBUTE_FIELDS.items():
            value = kept_text(attributes.get(key))
            if value:
                out[name] = value
    tags = field_of(record, "tags")
    if isinstance(tags, Mapping):
        out.update({name: kept_text(tags.get(tag)) for tag, name in TAG_FIELDS.items() if kept_text(tags.get(tag))})
    return out


def parse_record(record: object) -> ContactEvent:
    """One contact record (the decoded JSON of a Kinesis record) as the write of its ``RECORD`` slot.

    Raises ``RecordRejectedError`` when it has no ``ContactId`` or no usable timestamp.
    """
    if not isinstance(record, Mapping):
        raise RecordRejectedError("the contact record is not a JSON object")
    contact_id = kept_text(field_of(record, "contactId"))
    if not contact_id:
        raise RecordRejectedError("the contact record has no ContactId")
    times = _times(record)
    # LastUpdateTimestamp is the documented de-duplication order; an old format without it falls back to the end.
    at_ms = epoch_ms(field_of(record, "lastUpdateTimestamp")) or times["disconnected_at"] or times["initiated_at"]
    if at_ms is None:
        raise RecordRejectedError(f"contact {contact_id}: the contact record has no usable timestamp")
    fields: dict[str, str | int] = {k: v for k, v in times.items() if v is not None}
    queue = field_of(record, "queue")
    next_contact = kept_text(field_of(record, "nextContactId"))
    texts = {
        "channel": kept_text(field_of(record, "channel")).upper(),
        "initiation_method": kept_text(field_of(record, "initiationMethod")).upper(),
        "previous_contact_id": kept_text(field_of(record, "previousContactId")),
        "next_contact_id": next_contact,
        "initial_contact_id": kept_text(field_of(record, "initialContactId")),
        "queue_id": arn_id(kept_text(field_of(queue, "ARN")) or kept_text(field_of(queue, "arn"))),
        "disconnect_reason": kept_text(field_of(record, "disconnectReason")).upper(),
        "customer": mask_phone(kept_text(field_of(field_of(record, "customerEndpoint"), "address"))),
    }
    fields.update({k: v for k, v in texts.items() if v})
    fields.update(_decision(record))
    transferred_to = field_of(record, "transferredToEndpoint")
    if next_contact or "transfer_completed_at" in fields or transferred_to:
        fields["transferred"] = 1
    attributes = field_of(record, "attributes")
    if isinstance(attributes, Mapping) and kept_text(attributes.get("callback_offer")).lower() == "true":
        fields["callback_offered"] = 1
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]
    return ContactEvent(event_id=digest, event_type=RECORD_SLOT, contact_id=contact_id, at_ms=at_ms, fields=fields)


def decode_kinesis_data(data: bytes) -> object:
    """The JSON document of one Kinesis record's (already base64-decoded) data; rejects what is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordRejectedError(f"the Kinesis record is not JSON ({type(exc).__name__})") from None
