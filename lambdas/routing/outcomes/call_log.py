"""What became of one contact: the call log derived from its slots (contact events and its contact record).

Pure logic. Each field takes its value from the latest event slot that carries it; once the contact record is
present (slot ``RECORD``), the record's fields override the events' — records are the authority, events the fast
path. The outcome rules are the table in ``docs/design/observability.md``. Also the outcome metrics and totals the
outcomes functions, the report and the demo share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from routing.outcomes.events import (
    ENDING_TYPES,
    RECORD_SLOT,
    ROUTED_METHODS,
    SLOT_TYPES,
    SYSTEM_ENDED,
    UNKNOWN_LOB,
    Slots,
)


class Outcome(StrEnum):
    """What became of one contact (see the table in docs/design/observability.md)."""

    ANSWERED = "ANSWERED"
    ABANDONED = "ABANDONED"  # queued, never reached an agent, the customer hung up
    ENDED_BY_SYSTEM = "ENDED_BY_SYSTEM"  # queued, never reached an agent, the system (flow, API, network) ended it
    TRANSFERRED = "TRANSFERRED"  # left for another contact (queue transfer, external number) before an agent
    CALLBACK_COMPLETED = "CALLBACK_COMPLETED"  # events only: an agent took the callback (reach unknown)
    CALLBACK_REACHED = "CALLBACK_REACHED"  # record: an agent took it and the call with the customer took place
    CALLBACK_FAILED = "CALLBACK_FAILED"
    CALLBACK_REQUESTED = "CALLBACK_REQUESTED"
    ENDED_IN_FLOW = "ENDED_IN_FLOW"
    NOT_ROUTED = "NOT_ROUTED"  # a contact the flows do not route (agent outbound, monitoring…): no outcome metric
    IN_PROGRESS = "IN_PROGRESS"


# A queued contact whose record says the customer hung up is an abandon (Connect: "disconnected by the customer while
# in queue"); any other reason, or none ("may be null for flow/API-ended contacts"), is the system's doing.
CUSTOMER_ENDED = frozenset({"CUSTOMER_DISCONNECT"})
# A callback an agent took reached the customer when the call ended by a party of the conversation. ASSUMPTION (not
# documented for agent-first callbacks): an unanswered dial-out ends with another reason (OTHER, TELECOM_PROBLEM, null).
CALLBACK_REACHED_REASONS = frozenset({"CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT"})


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
    from_record: bool = False  # the contact record was present (its fields won)
    transferred: bool = False
    callback_offered: bool = False
    customer: str = ""  # masked (records only; events carry no number)

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
        """The fields of the ``contact outcome`` log line (the customer number masked, as the record slot keeps it)."""
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
            "from_record": self.from_record,
            "transferred": self.transferred,
            "customer": self.customer,
        }


def _latest(slots: Slots) -> dict[str, Any]:
    """Every field at its value in the latest event slot that has it, then the record's fields over them."""
    merged: dict[str, Any] = {}
    events = [s for t, s in slots.items() if t != RECORD_SLOT]
    for slot in sorted(events, key=lambda s: (int(s["at"]), str(s["id"]))):
        merged.update({k: v for k, v in slot.items() if k not in ("at", "id") and v not in ("", None)})
    record = slots.get(RECORD_SLOT)
    if record is not None:
        merged.update({k: v for k, v in record.items() if k not in ("at", "id") and v not in ("", None)})
    return merged


