"""Contact outcomes: the cost of one contact event (parse, apply, summarize) and DynamoDB requests per contact.

Events come from the flow simulator's contact-event generator over the demo's contacts, shuffled with 20 %
redeliveries, as EventBridge may deliver them.
"""

from __future__ import annotations

import io
import random
import statistics
import time
from collections import Counter
from contextlib import redirect_stdout
from typing import Any


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _events(contacts: int, seed: int) -> list[dict[str, Any]]:
    from trunkline.demo import simulate
    from trunkline.simulator.events import QueueOutcomeModel, contact_events, shuffle_and_duplicate

    with redirect_stdout(io.StringIO()):
        rows, _ = simulate(contacts, seed)
    rng = random.Random(seed)
    model = QueueOutcomeModel(seed=seed)
    events = [e for row in rows for e in contact_events(row.result, model=model, rng=rng, start=row.at)]
    return shuffle_and_duplicate(events, rng, duplicate_ratio=0.2)


def run_outcomes_bench(contacts: int = 200, seed: int = 3) -> dict[str, Any]:
    """Pure path (in-memory store) and the DynamoDB path (moto), per event; requests per contact."""
    from moto import mock_aws

    from routing.common.models import CallLogItem
    from routing.outcomes.service import OutcomeService
    from routing.outcomes.store import DynamoCallLogStore, InMemoryCallLogStore
    from trunkline.cli import quiet_lambda_output
    from trunkline.embedded import fake_aws_env

    events = _events(contacts, seed)
    quiet_lambda_output()  # EMF off, logger at WARNING: measure our code, not the terminal

    memory = OutcomeService(InMemoryCallLogStore())
    pure: list[float] = []
    for event in events:
        started = time.perf_counter()
        memory.handle(event)
        pure.append((time.perf_counter() - started) * 1e6)

    from botocore.client import BaseClient

    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls[operation] += 1
        return original(self, operation, params)

    dynamo_us: list[float] = []
    results: Counter[str] = Counter()
    with fake_aws_env(), mock_aws():
        store = DynamoCallLogStore("bench-call-log", region="us-east-1")
        CallLogItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        service = OutcomeService(store)
        BaseClient._make_api_call = counting  # type: ignore[attr-defined]
        try:
            for event in events:
                started = time.perf_counter()
                results[service.handle(event).value] += 1
                dynamo_us.append((time.perf_counter() - started) * 1e6)
        finally:
            BaseClient._make_api_call = original  # type: ignore[attr-defined]
        contact_count = len({e["detail"]["contactId"] for e in events})
    return {
        "events": len(events),
        "contacts": contact_count,
        "results": dict(results),
        "in_memory_event_p50_us": round(statistics.median(pure), 1),
        "in_memory_event_p99_us": round(_pct(pure, 0.99), 1),
        "moto_event_p50_us": round(statistics.median(dynamo_us), 1),
        "moto_event_p99_us": round(_pct(dynamo_us, 0.99), 1),
        "dynamodb_requests": dict(calls),
        "dynamodb_requests_per_contact": round(sum(calls.values()) / contact_count, 2),
        "dynamodb_writes_per_contact": round(calls["UpdateItem"] / contact_count, 2),
    }
