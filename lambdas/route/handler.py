"""The ``route`` Lambda: Connect flow event → flat routing reply. Thin by design (logic in ``routing.service``)."""

from __future__ import annotations

from typing import Any

from routing.criteria import REQUEST as CRITERIA_REQUEST
from routing.criteria import criteria_reply
from routing.observability import MetricUnit, correlate, logger, metrics
from routing.service import RouteService

_service: RouteService | None = None


def build_service() -> RouteService:
    """Default dependencies, built once per cold start: settings, the DynamoDB store, the config cache."""
    from routing.config_cache import ConfigCache
    from routing.data.config_store import DynamoConfigStore
    from routing.engine import NO_METRICS
    from routing.rules import MetricsView
    from routing.settings import Settings

    settings = Settings.from_env()
    store = (
        DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None)
        if settings.config_table_name
        else None
    )
    cache = ConfigCache(
        store,
        refresh_seconds=settings.config_refresh_seconds,
        retry_seconds=settings.config_retry_seconds,
        baked_path=settings.baked_config_path,
    )
    metrics_view: MetricsView = NO_METRICS
    if settings.metrics_table_name:
        from routing.data.metrics_store import DynamoMetricsStore
        from routing.live_metrics import LiveMetrics

        metrics_view = LiveMetrics(
            DynamoMetricsStore(settings.metrics_table_name, region=settings.aws_region or None),
            cache_seconds=settings.metrics_cache_seconds,
            stale_seconds=settings.metrics_stale_seconds,
        )
    return RouteService(
        cache,
        default_queue_id=settings.default_queue_id,
        instance_arn=settings.connect_instance_arn,
        metrics_view=metrics_view,
    )


def set_service(service: RouteService | None) -> None:
    """Inject a service (tests, the simulator, the demo); None rebuilds defaults on the next call."""
    global _service  # noqa: PLW0603
    _service = service


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    """Connect invokes this synchronously; the reply is a flat string map.

    One exception: ``trunkline_request=routing_criteria`` (the flow's JSON-validated second call, only for contacts
    whose rule set routing criteria) answers ``{"Steps": [...]}`` from the text the first reply carried.
    """
    global _service  # noqa: PLW0603
    details = event.get("Details") if isinstance(event, dict) else None
    parameters = details.get("Parameters") if isinstance(details, dict) else None
    if isinstance(parameters, dict) and parameters.get("trunkline_request") == CRITERIA_REQUEST:
        reply = criteria_reply(parameters)
        # Dropped: the text did not convert, so the contact is routed by its queue alone (as without criteria).
        name = "RoutingCriteriaServed" if reply["Steps"] else "RoutingCriteriaDropped"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return reply
    if _service is None:
        try:
            _service = build_service()
        except Exception:  # noqa: BLE001 — a bad setting must not crash calls: serve the baked version / default queue
            logger.exception("could not build the route service from settings; using the baked config only")
            from routing.config_cache import ConfigCache
            from routing.settings import BAKED_CONFIG_DEFAULT

            _service = RouteService(ConfigCache(None, baked_path=BAKED_CONFIG_DEFAULT), default_queue_id="")
    correlate(event)
    return _service.route(event)
