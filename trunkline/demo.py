"""``make demo``: publish the sample config to an in-process store and send synthetic contacts through the real
contact flows (flow simulator) and the real route handler, end to end.

Everything is real but the cloud: DynamoDB is moto, the flows are `contact_flows/*.json` walked by
``trunkline.simulator``, the Lambda is ``route.handler.lambda_handler``, and the clock is simulated so that contacts
arrive across open hours, closed hours and a holiday. A few contacts carry injected faults (a transient Lambda
error that Connect's retry absorbs, a persistent one that takes the flow's error branch, a queue at capacity).

Then Connect's contact events for every contact (what happened in the queue comes from a seeded
``QueueOutcomeModel``), shuffled and partly redelivered as EventBridge may, go through the real ``outcomes`` handler
into the call-log table (moto); then the contacts' records (``trunkline.simulator.records``), some updated and
redelivered, go through the real ``contact-records`` handler (a Kinesis batch) into the same table, where they are
the authority. The demo ends with the outcome summary from that call log (``trunkline.report``) and the hourly
reconciliation (``routing.outcomes.reconcile``) against Connect's totals simulated from the records.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.callback.memory_store import InMemoryCallbackStore
    from routing.callback.service import CallbackService
    from routing.config.store import ConfigStore
    from routing.route.service import RouteService
    from trunkline.simulator import FlowSimulator

ROOT = Path(__file__).resolve().parents[1]
ROUTE_ARN = "arn:aws:lambda:us-east-1:111122223333:function:trunkline-route:live"
DEMO_NUMBER_KEY = "trunkline-demo-only-callback-number-key"  # the demo's own key; a deployment sets its secret
CALLBACK_ARN = "arn:aws:lambda:us-east-1:111122223333:function:trunkline-callback:live"
# Contacts arrive over Tuesday 2026-11-24 .. Friday 2026-11-27 (Thanksgiving on Thursday), mostly on Tuesday.
WEEK_START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoRow:
    """One simulated contact and what happened to it."""

    label: str
    at: datetime
    result: Any  # trunkline.simulator.SimulationResult
    fault: str

    @property
    def attrs(self) -> dict[str, str]:
        """The contact attributes at the end of the flow."""
        return dict(self.result.attributes)


def _arrival(rng: random.Random) -> datetime:
    day = rng.choices([0, 1, 2, 3], weights=[6, 2, 1, 1])[0]
    hour = rng.choices(range(24), weights=[1] * 13 + [8] * 11)[0]  # 13:00-23:59 UTC is 8 AM-7 PM Eastern
    return WEEK_START + timedelta(days=day, hours=hour, minutes=rng.randint(0, 59))


@dataclass(frozen=True)
class OutcomeRun:
    """What the outcomes handler made of the demo's contact events."""

    events: int
    results: dict[str, int]
    logs: list[Any]  # routing.outcomes.call_log.CallLog, one per contact seen
    callbacks_released: int
    records: int = 0  # contact records delivered (with redeliveries)
    record_results: dict[str, int] | None = None
    reconciliation: list[Any] | None = None  # routing.outcomes.reconcile.Reconciliation, one per hour


def simulate(contacts: int, seed: int) -> tuple[list[DemoRow], str]:
    rows, banner, _ = simulate_with_outcomes(contacts, seed)
    return rows, banner


