"""The route function's view of live queue metrics: batched, cached per container, stale = unknown.

One ``prefetch`` per decision reads (in one BatchGetItem) only the snapshots the ruleset may need and that are
older in the cache than ``cache_seconds``; a failed read makes those metrics unknown until the next interval —
never a retry per call, never an exception, never a silent zero.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from routing.data.metrics_store import MetricsStore, QueueSnapshot
from routing.observability import MetricUnit, logger, metrics


class LiveMetrics:
    """``MetricsView`` over a ``MetricsStore``."""

    def __init__(
        self,
        store: MetricsStore,
        *,
        cache_seconds: float = 5.0,
        stale_seconds: float = 60.0,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._stale_seconds = stale_seconds
        self._wall = wall_clock
        self._mono = monotonic
        self._cache: dict[str, tuple[float, QueueSnapshot | None]] = {}

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        """Refresh the cached snapshots of ``queue_ids`` that are older than the cache interval."""
        now = self._mono()
        due = [q for q in queue_ids if (c := self._cache.get(q)) is None or now - c[0] >= self._cache_seconds]
        if not due:
            return
        try:
            found = self._store.get_many(due)
        except Exception as exc:  # noqa: BLE001 — metrics are an optimisation: unknown, never an error
            logger.warning("metrics snapshot read failed; metrics unknown", extra={"error": repr(exc)})
            metrics.add_metric(name="MetricsReadFailed", unit=MetricUnit.Count, value=1)
            found = {}
        for queue_id in due:
            self._cache[queue_id] = (now, found.get(queue_id))

    def _fresh(self, queue_id: str) -> QueueSnapshot | None:
        if queue_id not in self._cache:
            self.prefetch(frozenset({queue_id}))
        snapshot = self._cache[queue_id][1]
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
        if queue_id not in self._cache:
            self.prefetch(frozenset({queue_id}))
        snapshot = self._cache[queue_id][1]
        return None if snapshot is None else max(0.0, self._wall() - snapshot.sampled_at)
