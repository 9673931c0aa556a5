"""The demo's printed report (``make demo``): the routing summary, the outcome summary from the call log, and the
contact records' view. Split from ``trunkline.demo`` (issue 14), which runs the simulation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from trunkline.demo import WEEK_START, DemoRow, OutcomeRun


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))] if ordered else 0.0


def print_summary(rows: list[DemoRow]) -> None:
    """The routing summary: statuses, endings, queues, fallbacks, warm route latency."""
    by_status = Counter(r.attrs.get("route_status", "-") for r in rows)
    endings = Counter(r.result.end_reason.value for r in rows)
    by_queue = Counter(
        (r.attrs.get("queue_key") or "(default queue)", r.attrs.get("route_status", "-"))
        for r in rows
        if r.result.transferred
    )
    fallbacks = Counter(r.attrs["fallback_reason"] for r in rows if r.attrs.get("fallback_reason"))
    flow_fallbacks = Counter(r.attrs["route_fallback"] for r in rows if r.attrs.get("route_fallback"))
    # The first invocation loads and compiles the config (the cold path): report warm calls only.
    latencies = [inv.latency_ms * 1000 / inv.count for r in rows[1:] for inv in r.result.invocations]
    absorbed = sum(1 for r in rows for inv in r.result.invocations if inv.count > 1 and inv.succeeded)
    print(f"\n{len(rows)} contacts — route status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    print("endings: " + ", ".join(f"{k} {v}" for k, v in sorted(endings.items())))
    print("transferred, per queue and status:")
    for (queue, status), n in sorted(by_queue.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {queue:<26} {status:<14} {n}")
    print("rule fallbacks: " + (", ".join(f"{k} {v}" for k, v in sorted(fallbacks.items())) or "none"))
    print(
        "flow error paths: "
        + (", ".join(f"{k} {v}" for k, v in sorted(flow_fallbacks.items())) or "none")
        + f"; transient Lambda errors absorbed by Connect's retry: {absorbed}"
    )
    offered = sum(1 for r in rows if r.attrs.get("callback_offer") == "true")
    created = sum(1 for r in rows if r.result.callback is not None)
    refused = Counter(
        str(r.result.external.get("callback_status"))
        for r in rows
        if "InvokeCallback" in r.result.visited and r.result.callback is None
    )
    print(
        f"queued callback: offered {offered}, created {created}"
        + "".join(f", {k} {v}" for k, v in sorted(refused.items()))
    )
    print(
        f"route latency per attempt (real handler, warm, in-process): p50 {_percentile(latencies, 50):.0f} µs, "
        f"p99 {_percentile(latencies, 99):.0f} µs"
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def print_outcome_summary(run: OutcomeRun) -> None:
    """Abandonment and callback figures per line of business, from the call log (``routing.outcomes.events.tally``)."""
    from routing.outcomes.call_log import Outcome, OutcomeTotals, tally

    print(
        f"\ncontact outcomes: {run.events} contact events delivered out of order with redeliveries "
        + "("
        + ", ".join(f"{k} {v}" for k, v in sorted(run.results.items()))
        + ")"
    )
    totals = tally(run.logs)
    overall = OutcomeTotals()
    for t in totals.values():
        overall.counts.update({k: overall.counts.get(k, 0) + v for k, v in t.counts.items()})
        overall.answer_seconds += t.answer_seconds
        overall.abandon_seconds += t.abandon_seconds
    header = (
        f"  {'line of business':<18} {'answered':>8} {'abandoned':>9} {'abandon %':>9} {'avg answer':>10} "
        f"{'in flow':>7} {'cb asked':>8} {'cb done':>7} {'cb failed':>9} {'cb success':>10}"
    )
    print(header)
    for lob, t in [*sorted(totals.items()), ("all", overall)]:
        answer = t.mean_time_to_answer_s
        print(
            f"  {lob:<18} {t.count(Outcome.ANSWERED):>8} {t.count(Outcome.ABANDONED):>9} "
            f"{_pct(t.abandonment_rate):>9} {'-' if answer is None else f'{answer:.0f} s':>10} "
            f"{t.count(Outcome.ENDED_IN_FLOW):>7} {t.count(Outcome.CALLBACK_REQUESTED):>8} "
            f"{t.count(Outcome.CALLBACK_COMPLETED) + t.count(Outcome.CALLBACK_REACHED):>7} "
            f"{t.count(Outcome.CALLBACK_FAILED):>9} "
            f"{_pct(t.callback_success_rate):>10}"
        )
    in_progress = sum(1 for log in run.logs if not log.ended)
    print(
        f"callback numbers released when their callback ended: {run.callbacks_released}; "
        f"contacts still in progress: {in_progress}"
    )
    _records_summary(run)


def _records_summary(run: OutcomeRun) -> None:
    """The outcome report from the records (``trunkline report outcomes``) and the reconciliation with Connect."""
    from trunkline.report import outcome_rows, render_table

    print(
        f"\ncontact records: {run.records} delivered on the stream, updates and redeliveries included "
        f"({', '.join(f'{k} {v}' for k, v in sorted((run.record_results or {}).items()))}); per line of business "
        "and queue, records the authority:"
    )
    print(render_table(outcome_rows(run.logs, start=WEEK_START, end=WEEK_START + timedelta(days=7))))
    hours = run.reconciliation or []
    totals: dict[str, float] = {}
    for hour in hours:
        for name, _unit, value in hour.metrics():
            totals[name] = totals.get(name, 0.0) + value
    drifting = sum(len(h.drifting) for h in hours)
    print(
        f"reconciliation with Connect (GetMetricDataV2, simulated from the records), {len(hours)} hours: "
        f"abandoned ours {totals.get('ReconcileAbandonedOurs', 0):.0f} / Connect "
        f"{totals.get('ReconcileAbandonedConnect', 0):.0f}, handled ours {totals.get('ReconcileHandledOurs', 0):.0f} "
        f"/ Connect {totals.get('ReconcileHandledConnect', 0):.0f}, drift "
        f"{totals.get('ReconcileAbandonedDrift', 0) + totals.get('ReconcileHandledDrift', 0):.0f} contacts, "
        f"queue-hours beyond tolerance {drifting}"
    )
