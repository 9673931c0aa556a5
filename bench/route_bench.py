"""The route function's numbers: warm latency (vs a GetItem-per-call baseline), cold start, rule scaling,
DynamoDB requests per 1,000 warm calls, peak RSS."""

from __future__ import annotations

import io
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OPEN_TIME = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # a Tuesday, 10:30 in New York: everything is open


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[k]


def _timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e6)
    return out


class CountingStore:
    """Wraps a ConfigStore and counts the DynamoDB requests the route path makes through it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests = 0

    def get_pointer(self) -> Any:
        self.requests += 1
        return self.inner.get_pointer()

    def load_document(self, version_id: str) -> Any:
        self.requests += 1
        return self.inner.load_document(version_id)


def _generated_events(document: dict[str, Any], count: int, seed: int = 5) -> list[dict[str, Any]]:
    from trunkline.contacts import connect_event
    from trunkline.generate import intent_codes

    rng = random.Random(seed)
    entries = [e for e in document["entry_points"].values() if e["channel"] == "VOICE"]
    rules_per_lob: dict[str, int] = {}
    for rs in document["rulesets"].values():
        rules_per_lob[rs["key"].removesuffix("_rules")] = len(rs["rules"])
    events = []
    for _ in range(count):
        entry = rng.choice(entries)
        lob = entry["line_of_business"]
        codes = intent_codes(lob, rules_per_lob.get(lob, 1))
        attrs = {"crm_segment": rng.choice(["standard", "gold", "platinum"])}
        if rng.random() < 0.9 and codes:
            attrs["intent"] = rng.choice(codes)
        events.append(
            connect_event(
                dialed=entry["dialed_number"],
                caller=f"+1{rng.choice(['212', '415', '646'])}555{rng.randint(1000, 9999)}",
                attributes=attrs,
            )
        )
    return events


def warm_latency(document: dict[str, Any], events: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Warm in-process latency of the real handler (logging + EMF included, stdout discarded), on moto."""
    from route import handler
    from routing.config.cache import ConfigCache
    from routing.config.publishing import publish_document
    from routing.config.store import DynamoConfigStore
    from routing.route.service import RouteService
    from trunkline.embedded import embedded_dynamodb

    with embedded_dynamodb(None) as table:
        store = CountingStore(DynamoConfigStore(table, region="us-east-1"))
        publish_document(store.inner, document, actor="bench", summary=label)
        cache = ConfigCache(store, refresh_seconds=30)  # type: ignore[arg-type]
        service = RouteService(cache, default_queue_id="fallback", clock=lambda: OPEN_TIME)
        handler.set_service(service)
        with _discard_output():
            t0 = time.perf_counter()
            handler.lambda_handler(events[0], None)
            first_ms = (time.perf_counter() - t0) * 1000
            for e in events[:200]:
                handler.lambda_handler(e, None)
            before = store.requests
            it = iter(events * 50)
            samples = _timed(lambda: handler.lambda_handler(next(it), None), 5000)
            requests_back_to_back = store.requests - before
            decide_samples = _pure_decide(cache, events)
        handler.set_service(None)
        baseline = _naive_baseline(document, events)
    return {
        "label": label,
        "rules": sum(len(r["rules"]) for r in document["rulesets"].values()),
        "queues": len(document["queues"]),
        "handler_p50_us": round(percentile(samples, 50), 1),
        "handler_p99_us": round(percentile(samples, 99), 1),
        "decide_p50_us": round(percentile(decide_samples, 50), 1),
        "decide_p99_us": round(percentile(decide_samples, 99), 1),
        "baseline_getitem_p50_us": round(percentile(baseline, 50), 1),
        "baseline_getitem_p99_us": round(percentile(baseline, 99), 1),
        "first_decision_incl_config_load_ms": round(first_ms, 1),
        "dynamodb_requests_5000_back_to_back_calls": requests_back_to_back,
    }


@contextmanager
def _discard_output() -> Iterator[None]:
    """Logs and EMF are still formatted (that cost is real) but written to a null sink, not the terminal."""
    import logging

    from routing.common.observability import logger

    sink = io.StringIO()
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    streams = [h.setStream(sink) for h in handlers]
    try:
        with redirect_stdout(sink):
            yield
    finally:
        for h, stream in zip(handlers, streams, strict=True):
            h.setStream(stream)  # type: ignore[arg-type]


def _pure_decide(cache: Any, events: list[dict[str, Any]]) -> list[float]:
    from routing.common.contact import ContactRequest
    from routing.route.engine import decide

    compiled, _ = cache.current()
    contacts = [ContactRequest.from_event(e) for e in events]
    it = iter(contacts * 50)
    return _timed(lambda: decide(next(it), compiled, now=OPEN_TIME), 5000)