def simulate_with_outcomes(contacts: int, seed: int) -> tuple[list[DemoRow], str, OutcomeRun]:
    """Publish config/ to an in-process store (moto, no state file); run ``contacts`` synthetic contacts."""
    from trunkline.cli.app import import_quietly

    callback_handler = import_quietly("callback.handler")
    handler = import_quietly("route.handler")
    from routing.callback.memory_store import InMemoryCallbackStore
    from routing.config.publishing import publish_document
    from routing.config.store import DynamoConfigStore
    from trunkline.contacts import sample_contacts
    from trunkline.embedded import embedded_dynamodb

    document = _sample_document()
    rng = random.Random(seed)
    rows: list[DemoRow] = []
    callbacks = InMemoryCallbackStore()
    with embedded_dynamodb(None) as table:
        store = DynamoConfigStore(table, region="us-east-1")
        published = publish_document(store, document, actor="demo", summary="sample config")
        now = [WEEK_START]
        route_service, callback_service = _services(store, document, callbacks, lambda: now[0])
        handler.set_service(route_service)
        callback_handler.set_service(callback_service)
        sim = _simulator(document, handler.lambda_handler, callback_handler.lambda_handler)
        try:
            for i, synthetic in enumerate(sample_contacts(contacts, seed=seed)):
                now[0] = _arrival(rng)
                contact, fault = _demo_contact(rng, synthetic.event(contact_id=f"demo-{i:04d}"))
                rows.append(DemoRow(synthetic.label, now[0], sim.run(synthetic.flow, contact), fault))
        finally:
            handler.set_service(None)
            callback_handler.set_service(None)
        outcomes = _outcomes(rows, seed, callbacks)
    banner = f"published {published.version_id} ({published.content_hash[:12]}) to an in-process store (moto)"
    return rows, banner, outcomes


def _sample_document() -> dict[str, Any]:
    """config/ as one validated document (the demo stops with the issues if it does not validate)."""
    from routing.config.loader import load_directory

    loaded = load_directory(ROOT / "config")
    if loaded.document is None:
        raise SystemExit("\n".join(str(i) for i in loaded.issues))
    return loaded.document


def _services(
    store: ConfigStore, document: dict[str, Any], callbacks: InMemoryCallbackStore, clock: Callable[[], datetime]
) -> tuple[RouteService, CallbackService]:
    """The route service (live metrics as the poller would leave them, the demo's clock) and the callback service
    (in-memory callback store, the demo's number key) over the published ``store``."""
    from routing.callback.request import NumberHasher
    from routing.callback.service import CallbackService
    from routing.config.cache import ConfigCache
    from routing.route.service import RouteService

    route = RouteService(
        ConfigCache(store, refresh_seconds=30),
        default_queue_id=_default_queue_id(document),
        metrics_view=_live_metrics_view(document),
        clock=clock,
    )
    callback = CallbackService(
        ConfigCache(store, refresh_seconds=30), callbacks, hasher=NumberHasher(DEMO_NUMBER_KEY), clock=lambda: 2e9
    )
    return route, callback


def _default_queue_id(document: dict[str, Any]) -> str:
    queue_id: str = document["queues"][document["defaults"]["default_queue"]]["queue_id"]
    return queue_id


def _simulator(document: dict[str, Any], route: Callable[..., Any], callback: Callable[..., Any]) -> FlowSimulator:
    """The flow simulator over contact_flows/ with the two functions registered under their deployed ARNs."""
    from routing.route.reply import queue_arn
    from trunkline.contacts import INSTANCE_ARN
    from trunkline.simulator import FlowSimulator

    tokens = {
        "RouteFunctionArn": ROUTE_ARN,
        "CallbackFunctionArn": CALLBACK_ARN,
        "DefaultQueueArn": queue_arn(INSTANCE_ARN, _default_queue_id(document)),
    }
    sim = FlowSimulator.from_directory(ROOT / "contact_flows", tokens)
    sim.register_lambda(ROUTE_ARN, route)
    sim.register_lambda(CALLBACK_ARN, callback)
    return sim


def _live_metrics_view(document: dict[str, Any]) -> Any:
    """Live metrics as the poller would leave them: the cards general and balance queues have long waits, so their
    callers are offered a queued callback (config/callback.yaml: above 300 s)."""
    from routing.live_metrics.reader import LiveMetrics
    from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot

    live = InMemoryMetricsStore()
    for key, wait in (("cards_general", 420.0), ("cards_balance", 700.0), ("cards_lost_stolen", 30.0)):
        qid = document["queues"][key]["queue_id"]
        live.items[qid] = QueueSnapshot(qid, 0.0, {"VOICE": {"estimated_wait_time": wait, "agents_staffed": 12.0}})
    return LiveMetrics(live, wall_clock=lambda: 10.0, monotonic=lambda: 10.0)


