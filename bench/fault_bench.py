"""The route function when DynamoDB has a bad day: the fault matrix (cold and warm container x seven faults, the
worst decision time and what it answered), and DynamoDB requests per 1,000 warm calls with live metrics on.

Endpoints are local stand-ins (``trunkline.fault_endpoints``); the store budget is the default 1,000 ms. A cold
cell is a fresh interpreter per sample (import and first-call costs are real): its decision time is the first
``lambda_handler`` call, and the init (``import route.handler``, which builds the service and its clients) is
reported beside it. A warm cell runs in this process after healthy calls, with every call due to check the pointer
and read metrics (refresh, retry and metrics intervals 0: the harshest cadence, every call may pay).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("refused", "blackhole", "syn_dropped", "throttle", "http500", "slow", "gray")
BUDGET_MS = 1000
COLD_SAMPLES = 3
WARM_CALLS = 6
MARK = "FAULT_BENCH_RESULT "
OPEN_TIME = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # a Tuesday, 10:30 in New York: lines open, metrics read


class OpenHours(datetime):
    """``datetime`` whose ``now`` is ``OPEN_TIME`` (so every cell decides on the same, open, path)."""

    @classmethod
    def now(cls, tz: Any = None) -> OpenHours:
        return OPEN_TIME.astimezone(tz) if tz else OPEN_TIME.replace(tzinfo=None)  # type: ignore[return-value]


# cards lost/stolen: a metric-aware rule (unstaffed overflow)
EVENT: dict[str, Any] = {"dialed": "+18005550100", "attributes": {"ivr_choice": "1"}}

CHILD = """
import json, time
t0 = time.perf_counter()
import route.handler as h
init_ms = (time.perf_counter() - t0) * 1000
import routing.route.service
from bench.fault_bench import OpenHours
routing.route.service.datetime = OpenHours
from trunkline.contacts import connect_event
calls, exceptions = [], 0
for _ in range(3):
    started = time.perf_counter()
    try:
        reply = h.lambda_handler(connect_event(**EVENT), None)
    except Exception:
        exceptions, reply = exceptions + 1, {}
    calls.append([round((time.perf_counter() - started) * 1000, 1), reply.get("status"), reply.get("config_source")])
gate = h._service.store_gate
print(MARK + json.dumps({"init_ms": round(init_ms, 1), "calls": calls, "exceptions": exceptions,
                         "deadline_exceeded": gate.stats.deadline_exceeded, "skipped": gate.stats.skipped}))
"""


def _env(endpoint: str, baked: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("CONFIG_TABLE_NAME", "PYTHONPATH")
    }
    env.update(
        {
            "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "CONFIG_TABLE_NAME": "trunkline-config-bench",
            "METRICS_TABLE_NAME": "trunkline-metrics-bench",
            "DEFAULT_QUEUE_ID": "deploy-default",
            "BAKED_CONFIG_PATH": str(baked),
            "STORE_BUDGET_MS": str(BUDGET_MS),
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def run_child(code: str, env: dict[str, str]) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (a cold container) and read the result it prints after ``MARK``."""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if not lines:
        return {"init_ms": 0.0, "calls": [], "exceptions": 1, "error": proc.stderr[-400:]}
    result: dict[str, Any] = json.loads(lines[-1][len(MARK) :])
    return result


def cold_samples(kind: str, document: dict[str, Any], sample: Any) -> list[dict[str, Any]]:
    """``COLD_SAMPLES`` fresh processes against one fault: ``sample(endpoint)`` runs one of them."""
    from trunkline.fault_endpoints import dynamo_endpoint

    samples = []
    for _ in range(COLD_SAMPLES):
        with dynamo_endpoint(kind, document) as (endpoint, _fake):
            samples.append(sample(endpoint))
    return samples


