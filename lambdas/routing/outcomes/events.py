"""Contact outcomes: Amazon Connect contact events → a call log that converges, and what became of each contact.

Pure logic (no I/O): the store (``routing.outcomes.store``) applies one event to one *slot* of a contact's
record with a conditional write; this module parses events, defines the slot order, derives the call log from the
slots and tallies outcomes. See ``docs/design/observability.md``.

The record keeps, per event type, the latest event of that type (by the event's own timestamp, then its id). That is
a function of the *set* of events seen, so duplicates and any arrival order give the same record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# Connect's contact event types that carry a contact's progress; each is one slot of the record. Newer types
# (PAUSED, RESUMED, …) are ignored, as AWS asks consumers to do.
SLOT_TYPES = ("INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED")
ENDING_TYPES = frozenset({"DISCONNECTED", "COMPLETED"})

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


class Outcome(StrEnum):
    """What became of one contact (see the table in docs/design/observability.md)."""

    ANSWERED = "ANSWERED"
    ABANDONED = "ABANDONED"
    CALLBACK_COMPLETED = "CALLBACK_COMPLETED"
    CALLBACK_FAILED = "CALLBACK_FAILED"
    CALLBACK_REQUESTED = "CALLBACK_REQUESTED"
    ENDED_IN_FLOW = "ENDED_IN_FLOW"
    NOT_ROUTED = "NOT_ROUTED"  # a contact the flows do not route (agent outbound, monitoring…): no outcome metric
    IN_PROGRESS = "IN_PROGRESS"


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
        return self.event_type in SLOT_TYPES

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


def _get(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``key`` in camelCase, else PascalCase (AWS's own samples mix them)."""
    if not isinstance(mapping, Mapping):
        return None
    value = mapping.get(key)
    if value is None:
        value = mapping.get(key[:1].upper() + key[1:])
    return value


def _text(value: object) -> str:
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


def _arn_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else ""


def parse_event(envelope: object) -> ContactEvent:
    """Parse one EventBridge envelope; raises ``EventRejectedError`` with the reason when it is unusable.

    Hand-written rather than Powertools' ``EventBridgeEvent`` data class plus a model: the data class only wraps the
    envelope (``detail`` stays a raw dict), and AWS documents mixed key casing in the detail and asks consumers to
    ignore unknown fields and event types — tolerant lookups do that in a few lines.
    """
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
    contact_id = _text(_get(detail, "contactId"))
    if not contact_id:
        raise EventRejectedError("the event has no contactId")
    event_type = _text(_get(detail, "eventType")).upper()
    if not event_type:
        raise EventRejectedError(f"contact {contact_id}: the event has no eventType")
    event_id = _text(envelope.get("id"))
    if not event_id:
        raise EventRejectedError(f"contact {contact_id}: the event has no id")

    queue = _get(detail, "queueInfo")
    agent = _get(detail, "agentInfo")
    times = {
        "initiated_at": epoch_ms(_get(detail, "initiationTimestamp")),
        "connected_to_system_at": epoch_ms(_get(detail, "connectedToSystemTimestamp")),
        "enqueued_at": epoch_ms(_get(queue, "enqueueTimestamp")),
        "answered_at": epoch_ms(_get(agent, "connectedToAgentTimestamp")),
        "disconnected_at": epoch_ms(_get(detail, "disconnectTimestamp")),
        "acw_ended_at": epoch_ms(_get(agent, "afterContactWorkEndTimestamp")),
    }
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

    fields: dict[str, str | int] = {k: v for k, v in times.items() if v is not None}
    texts = {
        "channel": _text(_get(detail, "channel")).upper(),
        "initiation_method": _text(_get(detail, "initiationMethod")).upper(),
        "previous_contact_id": _text(_get(detail, "previousContactId")),
        "initial_contact_id": _text(_get(detail, "initialContactId")),
        "queue_id": _arn_id(_text(_get(queue, "queueArn"))),
        "disconnect_reason": _text(_get(detail, "disconnectReason")).upper(),
    }
    fields.update({k: v for k, v in texts.items() if v})
    tags = _get(detail, "tags")
    if isinstance(tags, Mapping):
        # Only our own tags: others may hold anything, and the record has no use for them.
        fields.update({name: _text(tags.get(tag)) for tag, name in TAG_FIELDS.items() if _text(tags.get(tag))})
    return ContactEvent(event_id=event_id, event_type=event_type, contact_id=contact_id, at_ms=at_ms, fields=fields)


