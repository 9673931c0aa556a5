"""Admin API: validate and simulate on a 600-queue centre, through the real handler (event → resolver → service).

In-process over the in-memory store, so the figures are the function's own work (API Gateway, the authorizer and
DynamoDB add their latency on top). ``simulate`` compiles a document once per content hash (``CompiledCache``):
the first call of a draft pays the compile, later calls reuse it; both are reported.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

EDITOR = {"email": "bench@example.com", "cognito:groups": "[trunkline-editor trunkline-lob-all]"}


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(samples_s: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in samples_s]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(_pct(ms, 0.99), 2)}


def run_admin_bench(validate_runs: int = 30, simulate_runs: int = 300) -> dict[str, Any]:
    """p50/p99 of POST /drafts/{id}/validate and POST /simulate on a 600-queue, 5,000-rule, 20-line centre."""
    import admin.handler as admin_handler

    from routing.admin.service import AdminService
    from routing.config.memory_store import InMemoryConfigStore
    from routing.config.publishing import publish_document
    from trunkline.generate import generate_config
    from trunkline.portal_server import rest_event

    document = generate_config(queues=600, rules=5000, lines_of_business=20)
    store = InMemoryConfigStore()
    publish_document(store, document, actor="bench", summary="600 queues")
    admin_handler.set_service(AdminService(store, clock=lambda: datetime(2026, 12, 3, 20, 0, tzinfo=UTC)))

    def call(method: str, path: str, body: Any = None) -> tuple[float, dict[str, Any]]:
        event = rest_event(method, path, body=json.dumps(body) if body is not None else None, claims=EDITOR)
        started = time.perf_counter()
        reply = admin_handler.lambda_handler(event, None)
        elapsed = time.perf_counter() - started
        if reply["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {reply['statusCode']} {reply['body'][:300]}")
        return elapsed, json.loads(reply["body"])

    try:
        _, created = call("POST", "/drafts")
        draft = created["draft_id"]
        closure = [{"key": "storm", "active": True, "message": "Closed for weather."}]
        edit_s, _ = call(
            "PATCH",
            f"/drafts/{draft}",
            {"set": [{"path": "schedules[lob03_hours].emergency_closures", "value": closure}]},
        )
        validate = [call("POST", f"/drafts/{draft}/validate")[0] for _ in range(validate_runs)]
        entries = sorted(document["entry_points"])
        first_s, _ = call("POST", "/simulate", _simulation(draft, entries[0]))
        simulate = [
            call("POST", "/simulate", _simulation(draft, entries[i % len(entries)]))[0] for i in range(simulate_runs)
        ]
    finally:
        admin_handler.set_service(None)
    return {
        "centre": {"queues": 600, "rules": 5000, "lines_of_business": 20, "entry_points": len(entries)},
        "validate": _summary(validate),
        "simulate_warm": _summary(simulate),
        "simulate_first_call_incl_compile_ms": round(first_s * 1000, 1),
        "edit_draft_incl_validation_ms": round(edit_s * 1000, 1),
    }


def _simulation(draft: str, entry: str) -> dict[str, Any]:
    return {
        "draft_id": draft,
        "contact": {"entry_point": entry, "caller": "+12125550123", "attributes": {"intent": "billing"}},
        "at": "2026-12-03T20:00:00Z",
        "metrics": {"q0001": {"estimated_wait_time": 400.0, "contacts_in_queue": 12.0}},
    }


def print_admin(r: dict[str, Any]) -> None:
    """The table ``python -m bench`` prints."""
    print("\n== admin API on a 600-queue / 5,000-rule centre, in-process through the handler (ms) ==")
    print(
        f"validate        p50 {r['validate']['p50_ms']:>8}  p99 {r['validate']['p99_ms']:>8}  (n={r['validate']['n']})"
    )
    w = r["simulate_warm"]
    print(f"simulate (warm) p50 {w['p50_ms']:>8}  p99 {w['p99_ms']:>8}  (n={w['n']})")
    print(
        f"simulate, first call of a draft (compile included): {r['simulate_first_call_incl_compile_ms']} ms; "
        f"edit a draft (validation included): {r['edit_draft_incl_validation_ms']} ms"
    )


if __name__ == "__main__":
    result = run_admin_bench()
    print_admin(result)
    print(json.dumps(result, indent=2))