def cold_cell(kind: str, document: dict[str, Any], baked: Path) -> dict[str, Any]:
    """``COLD_SAMPLES`` fresh processes against one fault: the worst first decision and what it answered."""
    code = CHILD.replace("EVENT", repr(EVENT)).replace("MARK", repr(MARK))
    samples = cold_samples(kind, document, lambda endpoint: run_child(code, _env(endpoint, baked)))
    firsts = [s["calls"][0] for s in samples if s["calls"]]
    worst = max(firsts, key=lambda c: c[0]) if firsts else [None, None, None]
    return {
        "worst_first_decision_ms": worst[0],
        "answered": f"{worst[1]}/{worst[2]}",
        "worst_later_call_ms": max((c[0] for s in samples for c in s["calls"][1:]), default=None),
        "worst_init_ms": max(s["init_ms"] for s in samples),
        # What an on-demand caller waits: init (which now reads the store, capped at a call's budget) + first call.
        "worst_init_plus_first_ms": max(
            (round(s["init_ms"] + s["calls"][0][0], 1) for s in samples if s["calls"]), default=None
        ),
        "deadline_exceeded": sum(s.get("deadline_exceeded", 0) for s in samples),
        "exceptions": sum(s["exceptions"] for s in samples),
    }


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def warm_cell(kind: str, document: dict[str, Any], baked: Path) -> dict[str, Any]:
    """A container that loaded the active version and metrics, then meets the fault on every call."""
    from route import handler
    from routing.common.models import ConfigItem, QueueMetricsItem, StoreTimeouts, bind_model
    from trunkline.contacts import connect_event
    from trunkline.fault_endpoints import FakeDynamo, SynDropped

    fake = FakeDynamo().start()
    fake.publish(document)
    queue_id = document["queues"]["cards_lost_stolen"]["queue_id"]
    dropped: SynDropped | None = None
    intervals = {"CONFIG_REFRESH_SECONDS": "0", "CONFIG_RETRY_SECONDS": "0", "METRICS_SAMPLE_INTERVAL_SECONDS": "0"}
    calls: list[tuple[float, str, str]] = []
    exceptions = 0
    import routing.route.service

    service_module: Any = routing.route.service
    real_datetime = service_module.datetime
    service_module.datetime = OpenHours
    with _environ(_env(fake.endpoint, baked, **intervals)), _quiet():
        service = handler.build_service()
        handler.set_service(service)
        for _ in range(3):
            fake.put_snapshot(queue_id, time.time(), {"VOICE": {"agents_staffed": 5}})  # the wall clock: fresh
            handler.lambda_handler(connect_event(**EVENT), None)
        if kind == "refused":
            fake.stop()
        elif kind == "syn_dropped":  # the network path changes under a warm client: rebuild it at the new address
            dropped = SynDropped()
            for model in (ConfigItem, QueueMetricsItem):
                bind_model(
                    model,
                    table_name=model.Meta.table_name,
                    region="us-east-1",
                    host=dropped.endpoint,
                    timeouts=StoreTimeouts.for_budget(BUDGET_MS / 1000),
                )
                _ = model._get_connection().connection.client
        else:
            fake.mode = kind
        for _ in range(WARM_CALLS):
            started = time.perf_counter()
            try:
                reply = handler.lambda_handler(connect_event(**EVENT), None)
            except Exception:  # noqa: BLE001 — counted: the target is zero
                exceptions, reply = exceptions + 1, {}
            calls.append(
                (
                    round((time.perf_counter() - started) * 1000, 1),
                    reply.get("status", ""),
                    reply.get("config_source", ""),
                )
            )
        gate = service.store_gate
        handler.set_service(None)
    service_module.datetime = real_datetime
    fake.stop()
    if dropped is not None:
        dropped.close()
    worst = max(calls)
    return {
        "worst_decision_ms": worst[0],
        "answered": sorted({f"{s}/{c}" for _, s, c in calls}),
        "deadline_exceeded": gate.stats.deadline_exceeded if gate else None,
        "skipped": gate.stats.skipped if gate else None,
        "exceptions": exceptions,
    }


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    from bench.route_bench import _discard_output

    with _discard_output():
        yield


def requests_per_1000_with_metrics(document: dict[str, Any], old_view: bool = False) -> dict[str, int]:
    """Store requests for 1,000 warm calls at 10 calls/s (100 s, simulated clock) with live metrics on."""
    from datetime import UTC, datetime

    from bench.route_bench import CountingStore, _generated_events
    from routing.common.settings import Settings
    from routing.config.cache import ConfigCache
    from routing.config.memory_store import InMemoryConfigStore
    from routing.config.publishing import publish_document
    from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
    from routing.route.service import RouteService

    now = [1_000_000.0]
    config = InMemoryConfigStore()
    publish_document(config, document, actor="bench", summary="rate")
    counting = CountingStore(config)
    metrics_store = InMemoryMetricsStore()
    for q in document["queues"].values():
        metrics_store.items[q["queue_id"]] = QueueSnapshot(q["queue_id"], now[0], {"VOICE": {"agents_staffed": 3}})
    clock = lambda: now[0]  # noqa: E731
    if old_view:
        view: Any = _old_live_metrics()(metrics_store, cache_seconds=5.0, wall_clock=clock, monotonic=clock)
    else:
        from routing.live_metrics.reader import LiveMetrics

        view = LiveMetrics(
            metrics_store, cache_seconds=Settings.from_env({}).metrics_cache_seconds, wall_clock=clock, monotonic=clock
        )
    service = RouteService(
        ConfigCache(counting, refresh_seconds=30, clock=clock),  # type: ignore[arg-type]
        default_queue_id="d",
        metrics_view=view,
        clock=lambda: datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
    )
    events = _generated_events(document, 1000, seed=12)
    with _quiet():
        for event in events[:300]:  # warm: rulesets used, version loaded
            service.route(event)
        counting.requests, metrics_store.reads = 0, 0
        for event in events:
            now[0] += 0.1
            service.route(event)
    return {"config_reads": counting.requests, "metrics_batch_gets": metrics_store.reads}


