"""Live-metrics figures: poller requests and cycle time for 600 queues under the account's 5 req/s limit, and
the decision-latency cost of metric-aware rules next to rules without metrics (warm, in-process)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from bench.route_bench import _generated_events, _timed, percentile

OPEN = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


class _SimTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _FakeConnect:
    """Answers GetCurrentMetricData for the queues asked, 100 results per page (3 channels per queue)."""

    def __init__(self, time: _SimTime, account_limit_per_s: float) -> None:
        self.time, self.limit = time, account_limit_per_s
        self.calls: list[float] = []

    def get_current_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(self.time.now)
        recent = [c for c in self.calls if self.time.now - c < 1.0]
        if len(recent) > self.limit:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "rate"}}, "GetCurrentMetricData"
            )
        queues = kwargs["Filters"]["Queues"]
        results = [
            {
                "Dimensions": {"Queue": {"Id": q}, "Channel": ch},
                "Collections": [{"Metric": {"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"}, "Value": 1.0}],
            }
            for q in queues
            for ch in ("VOICE", "CHAT", "TASK")
        ]
        start = int(kwargs.get("NextToken") or 0)
        page = results[start : start + 100]
        out: dict[str, Any] = {"MetricResults": page}
        if start + 100 < len(results):
            out["NextToken"] = str(start + 100)
        return out


def poller_cycle(queues: int = 600, budget_per_s: float = 2.0, account_limit_per_s: float = 5.0) -> dict[str, Any]:
    """One sampling cycle on a simulated clock (no real sleeping)."""
    from routing.live_metrics.poller import MetricsPoller
    from routing.live_metrics.store import InMemoryMetricsStore

    t = _SimTime()
    client = _FakeConnect(t, account_limit_per_s)
    store = InMemoryMetricsStore()
    poller = MetricsPoller(
        client,
        store,
        instance_id="i",
        requests_per_second=budget_per_s,
        clock=t.clock,
        wall_clock=t.clock,
        sleep=t.sleep,
        rng=random.Random(3),
    )
    result = poller.sample([f"q{i:04d}" for i in range(queues)])
    return {
        "queues": queues,
        "budget_requests_per_s": budget_per_s,
        "requests_per_cycle": result.requests,
        "throttled": result.throttled,
        "cycle_seconds_simulated": round(t.now, 2),
        "snapshots": len(result.snapshots),
    }


def metric_rule_cost() -> dict[str, Any]:
    """decide() p50/p99 with metric-aware rules vs the same config without them (5,000 rules, 600 queues)."""
    from routing.common.contact import ContactRequest
    from routing.config.loader import validate_document
    from routing.live_metrics.reader import LiveMetrics
    from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
    from routing.route.engine import NO_METRICS, CompiledConfig, decide
    from trunkline.generate import generate_config

    out: dict[str, Any] = {}
    for label, with_metrics in (("without_metric_rules", False), ("with_metric_rules", True)):
        doc = validate_document(generate_config(queues=600, rules=5000, metric_rules=with_metrics)).document
        assert doc is not None
        compiled = CompiledConfig.compile(doc, version="bench")
        store = InMemoryMetricsStore()
        now = 1_000_000.0
        store.put_many(
            [
                QueueSnapshot(q["queue_id"], now, {"VOICE": {"agents_available": 2.0, "agents_staffed": 4.0}})
                for q in doc["queues"].values()
            ],
            ttl_seconds=600,
        )
        frozen = lambda now=now: now  # noqa: E731
        view = LiveMetrics(store, wall_clock=frozen, monotonic=frozen) if with_metrics else NO_METRICS
        contacts = [ContactRequest.from_event(e) for e in _generated_events(doc, 1000, seed=8)]
        for c in contacts:
            decide(c, compiled, now=OPEN, metrics=view)  # warm the cache
        it = iter(contacts * 5)
        samples = _timed(lambda it=it, c=compiled, v=view: decide(next(it), c, now=OPEN, metrics=v), 5000)
        out[label] = {"p50_us": round(percentile(samples, 50), 2), "p99_us": round(percentile(samples, 99), 2)}
    return out


def run_metrics_bench() -> dict[str, Any]:
    """All live-metrics figures."""
    return {"poller": poller_cycle(), "poller_at_5_per_s": poller_cycle(budget_per_s=5.0), "decide": metric_rule_cost()}
