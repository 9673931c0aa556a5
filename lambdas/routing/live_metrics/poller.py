"""The live-metrics poller: ``GetCurrentMetricData`` for every configured queue, within a request budget.

``GetCurrentMetricData`` allows 5 requests/s (burst 8) for the whole account and region, shared by every caller,
and cannot be raised: the poller spends at most ``requests_per_second`` (default 2) through a token bucket, pages
queues 100 at a time (the API's filter limit) grouped by QUEUE and CHANNEL, backs off with jitter on throttling,
and writes one snapshot per queue. Null values stay unknown; a queue Connect does not return gets no snapshot.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from routing.common.observability import MetricUnit, logger, metrics
from routing.config.store import ConfigStore
from routing.live_metrics.store import MetricsStore, QueueSnapshot

CHANNELS = ("VOICE", "CHAT", "TASK")
QUEUES_PER_REQUEST = 100  # Filters.Queues limit
# Connect name → snapshot name; all COUNT except the two SECONDS metrics.
METRICS = {
    "AGENTS_AVAILABLE": ("agents_available", "COUNT"),
    "AGENTS_ONLINE": ("agents_online", "COUNT"),
    "AGENTS_STAFFED": ("agents_staffed", "COUNT"),
    "CONTACTS_IN_QUEUE": ("contacts_in_queue", "COUNT"),
    "CONTACTS_SCHEDULED": ("contacts_scheduled", "COUNT"),
    "OLDEST_CONTACT_AGE": ("oldest_contact_age", "SECONDS"),
    "ESTIMATED_WAIT_TIME": ("estimated_wait_time", "SECONDS"),
}
THROTTLING_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "LimitExceededException"})


class CurrentMetricsClient(Protocol):
    """The slice of the boto3 Connect client the poller uses (botocore Stubber in tests)."""

    def get_current_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        """GetCurrentMetricData."""
        ...


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved; ``acquire`` sleeps until one is free."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = burst
        self._last = clock()

    def acquire(self) -> None:
        """Take one token, sleeping as long as needed."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            self._last = self._clock()
            self._tokens = 0.0
        else:
            self._tokens -= 1


@dataclass(slots=True)
class CycleResult:
    """One sampling cycle: what was written and what it cost."""

    snapshots: list[QueueSnapshot] = field(default_factory=list)
    requests: int = 0
    throttled: int = 0
    failed_pages: int = 0
    write_failed: bool = False


def seconds_value(name: str, value: float, *, grouped: bool) -> float:
    """Normalize a SECONDS metric. ``OLDEST_CONTACT_AGE`` comes back in milliseconds when a request has no
    Groupings (documented quirk); the poller always groups, but the conversion is explicit and tested."""
    if name == "OLDEST_CONTACT_AGE" and not grouped:
        return value / 1000.0
    return value


def _request(queue_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "Filters": {"Queues": list(queue_ids), "Channels": list(CHANNELS)},
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": [{"Name": name, "Unit": unit} for name, (_, unit) in METRICS.items()],
        "MaxResults": 100,
    }