# -- the call log ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallLog:
    """One contact's record, derived from its slots."""

    contact_id: str
    outcome: Outcome
    channel: str = ""
    initiation_method: str = ""
    previous_contact_id: str = ""
    queue_id: str = ""
    queue_key: str = ""
    line_of_business: str = ""
    rule_id: str = ""
    config_version: str = ""
    callback_requested: bool = False
    initiated_at_ms: int | None = None
    enqueued_at_ms: int | None = None
    answered_at_ms: int | None = None
    disconnected_at_ms: int | None = None
    disconnect_reason: str = ""
    events: tuple[str, ...] = field(default=())

    @property
    def is_callback(self) -> bool:
        """A callback contact (Connect dials the customer back)."""
        return self.initiation_method.startswith("CALLBACK")

    @property
    def ended(self) -> bool:
        """The contact has disconnected."""
        return self.outcome is not Outcome.IN_PROGRESS

    @property
    def time_to_answer_s(self) -> float | None:
        """Seconds from enqueue to an agent, when both are known."""
        if self.enqueued_at_ms is None or self.answered_at_ms is None:
            return None
        return max(0.0, (self.answered_at_ms - self.enqueued_at_ms) / 1000)

    @property
    def time_to_abandon_s(self) -> float | None:
        """Seconds from enqueue to the caller hanging up, for an abandoned contact."""
        if self.outcome is not Outcome.ABANDONED or self.enqueued_at_ms is None or self.disconnected_at_ms is None:
            return None
        return max(0.0, (self.disconnected_at_ms - self.enqueued_at_ms) / 1000)

    def as_log(self) -> dict[str, Any]:
        """The fields of the ``contact outcome`` log line (no phone numbers: events carry none)."""
        return {
            "contact_id": self.contact_id,
            "outcome": self.outcome.value,
            "channel": self.channel,
            "initiation_method": self.initiation_method,
            "previous_contact_id": self.previous_contact_id,
            "queue_id": self.queue_id,
            "queue_key": self.queue_key,
            "line_of_business": self.line_of_business or UNKNOWN_LOB,
            "rule_id": self.rule_id,
            "config_version": self.config_version,
            "callback_requested": self.callback_requested,
            "disconnect_reason": self.disconnect_reason,
            "time_to_answer_s": self.time_to_answer_s,
            "time_to_abandon_s": self.time_to_abandon_s,
            "events": list(self.events),
        }


def _latest(slots: Slots) -> dict[str, Any]:
    """Every field at its value in the latest slot that has it (slots in event order)."""
    merged: dict[str, Any] = {}
    for slot in sorted(slots.values(), key=lambda s: (int(s["at"]), str(s["id"]))):
        merged.update({k: v for k, v in slot.items() if k not in ("at", "id") and v not in ("", None)})
    return merged


def summarize(contact_id: str, slots: Slots, *, inherited_lob: str = "") -> CallLog:
    """The call log of one contact from its slots; ``inherited_lob`` serves a callback contact (its parent's)."""
    f = _latest(slots)
    types = set(slots)

    def ms(name: str) -> int | None:
        value = f.get(name)
        return int(value) if isinstance(value, int | float) else None

    answered_at = ms("answered_at")
    # The enqueue time from the queue info, else the QUEUED event's own time (some events omit the timestamp).
    enqueued_at = ms("enqueued_at")
    if enqueued_at is None and "QUEUED" in slots:
        enqueued_at = int(slots["QUEUED"]["at"])
    disconnected_at = ms("disconnected_at")
    ended = bool(types & ENDING_TYPES) or disconnected_at is not None
    answered = "CONNECTED_TO_AGENT" in types or answered_at is not None
    # AWS's rule: queued means an enqueue happened (a working queue alone, e.g. a transfer refused at capacity, is not).
    queued = enqueued_at is not None
    method = str(f.get("initiation_method", ""))
    is_callback = method.startswith("CALLBACK")
    callback_requested = f.get("callback") == "requested"
    if not ended:
        outcome = Outcome.IN_PROGRESS
    elif is_callback:
        # CONNECTED_TO_AGENT on a callback means an agent took it and Connect dialled the customer.
        outcome = Outcome.CALLBACK_COMPLETED if answered else Outcome.CALLBACK_FAILED
    elif method not in ROUTED_METHODS:
        outcome = Outcome.NOT_ROUTED
    elif answered:
        outcome = Outcome.ANSWERED
    elif queued and str(f.get("disconnect_reason", "")) not in SYSTEM_ENDED:
        outcome = Outcome.ABANDONED
    elif callback_requested:
        outcome = Outcome.CALLBACK_REQUESTED
    else:
        outcome = Outcome.ENDED_IN_FLOW
    return CallLog(
        contact_id=contact_id,
        outcome=outcome,
        channel=str(f.get("channel", "")),
        initiation_method=str(f.get("initiation_method", "")),
        previous_contact_id=str(f.get("previous_contact_id", "")),
        queue_id=str(f.get("queue_id", "")),
        queue_key=str(f.get("queue_key", "")),
        line_of_business=str(f.get("line_of_business", "")) or inherited_lob,
        rule_id=str(f.get("rule_id", "")),
        config_version=str(f.get("config_version", "")),
        callback_requested=callback_requested,
        initiated_at_ms=ms("initiated_at"),
        enqueued_at_ms=enqueued_at,
        answered_at_ms=answered_at,
        disconnected_at_ms=disconnected_at,
        disconnect_reason=str(f.get("disconnect_reason", "")),
        events=tuple(t for t in SLOT_TYPES if t in types),
    )


