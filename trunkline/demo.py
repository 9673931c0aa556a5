"""``make demo``: publish the sample config to the embedded store and route synthetic contacts end to end.

Everything is real but the cloud: DynamoDB is moto, the route handler is the Lambda code, the clock is simulated
so that contacts arrive across open hours, closed hours and holidays.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Contacts arrive over the week of Tuesday 2026-11-24 .. Friday 2026-11-27 (Thanksgiving on Thursday).
WEEK_START = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def _arrival_times(count: int, rng: random.Random) -> list[datetime]:
    times = []
    for _ in range(count):
        day = rng.choices([0, 1, 2, 3], weights=[6, 2, 1, 1])[0]  # mostly an ordinary Tuesday
        hour = rng.choices(range(24), weights=[1] * 11 + [8] * 12 + [1])[0]  # 11:00-22:59 UTC busiest
        times.append(WEEK_START.replace(hour=0) + timedelta(days=day, hours=hour, minutes=rng.randint(0, 59)))
    return times


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))]


def route_contacts(contacts: int, seed: int) -> list[dict[str, Any]]:
    """Publish config/ and route ``contacts`` synthetic contacts; one row per contact."""
    import route.handler as handler
    from routing.config import load_directory
    from routing.config_cache import ConfigCache
    from routing.data.config_store import DynamoConfigStore
    from routing.publishing import publish_document
    from routing.service import RouteService
    from trunkline.contacts import sample_contacts
    from trunkline.embedded import embedded_dynamodb

    loaded = load_directory(ROOT / "config")
    if loaded.document is None:
        raise SystemExit("\n".join(str(i) for i in loaded.issues))
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    with embedded_dynamodb(None) as table:
        store = DynamoConfigStore(table, region="us-east-1")
        published = publish_document(store, loaded.document, actor="demo", summary="sample config")
        clock_now = [WEEK_START]
        service = RouteService(
            ConfigCache(store, refresh_seconds=30), default_queue_id="fallback-queue", clock=lambda: clock_now[0]
        )
        handler.set_service(service)
        try:
            arrivals = _arrival_times(contacts, rng)
            for i, (contact, at) in enumerate(zip(sample_contacts(contacts, seed=seed), arrivals, strict=True)):
                clock_now[0] = at
                event = contact.event(contact_id=f"demo-{i:04d}")
                started = time.perf_counter()
                reply = handler.lambda_handler(event, None)
                elapsed = (time.perf_counter() - started) * 1e6
                rows.append({"contact": contact, "at": at, "reply": reply, "us": elapsed})
        finally:
            handler.set_service(None)
    print(f"published {published.version_id} ({published.content_hash[:12]}) to the embedded store")
    return rows


def run_demo(*, contacts: int = 300, trace: str | None = None, seed: int = 11) -> int:
    """Print a per-contact table (first 40) and a summary."""
    from trunkline.cli import quiet_lambda_output

    quiet_lambda_output()
    rows = route_contacts(contacts, seed)
    print(f"\n{'contact':<16} {'arrival (UTC)':<17} {'entry':<22} {'classification':<22} {'queue':<24} "
          f"{'rule':<28} status")
    for row in rows[:40]:
        r, c = row["reply"], row["contact"]
        print(f"{c.label:<16} {row['at']:%a %H:%M}         {r['entry_point'] or '-':<22} {r['classification'] or '-':<22} "
              f"{r['queue_key'] or '-':<24} {r['rule_id'] or '-':<28} {r['status']}"
              + (f" (fallback {r['fallback_reason']})" if r["fallback_reason"] else ""))
    if len(rows) > 40:
        print(f"… {len(rows) - 40} more")
    by_status = Counter(r["reply"]["status"] for r in rows)
    by_queue = Counter((r["reply"]["queue_key"] or "-", r["reply"]["status"]) for r in rows)
    fallbacks = Counter(r["reply"]["fallback_reason"] for r in rows if r["reply"]["fallback_reason"])
    latencies = [r["us"] for r in rows]
    print(f"\n{len(rows)} contacts: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    print("per queue and status:")
    for (queue, status), n in sorted(by_queue.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {queue:<26} {status:<10} {n}")
    print("fallbacks: " + (", ".join(f"{k} {v}" for k, v in fallbacks.items()) or "none"))
    print(f"decision latency (handler, warm, in-process): p50 {_percentile(latencies, 50):.0f} µs, "
          f"p99 {_percentile(latencies, 99):.0f} µs")
    if trace:
        print("\n(--trace needs the flow simulator; see docs/flows.md)")
    return 0
