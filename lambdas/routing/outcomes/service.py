"""``OutcomeService``: one Amazon Connect contact event (or contact record) in, the call log updated, outcome
metrics sent once.

Runs in the ``outcomes`` function (asynchronous, fed by an EventBridge rule: ``handle``) and in the
``contact-records`` function (Kinesis: ``handle_record``). A malformed event or record is logged and dropped (a
retry cannot fix it); a store error raises so that the event is retried and then dead-lettered — replaying it is
harmless, the writes are conditional. See docs/design/observability.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from routing.common.observability import MetricUnit, dimensioned_metric, logger, metrics
from routing.outcomes.call_log import CallLog, outcome_metrics, summarize
from routing.outcomes.events import UNKNOWN_LOB, ContactEvent, EventRejectedError, Slots, parse_event
from routing.outcomes.records import parse_record
from routing.outcomes.store import CallLogStore

DAY_SECONDS = 86_400


class CallbackReleaser(Protocol):
    """The part of the callback store the outcome function uses (``routing.callback.request.CallbackStore``)."""

    def release(self, contact_id: str) -> object:
        """Drop the de-duplication lock and cap count a contact's callback holds (the result is not used)."""
        ...


class EventResult(StrEnum):
    """What one event did."""

    APPLIED = "applied"  # the call log changed
    STALE = "stale"  # a duplicate or an older event of a type already recorded: nothing changed
    IGNORED = "ignored"  # an event type the call log does not record
    REJECTED = "rejected"  # not a usable contact event


class OutcomeService:
    """Applies contact events to the call log and counts each contact's outcome once."""

    def __init__(
        self,
        store: CallLogStore,
        *,
        callbacks: CallbackReleaser | None = None,
        ttl_days: float = 90,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._callbacks = callbacks
        self._ttl_seconds = ttl_days * DAY_SECONDS
        self._clock = clock

    def handle(self, envelope: object) -> EventResult:
        """Apply one EventBridge envelope. Raises only on store errors (so the event is retried)."""
        try:
            event = parse_event(envelope)
        except EventRejectedError as exc:
            logger.warning("contact event rejected", extra={"reason": str(exc)})
            metrics.add_metric(name="OutcomeEventsRejected", unit=MetricUnit.Count, value=1)
            return EventResult.REJECTED
        if not event.is_slot:
            logger.debug("contact event type not recorded", extra={"event_type": event.event_type})
            return EventResult.IGNORED
        return self._apply(event, "OutcomeEvents")

    def handle_record(self, record: object) -> EventResult:
        """Apply one contact record (decoded JSON). Raises only on store errors (so the record is retried)."""
        try:
            event = parse_record(record)
        except EventRejectedError as exc:
            logger.warning("contact record rejected", extra={"reason": str(exc)})
            metrics.add_metric(name="ContactRecordsRejected", unit=MetricUnit.Count, value=1)
            return EventResult.REJECTED
        return self._apply(event, "ContactRecords")

    def _apply(self, event: ContactEvent, metric_prefix: str) -> EventResult:
        now = self._clock()
        record = self._store.apply(event, expires_at=now + self._ttl_seconds)
        if record is None:
            metrics.add_metric(name=f"{metric_prefix}Stale", unit=MetricUnit.Count, value=1)
            logger.debug(
                "already recorded or older",
                extra={"contact_id": event.contact_id, "event_type": event.event_type},
            )
            # A redelivery after a partial failure (the write landed, then the release or the claim raised) finds
            # an ended record nobody counted: finish the work now, or it would never be done.
            current = self._store.get(event.contact_id)
            if current is not None and current.counted is None:
                self._finish(event.contact_id, current.slots)
            return EventResult.STALE
        metrics.add_metric(name=f"{metric_prefix}Applied", unit=MetricUnit.Count, value=1)
        if record.counted is None:
            self._finish(event.contact_id, record.slots)
        return EventResult.APPLIED

    def _finish(self, contact_id: str, slots: Slots) -> None:
        """For an ended contact: release a callback's lock, then count the outcome at most once (claim, emit)."""
        log = summarize(contact_id, slots)
        if not log.ended:
            return
        if log.is_callback:
            self._release(log)
            if not log.line_of_business:
                log = summarize(contact_id, slots, inherited_lob=self._parent_lob(log))
        if self._store.claim(log.contact_id, log.outcome.value):
            self._emit(log)

    def _release(self, log: CallLog) -> None:
        """A callback contact ended: free the number its request locked, so the caller may ask again."""
        if self._callbacks is not None and log.previous_contact_id:
            # Idempotent: a second release finds no answer item and does nothing. Errors raise (the event retries).
            self._callbacks.release(log.previous_contact_id)

    def _parent_lob(self, log: CallLog) -> str:
        """The line of business of the contact that asked for this callback (its decision tags)."""
        parent = self._store.get(log.previous_contact_id) if log.previous_contact_id else None
        return summarize(parent.contact_id, parent.slots).line_of_business if parent is not None else ""

    def _emit(self, log: CallLog) -> None:
        """One EMF blob with the line of business as its dimension, and one ``contact outcome`` line."""
        values = outcome_metrics(log)
        if values:  # a contact the flows do not route has a record and a log line, no outcome metric
            dimensioned_metric("line_of_business", log.line_of_business or UNKNOWN_LOB, values)
        logger.info("contact outcome", extra=log.as_log())