def summarize_all(records: Mapping[str, Slots]) -> list[CallLog]:
    """Call logs of many contacts (contact id → slots); a callback without its own tags takes its parent's line of
    business, as the outcomes function does with one read (reports and the demo)."""
    logs = {contact_id: summarize(contact_id, slots) for contact_id, slots in records.items()}
    out = []
    for contact_id, log in sorted(logs.items()):
        parent = logs.get(log.previous_contact_id)
        inherit = log.is_callback and not log.line_of_business and parent is not None and parent is not log
        lob = parent.line_of_business if inherit and parent is not None else ""
        out.append(summarize(contact_id, records[contact_id], inherited_lob=lob) if lob else log)
    return out


# -- outcome metrics and totals (the metrics and the demo summary share this) -----------------------------------

COUNT_METRIC = {
    Outcome.ANSWERED: "ContactsAnswered",
    Outcome.ABANDONED: "ContactsAbandoned",
    Outcome.CALLBACK_COMPLETED: "CallbacksCompleted",
    Outcome.CALLBACK_FAILED: "CallbacksFailed",
    Outcome.CALLBACK_REQUESTED: "CallbacksRequested",
    Outcome.ENDED_IN_FLOW: "ContactsEndedInFlow",
}


def outcome_metrics(log: CallLog) -> list[tuple[str, str, float]]:
    """(metric name, unit, value) to emit once for an ended contact, dimensioned by its line of business."""
    if log.outcome not in COUNT_METRIC:
        return []  # in progress, or not a routed contact
    out: list[tuple[str, str, float]] = [(COUNT_METRIC[log.outcome], "Count", 1.0)]
    if log.outcome in (Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED) and log.time_to_answer_s is not None:
        out.append(("TimeToAnswer", "Seconds", round(log.time_to_answer_s, 3)))
    if log.time_to_abandon_s is not None:
        out.append(("TimeToAbandon", "Seconds", round(log.time_to_abandon_s, 3)))
    return out


@dataclass(slots=True)
class OutcomeTotals:
    """Counts for one line of business (or all), built from the same metric tuples the function emits."""

    counts: dict[str, int] = field(default_factory=dict)
    answer_seconds: list[float] = field(default_factory=list)
    abandon_seconds: list[float] = field(default_factory=list)

    def add(self, metrics: Iterable[tuple[str, str, float]]) -> None:
        """Add one contact's outcome metrics."""
        for name, _unit, value in metrics:
            if name == "TimeToAnswer":
                self.answer_seconds.append(value)
            elif name == "TimeToAbandon":
                self.abandon_seconds.append(value)
            else:
                self.counts[name] = self.counts.get(name, 0) + int(value)

    def count(self, outcome: Outcome) -> int:
        """How many contacts ended with ``outcome``."""
        return self.counts.get(COUNT_METRIC[outcome], 0)

    @property
    def abandonment_rate(self) -> float | None:
        """Abandoned / (answered + abandoned), callbacks excluded; None when nobody queued."""
        answered, abandoned = self.count(Outcome.ANSWERED), self.count(Outcome.ABANDONED)
        return abandoned / (answered + abandoned) if answered + abandoned else None

    @property
    def callback_success_rate(self) -> float | None:
        """Completed / (completed + failed) callbacks; None when no callback ended."""
        done, failed = self.count(Outcome.CALLBACK_COMPLETED), self.count(Outcome.CALLBACK_FAILED)
        return done / (done + failed) if done + failed else None

    @property
    def mean_time_to_answer_s(self) -> float | None:
        """Mean seconds from enqueue to an agent."""
        return sum(self.answer_seconds) / len(self.answer_seconds) if self.answer_seconds else None


def tally(logs: Iterable[CallLog]) -> dict[str, OutcomeTotals]:
    """Totals per line of business (key ``UNKNOWN_LOB`` when untagged) of the ended, routed contacts in ``logs``."""
    totals: dict[str, OutcomeTotals] = {}
    for log in logs:
        if log.outcome in COUNT_METRIC:
            totals.setdefault(log.line_of_business or UNKNOWN_LOB, OutcomeTotals()).add(outcome_metrics(log))
    return totals