def _demo_contact(rng: random.Random, event: dict[str, Any]) -> tuple[Any, str]:
    """One synthetic contact event as a simulator contact: a few carry a fault, and the callers' keyed answers to a
    callback offer are scripted. Returns ``(contact, fault label)``."""
    from dataclasses import replace

    from trunkline.simulator import Contact, FaultKind, Faults, LambdaFault, ScriptedInput

    roll = rng.random()
    faults, fault = Faults(), ""
    if roll < 0.03:
        faults, fault = Faults(lambda_faults={"*": LambdaFault(FaultKind.ERROR, attempts=1)}), "transient"
    elif roll < 0.04:
        faults, fault = Faults(lambda_faults={"*": LambdaFault(FaultKind.ERROR)}), "lambda_down"
    elif roll < 0.06:
        faults, fault = Faults(queues_at_capacity=frozenset({"*"})), "queue_full"
    contact = Contact.from_event(event)
    # Offered a callback, about half the callers accept on their caller id; some key another number.
    choice = rng.random()
    keys = ("1",) if choice < 0.45 else (("2", "3125550100#") if choice < 0.55 else ())
    contact = replace(contact, inputs=tuple(ScriptedInput.dtmf(k) for k in keys))
    return _with_faults(contact, faults, fault), fault


def _outcomes(rows: list[DemoRow], seed: int, callbacks: Any) -> OutcomeRun:
    """Contact events of every row → the real outcomes handler → the call-log table (moto, already active)."""
    from trunkline.cli.app import import_quietly

    outcomes_handler = import_quietly("outcomes.handler")
    from routing.common.models import CallLogItem
    from routing.outcomes.call_log import summarize_all
    from routing.outcomes.service import OutcomeService
    from routing.outcomes.store import DynamoCallLogStore
    from trunkline.simulator.events import QueueOutcomeModel, contact_events, shuffle_and_duplicate

    store = DynamoCallLogStore("trunkline-call-log-demo", region="us-east-1")
    CallLogItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
    released: list[str] = []

    class CountingReleaser:
        def release(self, contact_id: str) -> None:
            released.append(contact_id)
            callbacks.release(contact_id)

    rng = random.Random(seed + 1)
    model = QueueOutcomeModel(seed=seed)
    events = [e for row in rows for e in contact_events(row.result, model=model, rng=rng, start=row.at)]
    delivered = shuffle_and_duplicate(events, rng, duplicate_ratio=0.2)
    outcomes_handler.set_service(OutcomeService(store, callbacks=CountingReleaser(), clock=lambda: 2e9))
    try:
        results = Counter(outcomes_handler.lambda_handler(e, None)["result"] for e in delivered)
    finally:
        outcomes_handler.set_service(None)
    delivered_records, record_results, reconciliation = _records(rows, events, store, seed)
    logs = summarize_all({r.contact_id: r.slots for r in store.scan()})
    return OutcomeRun(
        len(delivered), dict(results), logs, len(released), delivered_records, record_results, reconciliation
    )


def _records(rows: list[DemoRow], events: list[Any], store: Any, seed: int) -> tuple[int, dict[str, int], list[Any]]:
    """Contact records → the real contact-records handler (Kinesis batches of 100) → the same call log; then one
    reconciliation per hour against Connect's totals simulated from the records."""
    import base64
    import json

    import contact_records.handler as records_handler

    from routing.outcomes.reconcile import Tolerance, reconcile_hour
    from routing.outcomes.service import OutcomeService
    from trunkline.simulator.records import connect_totals, contact_records, redeliver

    results = {row.result.contact.contact_id: row.result for row in rows}
    records = redeliver(contact_records(events, results, seed=seed), random.Random(seed + 2))
    counts: Counter[str] = Counter()
    records_handler.set_service(OutcomeService(store, clock=lambda: 2e9))
    try:
        for first in range(0, len(records), 100):
            batch = {
                "Records": [
                    {"kinesis": {"data": base64.b64encode(json.dumps(r).encode()).decode(), "sequenceNumber": str(i)}}
                    for i, r in enumerate(records[first : first + 100], start=first)
                ]
            }
            failures = records_handler.lambda_handler(batch, None)["batchItemFailures"]
            counts["failed"] += len(failures)
            counts["delivered"] += len(batch["Records"]) - len(failures)
    finally:
        records_handler.set_service(None)
    totals = connect_totals(records)
    client = _SimulatedConnectMetrics(totals)
    hours = sorted({hour for _queue, hour in totals})
    queue_ids = sorted({queue for queue, _hour in totals})
    reconciliation = [
        reconcile_hour(
            store,
            client,
            instance_arn="arn:aws:connect:us-east-1:111122223333:instance/demo",
            configured_queue_ids=queue_ids,
            hour_start=datetime.fromisoformat(f"{hour}:00:00+00:00"),
            tolerance=Tolerance(),
        )
        for hour in hours
    ]
    return len(records), dict(counts), reconciliation


