"""Live queue metrics snapshots: written by the poller, read (batched, cached) by the route function."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from routing.common.pynamo_store import PynamoStore

if TYPE_CHECKING:
    from routing.common.models import QueueMetricsItem

BATCH_GET_KEYS = 100  # DynamoDB's BatchGetItem limit


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue's metrics at ``sampled_at`` (epoch seconds), per channel; absent metric = unknown."""

    queue_id: str
    sampled_at: float
    values: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


class MetricsStore(Protocol):
    """Where snapshots live."""

    def get_many(self, queue_ids: Iterable[str]) -> dict[str, QueueSnapshot]:
        """Snapshots of these queues (missing ones are simply absent)."""
        ...

    def put_many(self, snapshots: Iterable[QueueSnapshot], *, ttl_seconds: int) -> None:
        """Write snapshots; each expires ``ttl_seconds`` after it was sampled."""
        ...


class InMemoryMetricsStore:
    """A ``MetricsStore`` in a dict (tests, simulator, demo)."""

    def __init__(self) -> None:
        self.items: dict[str, QueueSnapshot] = {}
        self.reads = 0

    def get_many(self, queue_ids: Iterable[str]) -> dict[str, QueueSnapshot]:
        self.reads += 1
        return {q: self.items[q] for q in queue_ids if q in self.items}

    def put_many(self, snapshots: Iterable[QueueSnapshot], *, ttl_seconds: int) -> None:  # noqa: ARG002
        for snap in snapshots:
            self.items[snap.queue_id] = snap


class DynamoMetricsStore(PynamoStore["QueueMetricsItem"]):
    """The metrics table through PynamoDB (``routing.common.models.QueueMetricsItem``)."""

    def _model_class(self) -> type[QueueMetricsItem]:
        from routing.common.models import QueueMetricsItem

        return QueueMetricsItem

    def get_many(self, queue_ids: Iterable[str]) -> dict[str, QueueSnapshot]:
        keys = sorted(set(queue_ids))
        found: dict[str, QueueSnapshot] = {}
        # Exactly one BatchGetItem per 100 keys. Not ``Model.batch_get``: it re-requests UnprocessedKeys in a loop
        # with no backoff and no bound, which has no place on the per-call path. A key DynamoDB leaves unprocessed
        # (throttling) is simply unknown until the view's next refresh.
        connection = self._model._get_connection()
        table = self._model.Meta.table_name
        for start in range(0, len(keys), BATCH_GET_KEYS):
            page = [{"pk": {"S": k}} for k in keys[start : start + BATCH_GET_KEYS]]
            data = connection.batch_get_item(cast(Any, page))
            for raw in (data.get("Responses") or {}).get(table) or ():
                item = self._model.from_raw_data(raw)
                found[item.pk] = QueueSnapshot(item.pk, float(item.sampled_at), json.loads(item.values))
        return found

    def put_many(self, snapshots: Iterable[QueueSnapshot], *, ttl_seconds: int) -> None:
        with self._model.batch_write() as batch:
            for snap in snapshots:
                sampled = datetime.fromtimestamp(snap.sampled_at, UTC)
                batch.save(
                    self._model(
                        snap.queue_id,
                        sampled_at=snap.sampled_at,
                        values=json.dumps(snap.values, sort_keys=True, separators=(",", ":")),
                        expires_at=sampled + timedelta(seconds=ttl_seconds),
                    )
                )
