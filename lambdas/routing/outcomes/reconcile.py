"""Hourly reconciliation: our abandoned and handled counts per queue against Connect's own historical metrics.

Ours come from the call log (records the authority, events the fallback) of the contacts that ended in the hour
(index ``by-ended-hour``); Connect's from ``GetMetricDataV2`` (``CONTACTS_ABANDONED``, ``CONTACTS_HANDLED``,
filter ``QUEUE`` ≤ 100 ids per request, grouping ``QUEUE``, one ``HOUR`` interval). A queue *drifts* when either
difference exceeds the tolerance: ``max(contacts, percent x Connect's count)``. Totals become metrics (no queue
dimension: cost, see docs/design/observability.md); each drifting queue is one log line.

Known, accepted sources of drift (why a tolerance): a contact is ours in the hour it disconnected, while Connect
may file it under another interval near a boundary (UNCONFIRMED which timestamp Connect uses); a contact whose
record and events are both late is missing until the next run; ``TELECOM_PROBLEM`` while queued is ours
``ENDED_BY_SYSTEM``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from routing.outcomes.call_log import Outcome, summarize
from routing.outcomes.store import CallLogStore, StoredRecord

ABANDONED_METRIC = "CONTACTS_ABANDONED"
HANDLED_METRIC = "CONTACTS_HANDLED"
MAX_QUEUES_PER_REQUEST = 100  # GetMetricDataV2: at most 100 filter values


class MetricDataClient(Protocol):
    """The part of boto3's Connect client the reconciliation uses."""

    def get_metric_data_v2(self, **kwargs: Any) -> Mapping[str, Any]:
        """``GetMetricDataV2``."""
        ...


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far our count may be from Connect's before a queue drifts: the larger of the two bounds."""

    contacts: int = 2
    percent: float = 5.0

    def allows(self, ours: int, theirs: int) -> bool:
        """True when ``ours`` is within tolerance of ``theirs``."""
        return abs(ours - theirs) <= max(float(self.contacts), self.percent / 100 * theirs)


@dataclass(slots=True)
class QueueCounts:
    """Abandoned and handled contacts of one queue in one hour."""

    abandoned: int = 0
    handled: int = 0


