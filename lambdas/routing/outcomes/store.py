"""The call log: one conditional write per contact event, so the record converges whatever the order.

``apply`` writes the event's slot only when it is newer than the slot stored (``routing.outcomes.events.newer``):
``attribute_not_exists(slot) OR slot.at < :at OR (slot.at = :at AND slot.id < :id)``. A duplicate or an older
event fails the condition and changes nothing (``None``). A contact record is one more slot (``RECORD``, ordered by
``LastUpdateTimestamp``) written the same way. ``claim`` marks a contact's outcome as counted, once. A write that
carries a disconnect time also sets ``ended_hour``, the key of the index ``ended_in`` reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from threading import Lock
from typing import TYPE_CHECKING, Any, Protocol

from routing.common.pynamo_store import PynamoStore
from routing.outcomes.events import ALL_SLOTS, ContactEvent, Slots, apply_event
from routing.outcomes.records import hour_key

if TYPE_CHECKING:
    from pynamodb.attributes import MapAttribute
    from pynamodb.expressions.update import Action

    from routing.common.models import CallLogItem

# Slot type -> the model attribute holding it (the attribute's DynamoDB name is the event type).
_SLOT_ATTRIBUTES = {t: f"ev_{t.lower()}" for t in ALL_SLOTS}


def _number(value: Any) -> Any:
    # Numbers come back from DynamoDB as floats when PynamoDB cannot tell; epoch milliseconds are integers.
    return int(value) if isinstance(value, float) and value.is_integer() else value


class StoredRecord:
    """A contact's slots and whether its outcome was counted."""

    __slots__ = ("contact_id", "counted", "ended_hour", "slots")

    def __init__(self, contact_id: str, slots: Slots, counted: str | None, ended_hour: str | None = None) -> None:
        self.contact_id = contact_id
        self.slots = slots
        self.counted = counted
        self.ended_hour = ended_hour


def ended_hour_of(event: ContactEvent) -> str | None:
    """The UTC hour of the contact's disconnect, when this write carries it."""
    at = event.fields.get("disconnected_at")
    return hour_key(at) if isinstance(at, int) else None


class CallLogStore(Protocol):
    """Where call logs live (DynamoDB in Lambda, a dict in tests and the demo)."""

    def apply(self, event: ContactEvent, *, expires_at: float) -> StoredRecord | None:
        """Write the event's slot if newer; the record after the write, or None if nothing changed."""
        ...

    def get(self, contact_id: str) -> StoredRecord | None:
        """The record of one contact, if any."""
        ...

    def claim(self, contact_id: str, outcome: str) -> bool:
        """Mark the outcome counted; True only for the first claim of a contact."""
        ...

    def scan(self) -> list[StoredRecord]:
        """Every record (the demo's summary; never on a hot path)."""
        ...

    def ended_in(self, hour: str) -> list[StoredRecord]:
        """The records of the contacts that ended in the UTC hour ``hour`` (``2026-12-04T13``)."""
        ...


class InMemoryCallLogStore:
    """The same semantics in a dict (tests, the demo)."""

    def __init__(self) -> None:
        self.records: dict[str, StoredRecord] = {}
        self.expiry: dict[str, float] = {}
        self._mutex = Lock()

    def apply(self, event: ContactEvent, *, expires_at: float) -> StoredRecord | None:
        with self._mutex:
            record = self.records.setdefault(event.contact_id, StoredRecord(event.contact_id, {}, None))
            if not apply_event(record.slots, event):
                return None
            self.expiry[event.contact_id] = expires_at
            record.ended_hour = ended_hour_of(event) or record.ended_hour
            return StoredRecord(
                record.contact_id, {k: dict(v) for k, v in record.slots.items()}, record.counted, record.ended_hour
            )

    def get(self, contact_id: str) -> StoredRecord | None:
        record = self.records.get(contact_id)
        return (
            None if record is None else StoredRecord(contact_id, dict(record.slots), record.counted, record.ended_hour)
        )

    def claim(self, contact_id: str, outcome: str) -> bool:
        with self._mutex:
            record = self.records.get(contact_id)
            if record is None or record.counted is not None:
                return False
            record.counted = outcome
            return True

    def scan(self) -> list[StoredRecord]:
        return [StoredRecord(k, dict(v.slots), v.counted, v.ended_hour) for k, v in sorted(self.records.items())]

    def ended_in(self, hour: str) -> list[StoredRecord]:
        return [r for r in self.scan() if r.ended_hour == hour]


class DynamoCallLogStore(PynamoStore["CallLogItem"]):
    """The call-log table through PynamoDB (``routing.common.models.CallLogItem``)."""

    def _model_class(self) -> type[CallLogItem]:
        from routing.common.models import CallLogItem

        return CallLogItem

    def _record(self, item: Any) -> StoredRecord:
        slots: Slots = {}
        for event_type, attribute in _SLOT_ATTRIBUTES.items():
            value = getattr(item, attribute, None)
            if value is not None:
                raw = value.as_dict() if hasattr(value, "as_dict") else dict(value)
                slots[event_type] = {k: _number(v) for k, v in raw.items()}
        return StoredRecord(item.contact_id, slots, item.counted, item.ended_hour)

    def apply(self, event: ContactEvent, *, expires_at: float) -> StoredRecord | None:
        from pynamodb.exceptions import UpdateError

        m = self._model
        if not event.is_slot:
            return None
        attr: MapAttribute[str, Any] = getattr(m, _SLOT_ATTRIBUTES[event.event_type])
        condition = (
            attr.does_not_exist()
            | (attr["at"] < event.at_ms)
            | ((attr["at"] == event.at_ms) & (attr["id"] < event.event_id))
        )
        item = m(event.contact_id)
        actions: list[Action] = [
            attr.set(event.slot()),
            m.updated_at.set(int(event.at_ms // 1000)),
            m.expires_at.set(datetime.fromtimestamp(expires_at, UTC)),
        ]
        hour = ended_hour_of(event)
        if hour is not None:
            actions.append(m.ended_hour.set(hour))
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return self._record(item)

    def get(self, contact_id: str) -> StoredRecord | None:
        try:
            return self._record(self._model.get(contact_id, consistent_read=True))
        except self._model.DoesNotExist:
            return None

    def claim(self, contact_id: str, outcome: str) -> bool:
        from pynamodb.exceptions import UpdateError

        m = self._model
        try:
            m(contact_id).update(
                actions=[m.counted.set(outcome)], condition=m.contact_id.exists() & m.counted.does_not_exist()
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def scan(self) -> list[StoredRecord]:
        return sorted((self._record(item) for item in self._model.scan()), key=lambda r: r.contact_id)

    def ended_in(self, hour: str) -> list[StoredRecord]:
        # One index partition per hour: an hour of a 15 contacts/s centre is ~54,000 items, ~150 pages of 1 MB.
        return [self._record(item) for item in self._model.by_ended_hour.query(hour)]
