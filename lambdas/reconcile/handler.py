"""The ``reconcile`` Lambda: once an hour, our abandoned/handled counts per queue against ``GetMetricDataV2``.

Thin by design (logic in ``routing.outcomes.reconcile``). The metrics carry the reconciled hour's timestamp, so the
dashboard lines sit on the hour they describe. A Connect or DynamoDB error raises: the run fails (the function's
errors alarm), the next hour runs anyway.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routing.common.observability import NAMESPACE, logger, metrics
from routing.outcomes.reconcile import MetricDataClient, Reconciliation, Tolerance, hour_to_reconcile, reconcile_hour
from routing.outcomes.store import CallLogStore

_deps: tuple[CallLogStore, MetricDataClient] | None = None


def configured_queue_ids(path: Path) -> list[str]:
    """The queue ids of the config baked into the package (every queue we route to, even a quiet one)."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("no baked config: reconciling the queues the call log saw only", extra={"path": str(path)})
        return []
    document = payload.get("document", payload) if isinstance(payload, dict) else {}
    queues = document.get("queues", {}) if isinstance(document, dict) else {}
    return sorted({str(q["queue_id"]) for q in queues.values() if isinstance(q, dict) and q.get("queue_id")})


def build_dependencies() -> tuple[CallLogStore, MetricDataClient]:
    """The call-log store and a Connect client with bounded timeouts and standard retries, once per cold start."""
    import boto3
    from botocore.config import Config

    from routing.common.settings import Settings
    from routing.outcomes.store import DynamoCallLogStore

    settings = Settings.from_env()
    region = settings.aws_region or None
    client: Any = boto3.client(
        "connect",
        region_name=region,
        config=Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "max_attempts": 5}),
    )
    return DynamoCallLogStore(settings.call_log_table_name, region=region), client


def set_dependencies(deps: tuple[CallLogStore, MetricDataClient] | None) -> None:
    """Inject the store and client (tests, the demo); None rebuilds defaults on the next call."""
    global _deps  # noqa: PLW0603
    _deps = deps


def publish(result: Reconciliation) -> None:
    """EMF at the reconciled hour, one ``reconciliation`` line, one ``queue drift`` line per drifting queue."""
    from aws_lambda_powertools.metrics import EphemeralMetrics

    emf = EphemeralMetrics(namespace=NAMESPACE)
    emf.set_timestamp(result.hour_start)
    for name, unit, value in result.metrics():
        emf.add_metric(name=name, unit=unit, value=value)
    emf.flush_metrics()
    hour = result.hour_start.isoformat()
    logger.info("reconciliation", extra={"hour": hour, **{name: value for name, _, value in result.metrics()}})
    for queue in result.drifting:
        logger.warning("queue drift", extra={"hour": hour, **queue.as_log()})


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    """EventBridge Scheduler/rule invokes this hourly; ``{"hour": "2026-12-04T13:00:00Z"}`` reconciles that hour."""
    global _deps  # noqa: PLW0603
    from routing.common.settings import Settings

    settings = Settings.from_env()
    if _deps is None:
        _deps = build_dependencies()
    store, client = _deps
    requested = event.get("hour") if isinstance(event, dict) else None
    if isinstance(requested, str) and requested:
        hour_start = datetime.fromisoformat(requested.replace("Z", "+00:00")).astimezone(UTC)
    else:
        hour_start = hour_to_reconcile(datetime.now(UTC), settings.reconcile_lag_hours)
    result = reconcile_hour(
        store,
        client,
        instance_arn=settings.connect_instance_arn,
        configured_queue_ids=configured_queue_ids(settings.baked_config_path),
        hour_start=hour_start,
        tolerance=Tolerance(settings.reconcile_tolerance_contacts, settings.reconcile_tolerance_percent),
    )
    publish(result)
    return {"hour": hour_start.isoformat(), "queues": len(result.queues), "drifting": len(result.drifting)}