class _SimulatedConnectMetrics:
    """``GetMetricDataV2`` answered from the simulated records' totals (Connect's side of the demo)."""

    def __init__(self, totals: dict[tuple[str, str], tuple[int, int]]) -> None:
        self.totals = totals

    def get_metric_data_v2(self, **request: Any) -> dict[str, Any]:
        hour = request["StartTime"].strftime("%Y-%m-%dT%H")
        results = []
        for queue in request["Filters"][0]["FilterValues"]:
            abandoned, handled = self.totals.get((queue, hour), (0, 0))
            results.append(
                {
                    "Dimensions": {"QUEUE": queue},
                    "Collections": [
                        {"Metric": {"Name": "CONTACTS_ABANDONED"}, "Value": float(abandoned)},
                        {"Metric": {"Name": "CONTACTS_HANDLED"}, "Value": float(handled)},
                    ],
                }
            )
        return {"MetricResults": results}


def _with_faults(contact: Any, faults: Any, fault: str) -> Any:
    from dataclasses import replace

    if fault == "queue_full":
        # Every target queue is full for this contact: the flow's QueueAtCapacity branches run.
        from trunkline.simulator import Faults

        faults = Faults(queues_at_capacity=frozenset(_ALL_QUEUE_ARNS))
    return replace(contact, faults=faults)


def _all_queue_arns() -> list[str]:
    from routing.config.loader import load_directory
    from routing.route.reply import queue_arn
    from trunkline.contacts import INSTANCE_ARN

    doc = load_directory(ROOT / "config").document or {"queues": {}}
    return [queue_arn(INSTANCE_ARN, q["queue_id"]) for q in doc["queues"].values()]


_ALL_QUEUE_ARNS: list[str] = []


def run_demo(*, contacts: int = 300, trace: str | None = None, seed: int = 11) -> int:
    """Print a per-contact table (first 30), a summary, and optionally one contact's block-by-block path."""
    from trunkline.cli import quiet_lambda_output
    from trunkline.demo_report import print_outcome_summary, print_summary

    quiet_lambda_output()
    _ALL_QUEUE_ARNS[:] = _all_queue_arns()
    rows, banner, outcomes = simulate_with_outcomes(contacts, seed)
    print(banner)
    print(
        f"\n{'contact':<16} {'arrival (UTC)':<13} {'entry':<22} {'classification':<20} {'queue':<24} "
        f"{'rule':<28} {'status':<13} ending"
    )
    for row in rows[:30]:
        a = row.attrs
        ending = row.result.end_reason.value.lower()
        note = f" [{row.fault}]" if row.fault else ""
        print(
            f"{row.label:<16} {row.at:%a %H:%M}     {a.get('entry_point') or '-':<22} "
            f"{a.get('classification') or '-':<20} {a.get('queue_key') or '-':<24} {a.get('rule_id') or '-':<28} "
            f"{a.get('route_status', '-'):<13} {ending}{note}"
        )
    if len(rows) > 30:
        print(f"… {len(rows) - 30} more (make demo DEMO_ARGS='--trace <label>' to follow one)")
    print_summary(rows)
    print_outcome_summary(outcomes)
    if trace:
        chosen = next((r for r in rows if r.label == trace), None) if trace != "first" else rows[0]
        if chosen is None:
            print(f"\nno contact labelled {trace!r}")
            return 1
        print(f"\n== trace of {chosen.label} ({chosen.at:%a %H:%M} UTC) ==")
        print(chosen.result.describe())
    return 0