@dataclass(frozen=True, slots=True)
class QueueDrift:
    """Ours against Connect's, for one queue."""

    queue_id: str
    ours: QueueCounts
    connect: QueueCounts

    def drifts(self, tolerance: Tolerance) -> bool:
        """Either count is beyond the tolerance."""
        return not (
            tolerance.allows(self.ours.abandoned, self.connect.abandoned)
            and tolerance.allows(self.ours.handled, self.connect.handled)
        )

    def as_log(self) -> dict[str, Any]:
        """The fields of a ``queue drift`` log line."""
        return {
            "queue_id": self.queue_id,
            "abandoned_ours": self.ours.abandoned,
            "abandoned_connect": self.connect.abandoned,
            "handled_ours": self.ours.handled,
            "handled_connect": self.connect.handled,
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """One hour, every queue either side knows."""

    hour_start: datetime
    queues: tuple[QueueDrift, ...]
    tolerance: Tolerance = field(default_factory=Tolerance)

    @property
    def drifting(self) -> list[QueueDrift]:
        """The queues beyond tolerance."""
        return [q for q in self.queues if q.drifts(self.tolerance)]

    def metrics(self) -> list[tuple[str, str, float]]:
        """(name, unit, value): both sides' totals, the summed absolute per-queue drift, queues drifting."""
        total = {"ours": QueueCounts(), "connect": QueueCounts()}
        drift = QueueCounts()
        for q in self.queues:
            for side, counts in (("ours", q.ours), ("connect", q.connect)):
                total[side].abandoned += counts.abandoned
                total[side].handled += counts.handled
            # Absolute per queue: two queues off in opposite directions must not cancel out.
            drift.abandoned += abs(q.ours.abandoned - q.connect.abandoned)
            drift.handled += abs(q.ours.handled - q.connect.handled)
        return [
            ("ReconcileAbandonedOurs", "Count", float(total["ours"].abandoned)),
            ("ReconcileAbandonedConnect", "Count", float(total["connect"].abandoned)),
            ("ReconcileHandledOurs", "Count", float(total["ours"].handled)),
            ("ReconcileHandledConnect", "Count", float(total["connect"].handled)),
            ("ReconcileAbandonedDrift", "Count", float(drift.abandoned)),
            ("ReconcileHandledDrift", "Count", float(drift.handled)),
            ("ReconcileQueuesDrifting", "Count", float(len(self.drifting))),
        ]


def our_counts(records: Iterable[StoredRecord]) -> dict[str, QueueCounts]:
    """Abandoned and handled contacts per queue id from call-log records."""
    counts: dict[str, QueueCounts] = {}
    for record in records:
        log = summarize(record.contact_id, record.slots)
        if not log.queue_id:
            continue
        if log.outcome is Outcome.ABANDONED:
            counts.setdefault(log.queue_id, QueueCounts()).abandoned += 1
        elif log.answered_at_ms is not None and log.outcome is not Outcome.NOT_ROUTED:
            # Handled = connected to an agent, callbacks included (even one whose dial-out the customer missed).
            counts.setdefault(log.queue_id, QueueCounts()).handled += 1
    return counts


def _request(instance_arn: str, queue_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "ResourceArn": instance_arn,
        "StartTime": start,
        "EndTime": end,
        "Interval": {"IntervalPeriod": "HOUR", "TimeZone": "UTC"},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": list(queue_ids)}],
        "Groupings": ["QUEUE"],
        "Metrics": [{"Name": ABANDONED_METRIC}, {"Name": HANDLED_METRIC}],
        "MaxResults": 100,
    }


def connect_counts(
    client: MetricDataClient, *, instance_arn: str, queue_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, QueueCounts]:
    """Connect's abandoned and handled contacts per queue id, ``start``..``end`` (paged, ≤100 queues a request).

    A null value (Connect: insufficient data) counts as 0.
    """
    counts: dict[str, QueueCounts] = {}
    for offset in range(0, len(queue_ids), MAX_QUEUES_PER_REQUEST):
        request = _request(instance_arn, queue_ids[offset : offset + MAX_QUEUES_PER_REQUEST], start, end)
        while True:
            response = client.get_metric_data_v2(**request)
            for result in response.get("MetricResults", []):
                queue_id = str(result.get("Dimensions", {}).get("QUEUE", ""))
                if not queue_id:
                    continue
                entry = counts.setdefault(queue_id, QueueCounts())
                for value in result.get("Collections", []):
                    number = int(value.get("Value") or 0)
                    name = value.get("Metric", {}).get("Name")
                    if name == ABANDONED_METRIC:
                        entry.abandoned += number
                    elif name == HANDLED_METRIC:
                        entry.handled += number
            token = response.get("NextToken")
            if not token:
                break
            request = {**request, "NextToken": token}
    return counts


def hour_to_reconcile(now: datetime, lag_hours: int) -> datetime:
    """The start of the hour ``lag_hours`` before the current one (records arrive after after-contact work, and
    Connect's historical metrics settle with a delay)."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return current - timedelta(hours=lag_hours)


def reconcile_hour(
    store: CallLogStore,
    client: MetricDataClient,
    *,
    instance_arn: str,
    configured_queue_ids: Iterable[str],
    hour_start: datetime,
    tolerance: Tolerance,
) -> Reconciliation:
    """Compare one hour: every configured queue, plus any queue our call log saw."""
    ours = our_counts(store.ended_in(hour_start.strftime("%Y-%m-%dT%H")))
    queue_ids = sorted(set(configured_queue_ids) | set(ours))
    theirs = connect_counts(
        client,
        instance_arn=instance_arn,
        queue_ids=queue_ids,
        start=hour_start,
        end=hour_start + timedelta(hours=1),
    )
    queues = tuple(
        QueueDrift(q, ours.get(q, QueueCounts()), theirs.get(q, QueueCounts()))
        for q in sorted(set(queue_ids) | set(theirs))
    )
    return Reconciliation(hour_start=hour_start, queues=queues, tolerance=tolerance)