class MetricsPoller:
    """Samples every configured queue and writes snapshots."""

    def __init__(
        self,
        client: CurrentMetricsClient,
        store: MetricsStore,
        *,
        instance_id: str,
        requests_per_second: float = 2.0,
        max_retries: int = 5,
        ttl_seconds: int = 600,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client, self._store = client, store
        self._instance_id = instance_id
        self._bucket = TokenBucket(requests_per_second, 1.0, clock=clock, sleep=sleep)
        self._max_retries = max_retries
        self._ttl = ttl_seconds
        self._wall, self._sleep = wall_clock, sleep
        self._rng = rng or random.Random()

    def _call(self, request: dict[str, Any], result: CycleResult) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        for attempt in range(self._max_retries + 1):
            self._bucket.acquire()
            result.requests += 1
            try:
                return self._client.get_current_metric_data(InstanceId=self._instance_id, **request)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in THROTTLING_CODES or attempt == self._max_retries:
                    raise
                result.throttled += 1
                # Full jitter, exponential: other consumers share the same account-wide limit.
                self._sleep(self._rng.uniform(0, min(5.0, 0.2 * 2**attempt)))
        raise AssertionError("unreachable")

    def sample(self, queue_ids: Iterable[str]) -> CycleResult:
        """One cycle over all queues: read, normalize, write. A failing page is logged and skipped."""
        result = CycleResult()
        ids = sorted(set(queue_ids))
        for start in range(0, len(ids), QUEUES_PER_REQUEST):
            page_ids = ids[start : start + QUEUES_PER_REQUEST]
            values: dict[str, dict[str, dict[str, float]]] = {}
            request = _request(page_ids)
            try:
                while True:
                    response = self._call(request, result)
                    sampled_at = self._wall()
                    _fold(response, values)
                    token = response.get("NextToken")
                    if not token:
                        break
                    request = {**request, "NextToken": token}
            except Exception as exc:  # noqa: BLE001 — one bad page must not stop the others
                result.failed_pages += 1
                logger.warning("metrics page failed", extra={"queues": len(page_ids), "error": repr(exc)})
                continue
            result.snapshots += [QueueSnapshot(q, sampled_at, v) for q, v in values.items()]
        written = 0
        if result.snapshots:
            try:
                self._store.put_many(result.snapshots, ttl_seconds=self._ttl)
                written = len(result.snapshots)
            except Exception as exc:  # noqa: BLE001 — a failed write must not cost the invocation's later samples
                result.write_failed = True
                logger.warning(
                    "metrics snapshot write failed", extra={"snapshots": len(result.snapshots), "error": repr(exc)}
                )
                metrics.add_metric(name="MetricsWriteFailed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="MetricsSnapshotsWritten", unit=MetricUnit.Count, value=written)
        metrics.add_metric(name="MetricsRequests", unit=MetricUnit.Count, value=result.requests)
        if result.throttled:
            metrics.add_metric(name="MetricsThrottled", unit=MetricUnit.Count, value=result.throttled)
        if result.failed_pages:
            # A page that fails every cycle (e.g. a queue id the instance does not know) keeps its queues unknown
            # while other pages still write: the pages-failing alarm watches this.
            metrics.add_metric(name="MetricsPagesFailed", unit=MetricUnit.Count, value=result.failed_pages)
        return result

    def run(
        self,
        queue_ids: Sequence[str],
        *,
        samples: int,
        interval_seconds: float,
        remaining_seconds: Callable[[], float],
        safety_seconds: float = 10.0,
    ) -> list[CycleResult]:
        """Sample ``samples`` times ``interval_seconds`` apart (a one-minute schedule samples inside the
        invocation), stopping early when the Lambda's remaining time gets short."""
        results = []
        for i in range(samples):
            started = time.monotonic()
            results.append(self.sample(queue_ids))
            if i == samples - 1:
                break
            pause = max(0.0, interval_seconds - (time.monotonic() - started))
            if remaining_seconds() - pause < safety_seconds + interval_seconds:
                break
            self._sleep(pause)
        return results


def _fold(response: dict[str, Any], into: dict[str, dict[str, dict[str, float]]]) -> None:
    for result in response.get("MetricResults") or ():
        dims = result.get("Dimensions") or {}
        queue_id = (dims.get("Queue") or {}).get("Id")
        channel = dims.get("Channel")
        if not queue_id or not channel:
            continue
        channel_values = into.setdefault(queue_id, {}).setdefault(channel, {})
        for item in result.get("Collections") or ():
            name = (item.get("Metric") or {}).get("Name")
            value = item.get("Value")
            if name not in METRICS or value is None:
                continue  # null → unknown, never 0
            channel_values[METRICS[name][0]] = seconds_value(name, float(value), grouped=True)


class ActiveQueues:
    """The queue ids the poller samples: those of the ACTIVE config version.

    One pointer read per invocation; the document is loaded only when the version changed. When the config table
    cannot be read, the list last read stands (else the version baked into the bundle, which is also what the route
    function decides with when it has no store): one slow config read must not cost a minute of samples and, once
    the snapshots pass ``METRICS_STALE_SECONDS``, every metric.
    """

    def __init__(self, store: ConfigStore | None, *, baked_path: Path | None = None) -> None:
        self._store = store
        self._baked_path = baked_path
        self._version: str | None = None
        self._ids: list[str] | None = None
        self.loads = 0

    def queue_ids(self) -> list[str]:
        """Sorted queue ids to sample now. Never raises."""
        if self._store is not None:
            try:
                pointer = self._store.get_pointer()
                if pointer is not None:
                    if self._ids is None or pointer.version_id != self._version:
                        ids = queue_ids_of(self._store.load_document(pointer.version_id))
                        self._ids, self._version = ids, pointer.version_id
                        self.loads += 1
                    return self._ids
                logger.warning("no active config version: sampling the baked version's queues")
            except Exception as exc:  # noqa: BLE001 — keep sampling what we know
                logger.warning("config read failed: sampling the queues last read", extra={"error": repr(exc)})
                metrics.add_metric(name="MetricsQueueListFailed", unit=MetricUnit.Count, value=1)
        if self._ids is None:
            self._ids = queue_ids_of(_baked_document(self._baked_path))
        return self._ids


def queue_ids_of(document: Mapping[str, Any]) -> list[str]:
    """Sorted, distinct Connect queue ids of a normalized config document."""
    queues: Mapping[str, Mapping[str, Any]] = document.get("queues") or {}
    return sorted({str(q["queue_id"]) for q in queues.values() if q.get("queue_id")})


def _baked_document(path: Path | None) -> Mapping[str, Any]:
    if path is None or not path.is_file():
        return {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        document = payload.get("document", payload)
    except (OSError, ValueError, AttributeError) as exc:
        logger.warning("baked config unreadable", extra={"path": str(path), "error": repr(exc)})
        return {}
    return document if isinstance(document, Mapping) else {}
