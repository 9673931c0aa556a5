"""The callback function when DynamoDB has a bad day: cold and warm container x the fault kinds of
``bench.fault_bench``, the worst ``reserve`` time and what it answered (target: the store budget + 0.3 s; the answer
when out of time is ``ERROR``, which the flow treats as "keep your place in queue").

A cold cell is a fresh interpreter per sample (``import callback.handler`` builds the service and its clients at
init, reported beside); its time is the first invocation. A warm cell runs in this process after three healthy
reservations, every invocation due to check the config pointer (refresh and retry intervals 0: the harshest
cadence). Run alone: ``python -m bench.callback_fault_bench``; ``bench.fault_bench`` includes it in ``make bench``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.fault_bench import (
    BUDGET_MS,
    KINDS,
    MARK,
    ROOT,
    WARM_CALLS,
    _env,
    _environ,
    _quiet,
    cold_samples,
    run_child,
)

NUMBER_KEY = "bench-only-callback-number-key-0123456789"
PARAMS = {"queue_key": "cards_general", "callback_number": "(212) 555-0187"}

CHILD = """
import json, time
t0 = time.perf_counter()
import callback.handler as h
init_ms = (time.perf_counter() - t0) * 1000
from trunkline.contacts import connect_event
calls, exceptions = [], 0
for i in range(3):
    event = connect_event(dialed="+18005550100", caller="+13125550100", parameters=PARAMS, contact_id=f"cold-{i}")
    started = time.perf_counter()
    try:
        reply = h.lambda_handler(event, None)
    except Exception:
        exceptions, reply = exceptions + 1, {}
    calls.append([round((time.perf_counter() - started) * 1000, 1), reply.get("callback_status")])
gate = h._service.store_gate
print(MARK + json.dumps({"init_ms": round(init_ms, 1), "calls": calls, "exceptions": exceptions,
                         "deadline_exceeded": gate.stats.deadline_exceeded, "skipped": gate.stats.skipped}))
