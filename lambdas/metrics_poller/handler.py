"""Scheduled every minute: sample live queue metrics several times and write snapshots."""

from __future__ import annotations

from typing import Any

from routing.common.handlers import EVENT_BRIDGE_ID, ServiceSlot, lambda_entry
from routing.common.observability import logger

_queues: Any = None


def _queue_ids(settings: Any) -> list[str]:
    """Queue ids of the ACTIVE config version (the poller follows config, not a hand-kept list); the list last
    read — else the baked version's — when the config table cannot be read (``ActiveQueues``)."""
    global _queues  # noqa: PLW0603
    if _queues is None:
        from routing.config.store import DynamoConfigStore
        from routing.live_metrics.poller import ActiveQueues

        store = (
            DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None)
            if settings.config_table_name
            else None
        )
        _queues = ActiveQueues(store, baked_path=settings.baked_config_path)
    ids: list[str] = _queues.queue_ids()
    return ids


def connect_client() -> Any:
    """The Connect client: short timeouts and exactly one attempt per request. The poller's own backoff is the
    only retry policy, so every request spends a token of its bucket and is counted. (botocore's ``max_attempts``
    counts *retries*: ``{"max_attempts": 1}`` still retried once, outside the bucket; ``total_max_attempts``
    counts the first attempt too.)"""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "connect",
        config=Config(connect_timeout=1, read_timeout=3, retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def build_poller() -> Any:
    """Connect client (``connect_client``) and the metrics store."""
    from routing.common.settings import Settings
    from routing.live_metrics.poller import MetricsPoller
    from routing.live_metrics.store import DynamoMetricsStore

    settings = Settings.from_env()
    client = connect_client()
    instance_id = settings.connect_instance_arn.rsplit("/", 1)[-1]
    store = DynamoMetricsStore(settings.metrics_table_name, region=settings.aws_region or None)
    poller = MetricsPoller(
        client, store, instance_id=instance_id, requests_per_second=settings.metrics_requests_per_second
    )
    return settings, poller


# (settings, poller), built on the first schedule.
SERVICE: ServiceSlot[Any] = ServiceSlot("metrics poller", build_poller)


@lambda_entry(EVENT_BRIDGE_ID)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 — the schedule
    """EventBridge schedule → a few sampling cycles within the invocation (a local call: one minute)."""
    settings, poller = SERVICE.get()
    queue_ids = _queue_ids(settings)
    results = poller.run(
        queue_ids,
        samples=settings.metrics_samples_per_invocation,
        interval_seconds=settings.metrics_sample_interval_seconds,
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    summary = {
        "queues": len(queue_ids),
        "cycles": len(results),
        "snapshots": sum(len(r.snapshots) for r in results),
        "requests": sum(r.requests for r in results),
        "throttled": sum(r.throttled for r in results),
        "failed_pages": sum(r.failed_pages for r in results),
    }
    logger.info("metrics poll", extra=summary)
    return summary