def _ms(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the outcome rules read."""

    ended: bool
    answered: bool
    queued: bool
    method: str
    reason: str
    callback_requested: bool
    transferred: bool
    from_record: bool


def decide(f: _Facts) -> Outcome:
    """The outcome rules (docs/design/observability.md), in order."""
    if not f.ended:
        return Outcome.IN_PROGRESS
    if f.method.startswith("CALLBACK"):
        if not f.from_record:  # CONNECTED_TO_AGENT on a callback: an agent took it and Connect dialled the customer
            return Outcome.CALLBACK_COMPLETED if f.answered else Outcome.CALLBACK_FAILED
        reached = f.answered and f.reason in CALLBACK_REACHED_REASONS
        return Outcome.CALLBACK_REACHED if reached else Outcome.CALLBACK_FAILED
    if f.method not in ROUTED_METHODS:
        return Outcome.NOT_ROUTED
    if f.answered:
        return Outcome.ANSWERED
    if f.callback_requested:  # Connect: "contacts queued for callback are not counted as abandoned"
        return Outcome.CALLBACK_REQUESTED
    if f.transferred:
        return Outcome.TRANSFERRED
    if f.queued:
        customer = f.reason in CUSTOMER_ENDED if f.from_record else f.reason not in SYSTEM_ENDED
        return Outcome.ABANDONED if customer else Outcome.ENDED_BY_SYSTEM
    return Outcome.ENDED_IN_FLOW


def summarize(contact_id: str, slots: Slots, *, inherited_lob: str = "") -> CallLog:
    """The call log of one contact from its slots; ``inherited_lob`` serves a callback contact (its parent's)."""
    f = _latest(slots)
    types = set(slots)
    from_record = RECORD_SLOT in slots
    answered_at = _ms(f, "answered_at")
    # The enqueue time from the queue info, else the QUEUED event's own time (some events omit the timestamp).
    enqueued_at = _ms(f, "enqueued_at")
    if enqueued_at is None and "QUEUED" in slots:
        enqueued_at = int(slots["QUEUED"]["at"])
    disconnected_at = _ms(f, "disconnected_at")
    method = str(f.get("initiation_method", ""))
    callback_requested = f.get("callback") == "requested"
    transferred = bool(f.get("transferred"))
    facts = _Facts(
        # A record is written once the contact has ended (after after-contact work).
        ended=bool(types & ENDING_TYPES) or disconnected_at is not None or from_record,
        answered="CONNECTED_TO_AGENT" in types or answered_at is not None,
        # AWS's rule: queued means an enqueue happened (a working queue alone, e.g. a transfer refused at capacity,
        # is not).
        queued=enqueued_at is not None,
        method=method,
        reason=str(f.get("disconnect_reason", "")),
        callback_requested=callback_requested,
        transferred=transferred,
        from_record=from_record,
    )
    return CallLog(
        contact_id=contact_id,
        outcome=decide(facts),
        channel=str(f.get("channel", "")),
        initiation_method=method,
        previous_contact_id=str(f.get("previous_contact_id", "")),
        queue_id=str(f.get("queue_id", "")),
        queue_key=str(f.get("queue_key", "")),
        line_of_business=str(f.get("line_of_business", "")) or inherited_lob,
        rule_id=str(f.get("rule_id", "")),
        config_version=str(f.get("config_version", "")),
        callback_requested=callback_requested,
        initiated_at_ms=_ms(f, "initiated_at"),
        enqueued_at_ms=enqueued_at,
        answered_at_ms=answered_at,
        disconnected_at_ms=disconnected_at,
        disconnect_reason=facts.reason,
        events=tuple(t for t in (*SLOT_TYPES, RECORD_SLOT) if t in types),
        from_record=from_record,
        transferred=transferred,
        callback_offered=bool(f.get("callback_offered")),
        customer=str(f.get("customer", "")),
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
    Outcome.CALLBACK_REACHED: "CallbacksReached",
    Outcome.CALLBACK_FAILED: "CallbacksFailed",
    Outcome.CALLBACK_REQUESTED: "CallbacksRequested",
    Outcome.ENDED_IN_FLOW: "ContactsEndedInFlow",
    Outcome.ENDED_BY_SYSTEM: "ContactsEndedBySystem",
    Outcome.TRANSFERRED: "ContactsTransferred",
}


HANDLED = frozenset({Outcome.ANSWERED, Outcome.CALLBACK_COMPLETED, Outcome.CALLBACK_REACHED})  # an agent took it


def outcome_metrics(log: CallLog) -> list[tuple[str, str, float]]:
    """(metric name, unit, value) to emit once for an ended contact, dimensioned by its line of business."""
    if log.outcome not in COUNT_METRIC:
        return []  # in progress, or not a routed contact
    out: list[tuple[str, str, float]] = [(COUNT_METRIC[log.outcome], "Count", 1.0)]
    if log.outcome in HANDLED and log.time_to_answer_s is not None:
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
        """Completed or reached / all ended callbacks; None when no callback ended."""
        done = self.count(Outcome.CALLBACK_COMPLETED) + self.count(Outcome.CALLBACK_REACHED)
        failed = self.count(Outcome.CALLBACK_FAILED)
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