"""


def _callback_env(endpoint: str, baked: Path, **extra: str) -> dict[str, str]:
    return _env(
        endpoint,
        baked,
        CALLBACK_TABLE_NAME="trunkline-callbacks-bench",
        CALLBACK_NUMBER_KEY=NUMBER_KEY,
        METRICS_TABLE_NAME="",
        **extra,
    )


def cold_cell(kind: str, document: dict[str, Any], baked: Path) -> dict[str, Any]:
    """``COLD_SAMPLES`` fresh processes against one fault: the worst first invocation and what it answered."""
    code = CHILD.replace("PARAMS", repr(PARAMS)).replace("MARK", repr(MARK))
    samples = cold_samples(kind, document, lambda endpoint: run_child(code, _callback_env(endpoint, baked)))
    firsts = [s["calls"][0] for s in samples if s["calls"]]
    worst = max(firsts, key=lambda c: c[0]) if firsts else [None, None]
    return {
        "worst_first_ms": worst[0],
        "answered": str(worst[1]),
        "worst_later_call_ms": max((c[0] for s in samples for c in s["calls"][1:]), default=None),
        "worst_init_ms": max(s["init_ms"] for s in samples),
        "deadline_exceeded": sum(s.get("deadline_exceeded", 0) for s in samples),
        "exceptions": sum(s["exceptions"] for s in samples),
    }


def _invoke(handler: Any, contact_id: str) -> tuple[float, str, int]:
    from trunkline.contacts import connect_event

    event = connect_event(dialed="+18005550100", caller="+13125550100", parameters=PARAMS, contact_id=contact_id)
    started = time.perf_counter()
    try:
        status, failed = handler.lambda_handler(event, None).get("callback_status", ""), 0
    except Exception:  # noqa: BLE001 — counted: the target is zero
        status, failed = "", 1
    return round((time.perf_counter() - started) * 1000, 1), status, failed


def warm_cell(kind: str, document: dict[str, Any], baked: Path) -> dict[str, Any]:
    """A container that reserved three callbacks, then meets the fault on every invocation."""
    from routing.common.models import CallbackItem, ConfigItem, StoreTimeouts, bind_model
    from trunkline.fault_endpoints import FakeDynamo, SynDropped

    fake = FakeDynamo().start()
    fake.publish(document)
    dropped: SynDropped | None = None
    intervals = {"CONFIG_REFRESH_SECONDS": "0", "CONFIG_RETRY_SECONDS": "0"}
    calls: list[tuple[float, str, int]] = []
    with _environ(_callback_env(fake.endpoint, baked, **intervals)), _quiet():
        from callback import handler  # first import: its init builds a service from this environment

        service = handler.build_service()
        handler.set_service(service)
        healthy = [_invoke(handler, f"healthy-{i}")[1] for i in range(3)]
        if kind == "refused":
            fake.stop()
        elif kind == "syn_dropped":  # the network path changes under a warm client: rebuild it at the new address
            dropped = SynDropped()
            for model in (ConfigItem, CallbackItem):
                bind_model(
                    model,
                    table_name=model.Meta.table_name,
                    region="us-east-1",
                    host=dropped.endpoint,
                    timeouts=StoreTimeouts.for_budget(BUDGET_MS / 1000),
                )
                _ = model._get_connection().connection.client
            service._store._connection = CallbackItem._get_connection().connection  # type: ignore[attr-defined]
        else:
            fake.mode = kind
        calls = [_invoke(handler, f"fault-{i}") for i in range(WARM_CALLS)]
        gate = service.store_gate
        handler.set_service(None)
    fake.stop()
    if dropped is not None:
        dropped.close()
    return {
        "healthy": sorted(set(healthy)),
        "worst_ms": max(c[0] for c in calls),
        "answered": sorted({c[1] for c in calls}),
        "deadline_exceeded": gate.stats.deadline_exceeded if gate else None,
        "skipped": gate.stats.skipped if gate else None,
        "exceptions": sum(c[2] for c in calls),
    }


def run_callback_faults(document: dict[str, Any], baked: Path) -> dict[str, Any]:
    """The callback's fault matrix (``baked``: the config version baked into the bundle)."""
    matrix = {
        kind: {"cold": cold_cell(kind, document, baked), "warm": warm_cell(kind, document, baked)} for kind in KINDS
    }
    cells = [c for k in matrix.values() for c in (k["cold"]["worst_first_ms"], k["warm"]["worst_ms"])]
    return {
        "budget_ms": BUDGET_MS,
        "target_ms": BUDGET_MS + 300,
        "worst_cell_ms": max(c for c in cells if c is not None),
        "exceptions": sum(k["cold"]["exceptions"] + k["warm"]["exceptions"] for k in matrix.values()),
        "matrix": matrix,
    }


def print_callback_faults(r: dict[str, Any]) -> None:
    """The table ``bench.run`` prints."""
    budget = f"store budget {r['budget_ms']} ms (target ≤ {r['target_ms']} ms)"
    print(f"\n== callback faults: worst reserve time, {budget} ==")
    print(f"{'fault':<12} {'cold first ms':>13} {'init ms':>8} {'answered':<10} {'warm ms':>8} answered")
    for kind, cell in r["matrix"].items():
        c, w = cell["cold"], cell["warm"]
        print(
            f"{kind:<12} {c['worst_first_ms']!s:>13} {c['worst_init_ms']:>8} {c['answered']:<10} "
            f"{w['worst_ms']:>8} {', '.join(w['answered'])}"
        )
    print(f"worst cell {r['worst_cell_ms']} ms; exceptions {r['exceptions']}")


if __name__ == "__main__":
    import tempfile

    from routing.config.loader import load_directory

    sample = load_directory(ROOT / "config").document
    assert sample is not None
    with tempfile.TemporaryDirectory() as tmp:
        baked_path = Path(tmp) / "baked.json"
        baked_path.write_text(json.dumps({"version": "baked-bench", "document": sample}), encoding="utf-8")
        result = run_callback_faults(sample, baked_path)
    print(json.dumps(result, indent=2))
    print_callback_faults(result)