def _naive_baseline(document: dict[str, Any], events: list[dict[str, Any]]) -> list[float]:
    """What the public samples do: one GetItem per call, keyed by the dialed number, on the same moto store."""
    import boto3
    from botocore.config import Config

    from trunkline.embedded import embedded_dynamodb

    with embedded_dynamodb(None):
        client = boto3.client("dynamodb", region_name="us-east-1", config=Config(connect_timeout=0.5, read_timeout=1))
        client.create_table(
            TableName="naive",
            KeySchema=[{"AttributeName": "number", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "number", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for e in document["entry_points"].values():
            if e.get("dialed_number"):
                queue = document["queues"][document["lines_of_business"][e["line_of_business"]]["default_queue"]]
                item = {"number": {"S": e["dialed_number"]}, "queue_id": {"S": queue["queue_id"]}}
                item.update({k: {"S": v} for k, v in queue["attributes"].items()})
                client.put_item(TableName="naive", Item=item)

        def call(event: dict[str, Any]) -> dict[str, str]:
            endpoint = event["Details"]["ContactData"]["SystemEndpoint"] or {}
            data = event["Details"]["ContactData"]
            number = endpoint.get("Address") or data["Attributes"].get("entry_key") or "unknown"
            item = client.get_item(TableName="naive", Key={"number": {"S": number}}).get("Item", {})
            return {k: v["S"] for k, v in item.items()}

        it = iter(events * 3)
        for e in events[:50]:
            call(e)
        return _timed(lambda: call(next(it)), 1000)


def requests_at_rate(document: dict[str, Any], calls_per_second: float, calls: int = 1000) -> int:
    """DynamoDB requests for ``calls`` warm calls arriving at a steady rate on one container (simulated clock)."""
    from routing.config.cache import ConfigCache
    from routing.config.memory_store import InMemoryConfigStore
    from routing.config.publishing import publish_document

    store = InMemoryConfigStore()
    publish_document(store, document, actor="bench", summary="rate")
    now = [0.0]
    counting = CountingStore(store)
    cache = ConfigCache(counting, refresh_seconds=30, clock=lambda: now[0])  # type: ignore[arg-type]
    cache.current()  # cold load
    counting.requests = 0
    for _ in range(calls):
        now[0] += 1 / calls_per_second
        cache.current()
    return counting.requests


def rule_scaling(sizes: tuple[int, ...] = (10, 100, 1000, 10000)) -> list[dict[str, Any]]:
    """decide() time for one ruleset of N rules (generated), same contacts shape."""
    from routing.common.contact import ContactRequest
    from routing.config.loader import validate_document
    from routing.route.engine import CompiledConfig, decide
    from trunkline.generate import generate_config

    rows = []
    for n in sizes:
        doc = validate_document(generate_config(queues=40, rules=n, lines_of_business=1)).document
        assert doc is not None
        compiled = CompiledConfig.compile(doc, version="bench")
        contacts = [ContactRequest.from_event(e) for e in _generated_events(doc, 500, seed=n)]
        it = iter(contacts * 20)
        for c in contacts:
            decide(c, compiled, now=OPEN_TIME)
        samples = _timed(lambda it=it, compiled=compiled: decide(next(it), compiled, now=OPEN_TIME), 5000)
        rows.append(
            {
                "rules": n,
                "p50_us": round(percentile(samples, 50), 2),
                "p99_us": round(percentile(samples, 99), 2),
                "mean_us": round(statistics.fmean(samples), 2),
            }
        )
    return rows


def _best_subprocess(code: str, runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        out = (
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
            .stdout.strip()
            .splitlines()[-1]
        )
        best = min(best, float(out))
    return best


def cold_start() -> dict[str, Any]:
    """Import costs in fresh interpreters (best of 7), and the full init a cold Lambda pays before deciding."""
    timer = "import time; t=time.perf_counter(); {stmt}; print((time.perf_counter()-t)*1000)"
    boto3_ms = _best_subprocess(timer.format(stmt="import boto3"))
    handler_ms = _best_subprocess(timer.format(stmt="import route.handler"))
    init_ms = _best_subprocess(
        timer.format(
            stmt="import route.handler; import routing.common.models; from routing.config.cache import load_baked"
        )
    )
    return {
        "import_boto3_ms": round(boto3_ms, 1),
        "import_handler_ms": round(handler_ms, 1),
        "handler_over_boto3": round(handler_ms / boto3_ms, 2),
        "import_handler_plus_pynamodb_ms": round(init_ms, 1),
        "handler_plus_pynamodb_over_boto3": round(init_ms / boto3_ms, 2),
    }


RSS_SCRIPT = """
import json, resource, io, contextlib
from datetime import datetime, timezone
from routing.config.loader import validate_document
from routing.route.engine import CompiledConfig, decide
from routing.common.contact import ContactRequest
from trunkline.generate import generate_config
from bench.route_bench import _generated_events
import route.handler
doc = validate_document(generate_config(queues=600, rules=5000)).document
compiled = CompiledConfig.compile(doc, version="rss")
now = datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)
for e in _generated_events(doc, 2000):
    decide(ContactRequest.from_event(e), compiled, now=now)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_rss_mb() -> float:
    """Peak RSS of a process that imports the handler, compiles the 600-queue/5,000-rule config and decides."""
    out = (
        subprocess.run([sys.executable, "-c", RSS_SCRIPT], capture_output=True, text=True, check=True, cwd=ROOT)
        .stdout.strip()
        .splitlines()[-1]
    )
    return round(float(out), 1)


def run_route_bench() -> dict[str, Any]:
    """Everything above, as one dict."""
    from routing.config.loader import load_directory
    from trunkline.contacts import sample_contacts
    from trunkline.generate import generate_config

    sample = load_directory(ROOT / "config").document
    assert sample is not None
    from routing.config.loader import validate_document

    large = validate_document(generate_config(queues=600, rules=5000)).document
    assert large is not None
    sample_events = [c.event() for c in sample_contacts(400, seed=2)]
    out: dict[str, Any] = {
        "warm": [
            warm_latency(sample, sample_events, "sample config (23 queues, 22 rules)"),
            warm_latency(large, _generated_events(large, 2000), "generated (600 queues, 5,000 rules)"),
        ],
    }
    with _discard_output():
        out["rule_scaling"] = rule_scaling()
        out["requests_per_1000_warm_calls"] = {
            f"{rate:g}_calls_per_s": requests_at_rate(large, rate) for rate in (10.0, 34.0, 100.0)
        }
    out.update(
        {
            "cold_start": cold_start(),
            "peak_rss_mb_600q_5000r": peak_rss_mb(),
        }
    )
    return out


if __name__ == "__main__":
    print(json.dumps(run_route_bench(), indent=2))
