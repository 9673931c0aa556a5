"""Init and the first call after it, the way Lambda runs them: a fresh interpreter imports ``route.handler`` (module
load = Lambda's init phase = what SnapStart snapshots), then answers its first call, a warm call, a simulated
restore (the after-restore hooks) and the first call after it.

The store is ``trunkline.fault_endpoints.FakeDynamo`` on localhost holding the published version (botocore speaks
HTTP to it as it would to DynamoDB), so the store requests each phase makes are counted through the route's
``StoreGate``. Cases: the sample centre and a generated 600 queues / 5,000 rules centre, each with the active
version in the store (init loads it), baked into the package only (no table), and — for comparison, the path
before issue 18 — with no load at init (``INIT_STORE_BUDGET_MS=0``, no baked file: the first call loads the
version inside its budget). Figures, not assertions; targets: first call ≤ 5 ms (sample), ≤ 20 ms (600/5,000).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
t = time.perf_counter()
import route.handler as h
init_ms = (time.perf_counter() - t) * 1000
event = json.loads(sys.argv[1])
gate = h._service.store_gate
at_init = gate.stats.requests if gate else 0
h.simulate_snapshot()
def timed():
    t = time.perf_counter()
    reply = h.lambda_handler(event, None)
    return (time.perf_counter() - t) * 1000, reply
first_ms, first = timed()
after_first = gate.stats.requests if gate else 0
warm_ms, _ = timed()
t = time.perf_counter()
h.simulate_restore()
restore_ms = (time.perf_counter() - t) * 1000
before_restored_call = gate.stats.requests if gate else 0
restored_ms, restored = timed()
print(json.dumps({
    "init_ms": init_ms, "first_call_ms": first_ms, "warm_call_ms": warm_ms, "restore_hooks_ms": restore_ms,
    "first_call_after_restore_ms": restored_ms, "init_requests": at_init, "first_call_requests": after_first - at_init,
    "after_restore_requests": (gate.stats.requests if gate else 0) - before_restored_call,
    "first_source": first["config_source"], "first_status": first["status"],
    "restored_source": restored["config_source"],
}))
"""


def _documents() -> dict[str, tuple[dict[str, Any], str]]:
    """Label → (validated document, a dialed number that reaches an entry point)."""
    from routing.config.loader import load_directory, validate_document
    from trunkline.generate import generate_config

    sample = load_directory(ROOT / "config").document
    assert sample is not None
    large = validate_document(generate_config(queues=600, rules=5000)).document
    assert large is not None
    out = {}
    for label, doc in (("sample", sample), ("600q_5000r", large)):
        dialed = next(e["dialed_number"] for e in doc["entry_points"].values() if e.get("dialed_number"))
        out[label] = (doc, dialed)
    return out


def _env(**extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT / 'lambdas'}:{ROOT}",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "route",
        "POWERTOOLS_METRICS_NAMESPACE": "Trunkline",
        "DEFAULT_QUEUE_ID": "fallback",
        "CONFIG_REFRESH_SECONDS": "30",
    }
    env.update(extra)
    return env


def _run(env: dict[str, str], event: str) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, event], capture_output=True, text=True, check=False, env=env, cwd="/"
    )
    if run.returncode != 0:
        raise RuntimeError(f"init bench child failed:\n{run.stderr[-3000:]}")
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rows[0].items():
        if key.endswith("_ms"):
            values = [float(r[key]) for r in rows]
            out[key] = {"best": round(min(values), 2), "median": round(statistics.median(values), 2)}
        else:
            out[key] = sorted({str(r[key]) for r in rows}) if isinstance(value, str) else max(r[key] for r in rows)
    return out


def run_init_bench(runs: int = 5) -> dict[str, Any]:
    """Every case ``runs`` times, interleaved (a load spike hits every case alike)."""
    from trunkline.contacts import connect_event
    from trunkline.fault_endpoints import FakeDynamo

    results: dict[str, Any] = {"runs": runs}
    with tempfile.TemporaryDirectory(prefix="trunkline-init-") as tmp:
        cases: dict[str, tuple[dict[str, str], str]] = {}
        fakes = []
        for label, (document, dialed) in _documents().items():
            event = json.dumps(connect_event(dialed=dialed, caller="+12125550123"))
            baked = Path(tmp) / f"{label}.json"
            baked.write_text(json.dumps({"version": f"baked-{label}", "document": document}), encoding="utf-8")
            fake = FakeDynamo().start()
            fake.publish(document)
            fakes.append(fake)
            store = {"CONFIG_TABLE_NAME": "trunkline-config", "AWS_ENDPOINT_URL_DYNAMODB": fake.endpoint}
            absent = str(Path(tmp) / "absent.json")
            cases[f"{label}/active_at_init"] = (_env(**store, BAKED_CONFIG_PATH=absent), event)
            cases[f"{label}/baked_only"] = (_env(BAKED_CONFIG_PATH=str(baked)), event)
            cases[f"{label}/no_init_load"] = (_env(**store, BAKED_CONFIG_PATH=absent, INIT_STORE_BUDGET_MS="0"), event)
        try:
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
            for _ in range(runs):
                for name, (env, event) in cases.items():
                    rows[name].append(_run(env, event))
        finally:
            for fake in fakes:
                fake.stop()
    for name, found in rows.items():
        results[name] = _summary(found)
    return results


def print_init(r: dict[str, Any]) -> None:
    """The table ``python -m bench`` prints."""
    print(f"\n== init and the first call after it (fresh interpreters, best/median of {r['runs']}, ms) ==")
    print(
        f"{'case':<26} {'init':>15} {'first call':>13} {'requests':>8} {'warm':>11} {'restore hooks':>13} "
        f"{'after restore':>13} {'requests':>8}  sources"
    )

    def cell(row: dict[str, Any], key: str) -> str:
        return f"{row[key]['best']}/{row[key]['median']}"

    for name, row in r.items():
        if name == "runs":
            continue
        print(
            f"{name:<26} {cell(row, 'init_ms'):>15} {cell(row, 'first_call_ms'):>13} {row['first_call_requests']:>8} "
            f"{cell(row, 'warm_call_ms'):>11} {cell(row, 'restore_hooks_ms'):>13} "
            f"{cell(row, 'first_call_after_restore_ms'):>13} {row['after_restore_requests']:>8}  "
            f"{','.join(row['first_source'])} → {','.join(row['restored_source'])}"
        )


if __name__ == "__main__":
    print_init(run_init_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
