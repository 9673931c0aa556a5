"""The route function's view of live queue metrics: batched, read no more often than the poller writes, stale =
unknown.

The poller writes every snapshot once per sample interval (15 s), so reading one more often only re-reads the
same item. A queue's snapshot is re-read when its last read is ``read_interval_seconds`` old (the settings make it
at least the poll interval). One ``prefetch`` per decision sends at most one ``BatchGetItem`` (≤ 100 keys): the
ruleset's due queues first, then every other queue this container has needed whose read is at least half an
interval old — so the queues of all rulesets converge on one read per interval instead of one per ruleset.
The read runs under the call's ``StoreGate`` deadline when there is one. A failed or skipped read keeps the
snapshot already held (it turns unknown by itself once older than ``stale_seconds``) and is not retried before
the next interval — never a retry per call, never an exception, never a silent zero.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from routing.common.deadline import StoreGate
from routing.common.observability import MetricUnit, logger, metrics
from routing.live_metrics.store import BATCH_GET_KEYS, MetricsStore, QueueSnapshot


class LiveMetrics:
    """``MetricsView`` over a ``MetricsStore``."""

    def __init__(
        self,
        store: MetricsStore,
        *,
        cache_seconds: float = 15.0,
        stale_seconds: float = 60.0,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        gate: StoreGate | None = None,
    ) -> None:
        self._store = store
        self._interval = cache_seconds
        self._stale_seconds = stale_seconds
        self._wall = wall_clock
        self._mono = monotonic
        self._gate = gate
        self._read_at: dict[str, float] = {}  # when each wanted queue was last read (or tried)
        self._snapshots: dict[str, QueueSnapshot] = {}
        self.reads = 0  # BatchGetItem calls asked of the store

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        """Refresh, in one batched read, the snapshots of ``queue_ids`` that are due (plus other due-soon queues
        this container needs). Never raises."""
        now = self._mono()
        due = [q for q in queue_ids if now - self._read_at.get(q, -math.inf) >= self._interval]
        if not due:
            return
        batch = set(sorted(due)[:BATCH_GET_KEYS])
        if len(batch) < BATCH_GET_KEYS:
            half = self._interval / 2
            soon = sorted(q for q, at in self._read_at.items() if q not in batch and now - at >= half)
            batch.update(soon[: BATCH_GET_KEYS - len(batch)])
        self._read(batch, now)

    def _read(self, batch: set[str], now: float) -> None:
        self.reads += 1
        store = self._store
        for queue_id in batch:
            self._read_at[queue_id] = now  # read or tried: either way not again before the next interval
        try:
            found = store.get_many(batch) if self._gate is None else self._gate.run(lambda: store.get_many(batch))
        except Exception as exc:  # noqa: BLE001 — metrics are an optimisation: unknown, never an error
            logger.warning("metrics snapshot read failed; metrics unknown", extra={"error": repr(exc)})
            metrics.add_metric(name="MetricsReadFailed", unit=MetricUnit.Count, value=1)
            return  # keep what we hold: it turns unknown by itself when stale
        for queue_id in batch:
            snapshot = found.get(queue_id)
            if snapshot is None:
                self._snapshots.pop(queue_id, None)  # gone from the table (TTL): unknown
            else:
                self._snapshots[queue_id] = snapshot

    def _fresh(self, queue_id: str) -> QueueSnapshot | None:
        if queue_id not in self._read_at:
            self.prefetch(frozenset({queue_id}))
        snapshot = self._snapshots.get(queue_id)
        if snapshot is None or self._wall() - snapshot.sampled_at > self._stale_seconds:
            return None
        return snapshot

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
        """The metric on ``channel`` from a fresh snapshot, else None (unknown)."""
        snapshot = self._fresh(queue_id)
        if snapshot is None:
            return None
        value = snapshot.values.get(channel, {}).get(name)
        if value is None:
            return None
        number = float(value)
        # NaN or infinity is not a measurement: unknown, so `when_unknown` decides, never a comparison with NaN
        # (always false) that would silently skip a fallback.
        return number if math.isfinite(number) else None

    def age_seconds(self, queue_id: str) -> float | None:
        """Age of the queue's snapshot (None when absent; reported even when stale)."""
        if queue_id not in self._read_at:
            self.prefetch(frozenset({queue_id}))
        snapshot = self._snapshots.get(queue_id)
        return None if snapshot is None else max(0.0, self._wall() - snapshot.sampled_at)