def _old_live_metrics() -> Any:
    """The view as it was before issue 12 (5 s cache, one read per ruleset), from git, for the side-by-side."""
    source = subprocess.run(
        ["git", "show", "1422dcb:lambdas/routing/live_metrics/reader.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    namespace: dict[str, Any] = {"__name__": "old_live_metrics"}
    exec(compile(source, "old_live_metrics.py", "exec"), namespace)
    return namespace["LiveMetrics"]


def run_fault_bench() -> dict[str, Any]:
    """The fault matrix and the request counts."""
    from routing.config.loader import load_directory, validate_document
    from trunkline.generate import generate_config

    sample = load_directory(ROOT / "config").document
    assert sample is not None
    with tempfile.TemporaryDirectory() as tmp:
        baked = Path(tmp) / "baked.json"
        baked.write_text(json.dumps({"version": "baked-bench", "document": sample}), encoding="utf-8")
        matrix = {
            kind: {"cold": cold_cell(kind, sample, baked), "warm": warm_cell(kind, sample, baked)} for kind in KINDS
        }
        from bench.callback_fault_bench import run_callback_faults

        callback = run_callback_faults(sample, baked)
    large = validate_document(generate_config(queues=600, rules=5000, metric_rules=True)).document
    assert large is not None
    rates: dict[str, Any] = {"after": requests_per_1000_with_metrics(large)}
    try:
        rates["before"] = requests_per_1000_with_metrics(large, old_view=True)
    except (subprocess.CalledProcessError, OSError, KeyError) as exc:  # no git history here: after only
        rates["before"] = f"unavailable ({exc!r})"
    cells = [c for k in matrix.values() for c in (k["cold"]["worst_first_decision_ms"], k["warm"]["worst_decision_ms"])]
    return {
        "load_average_1m": round(os.getloadavg()[0], 1),  # the machine is shared: read the figures with it
        "budget_ms": BUDGET_MS,
        "target_ms": BUDGET_MS + 300,
        "worst_cell_ms": max(c for c in cells if c is not None),
        "exceptions": sum(k["cold"]["exceptions"] + k["warm"]["exceptions"] for k in matrix.values()),
        "matrix": matrix,
        "callback": callback,
        "requests_per_1000_warm_calls_10_per_s_with_metrics_600q_5000r": rates,
    }


def print_fault(r: dict[str, Any]) -> None:
    """The table ``bench.run`` prints."""
    print(f"\n== faults: worst decision time, store budget {r['budget_ms']} ms (target ≤ {r['target_ms']} ms) ==")
    print(
        f"{'fault':<12} {'cold first ms':>13} {'init ms':>8} {'init+first':>10} {'answered':<20} "
        f"{'warm ms':>8} answered"
    )
    for kind, cell in r["matrix"].items():
        c, w = cell["cold"], cell["warm"]
        print(
            f"{kind:<12} {c['worst_first_decision_ms']!s:>13} {c['worst_init_ms']:>8} "
            f"{c.get('worst_init_plus_first_ms')!s:>10} {c['answered']:<20} "
            f"{w['worst_decision_ms']:>8} {', '.join(w['answered'])}"
        )
    print(f"worst cell {r['worst_cell_ms']} ms; exceptions {r['exceptions']}; load average {r['load_average_1m']}")
    from bench.callback_fault_bench import print_callback_faults

    print_callback_faults(r["callback"])
    rates = r["requests_per_1000_warm_calls_10_per_s_with_metrics_600q_5000r"]
    print(f"DynamoDB requests per 1,000 warm calls at 10 calls/s with live metrics: {rates}")


if __name__ == "__main__":
    result = run_fault_bench()
    print_fault(result)
