"""Callback store: the cost of a new botocore session and client per transaction (the old store) against the one
connection per container (now), side by side in one run on moto; and what reserve → confirm costs per callback.

Run: ``python -m bench.callback_bench`` (figures, not assertions; moto in-process, so the absolute times are the
client-side work only — the ratio is the point).
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_callback_bench(rounds: int = 40) -> dict[str, Any]:
    """Per-transaction time with the shared connection vs a new Connection each time (the pre-issue-12 store)."""
    from moto import mock_aws
    from pynamodb.connection import Connection

    from routing.callback.request import CallbackRequest, NumberHasher
    from routing.callback.store import DynamoCallbackStore
    from routing.common.models import CONNECT_TIMEOUT_S, MAX_RETRIES, READ_TIMEOUT_S, CallbackItem
    from trunkline.embedded import fake_aws_env

    hasher = NumberHasher("bench-only-callback-number-key-0123456789")
    out: dict[str, Any] = {}
    with fake_aws_env(), mock_aws():
        store = DynamoCallbackStore("callbacks-bench", region="us-east-1")
        CallbackItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        shared = store._connection

        def fresh() -> Connection:
            return Connection(
                region="us-east-1",
                connect_timeout_seconds=CONNECT_TIMEOUT_S,
                read_timeout_seconds=READ_TIMEOUT_S,
                max_retry_attempts=MAX_RETRIES,
            )

        def cycle(i: int, label: str) -> float:
            if label == "new_client_per_transaction":
                store._connection = fresh()
            request = CallbackRequest(f"{label}-{i}", "q", hasher.digest(f"+1212555{i:04d}"), "standard", 3600, 10**6)
            started = time.perf_counter()
            store.reserve(request, now=2e9)
            return (time.perf_counter() - started) * 1000

        for label in ("one_connection_per_container", "new_client_per_transaction"):
            store._connection = shared
            cycle(0, label)  # warm moto and the imports
            samples = [cycle(i, label) for i in range(1, rounds + 1)]
            out[label] = {
                "reserve_p50_ms": round(statistics.median(samples), 2),
                "reserve_p90_ms": round(_pct(samples, 0.9), 2),
            }
        store._connection = shared
        base = out["one_connection_per_container"]["reserve_p50_ms"]
        out["ratio_p50"] = round(out["new_client_per_transaction"]["reserve_p50_ms"] / base, 1) if base else None
    return out


if __name__ == "__main__":
    print(json.dumps(run_callback_bench(), indent=2))
