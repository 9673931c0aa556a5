"""Collects every benchmark, prints a table, writes bench/results.json."""

from __future__ import annotations

import importlib.util
import json
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results.json")


def _print_route(r: dict[str, Any]) -> None:
    print("\n== route: warm latency, in-process (µs) ==")
    print(
        f"{'config':<40} {'handler p50':>11} {'p99':>8} {'decide p50':>10} {'p99':>8} "
        f"{'GetItem/call p50':>16} {'p99':>8}"
    )
    for w in r["warm"]:
        print(
            f"{w['label']:<40} {w['handler_p50_us']:>11} {w['handler_p99_us']:>8} {w['decide_p50_us']:>10} "
            f"{w['decide_p99_us']:>8} {w['baseline_getitem_p50_us']:>16} {w['baseline_getitem_p99_us']:>8}"
        )
    for w in r["warm"]:
        print(
            f"first decision incl. config load ({w['label']}): {w['first_decision_incl_config_load_ms']} ms; "
            f"DynamoDB requests in 5,000 back-to-back warm calls: {w['dynamodb_requests_5000_back_to_back_calls']}"
        )
    print("\n== rule scaling: decide() in one ruleset (µs) ==")
    base = r["rule_scaling"][0]["p50_us"]
    for row in r["rule_scaling"]:
        print(
            f"{row['rules']:>6} rules  p50 {row['p50_us']:>7}  p99 {row['p99_us']:>7}  "
            f"x{row['p50_us'] / base:.2f} of 10 rules"
        )
    print("\n== DynamoDB requests per 1,000 warm calls on one container (30 s refresh) ==")
    for k, v in r["requests_per_1000_warm_calls"].items():
        print(f"{k:<22} {v}")
    c = r["cold_start"]
    print("\n== cold start (best of 7 fresh interpreters) ==")
    print(
        f"import boto3 {c['import_boto3_ms']} ms; import route.handler {c['import_handler_ms']} ms "
        f"(x{c['handler_over_boto3']}); + pynamodb models {c['import_handler_plus_pynamodb_ms']} ms "
        f"(x{c['handler_plus_pynamodb_over_boto3']})"
    )
    print(
        f"\npeak RSS (handler + 600 queues / 5,000 rules compiled + 2,000 decisions): {r['peak_rss_mb_600q_5000r']} MB"
    )


def main() -> int:
    """Run all benchmarks."""
    from bench.route_bench import run_route_bench

    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "route": run_route_bench(),
    }
    _print_route(results["route"])
    if importlib.util.find_spec("bench.metrics_bench") is not None:
        from bench.metrics_bench import run_metrics_bench

        results["metrics"] = run_metrics_bench()
        print("\n== live metrics ==")
        print(json.dumps(results["metrics"], indent=2))
    from bench.compile_bench import run_compile_bench

    results["compile"] = run_compile_bench()
    print("\n== compile a version, every ruleset (best of 3; target < 0.3 s each) ==")
    for label, row in results["compile"].items():
        if "seconds" in row:
            print(f"{label:<26} {row['seconds']:>6} s, cpu {row['cpu_seconds']} s  ({row['us_per_rule']} µs per rule)")
    print(f"config load, 600 queues / 5,000 rules: {results['compile']['config_load_600_queues_5000_rules']}")
    from bench.outcomes_bench import run_outcomes_bench

    results["outcomes"] = run_outcomes_bench()
    o = results["outcomes"]
    print("\n== contact outcomes: one contact event (shuffled, 20 % redelivered) ==")
    print(
        f"{o['events']} events / {o['contacts']} contacts {o['results']}; "
        f"in-memory p50 {o['in_memory_event_p50_us']} µs p99 {o['in_memory_event_p99_us']} µs; "
        f"on moto (its overhead dominates) p50 {o['moto_event_p50_us']} µs p99 {o['moto_event_p99_us']} µs"
    )
    print(
        f"DynamoDB requests per contact {o['dynamodb_requests_per_contact']} "
        f"(writes {o['dynamodb_writes_per_contact']}): {o['dynamodb_requests']}"
    )
    from bench.callback_bench import run_callback_bench

    results["callback"] = run_callback_bench()
    c = results["callback"]
    print("\n== callback store: one reserve transaction on moto (client-side work only; the ratio is the point) ==")
    print(
        f"one connection per container p50 {c['one_connection_per_container']['reserve_p50_ms']} ms; "
        f"a new client per transaction p50 {c['new_client_per_transaction']['reserve_p50_ms']} ms "
        f"(x{c['ratio_p50']})"
    )
    from bench.coldstart_bench import print_coldstart, run_coldstart_bench

    results["coldstart"] = run_coldstart_bench()
    print_coldstart(results["coldstart"])

    from bench.init_bench import print_init, run_init_bench

    results["init"] = run_init_bench()
    print_init(results["init"])

    from bench.fault_bench import print_fault, run_fault_bench

    results["faults"] = run_fault_bench()
    print_fault(results["faults"])

    from bench.admin_bench import print_admin, run_admin_bench

    results["admin"] = run_admin_bench()
    print_admin(results["admin"])
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS} in {results['seconds']} s")
    return 0
