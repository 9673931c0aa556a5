"""The ``route`` Lambda: Connect flow event → flat routing reply. Thin by design (logic in ``routing.service``).

The service is built at module load — Lambda's init phase — so the first call does not pay for reading settings,
importing PynamoDB or building the botocore client inside its store budget. Building reads the environment but
sends no request; it never raises (a bad setting serves the baked version).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routing.criteria import REQUEST as CRITERIA_REQUEST
from routing.criteria import criteria_reply
from routing.observability import MetricUnit, correlate, logger, metrics
from routing.service import RouteService


def build_service() -> RouteService:
    """Default dependencies, built once per cold start: settings, one ``StoreGate`` (the per-call deadline) over
    the DynamoDB stores (call-path timeouts, no retries), the config cache, the live-metrics view."""
    from routing.config_cache import ConfigCache
    from routing.deadline import StoreGate
    from routing.engine import NO_METRICS
    from routing.rules import MetricsView
    from routing.settings import Settings

    settings = Settings.from_env()
    gate = StoreGate(
        budget_seconds=settings.store_budget_seconds, retry_seconds=settings.config_retry_seconds, name="route-store"
    )
    warm_ups: list[Callable[[], None]] = []
    store = None
    if settings.config_table_name:
        from routing.data.config_store import DynamoConfigStore
        from routing.data.models import StoreTimeouts

        timeouts = StoreTimeouts.for_budget(settings.store_budget_seconds)
        store = DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None, timeouts=timeouts)
        warm_ups.append(store.warm_up)
    cache = ConfigCache(
        store,
        refresh_seconds=settings.config_refresh_seconds,
        retry_seconds=settings.config_retry_seconds,
        baked_path=settings.baked_config_path,
        gate=gate,
    )
    metrics_view: MetricsView = NO_METRICS
    if settings.metrics_table_name:
        from routing.data.metrics_store import DynamoMetricsStore
        from routing.data.models import StoreTimeouts
        from routing.live_metrics import LiveMetrics

        metrics_store = DynamoMetricsStore(
            settings.metrics_table_name,
            region=settings.aws_region or None,
            timeouts=StoreTimeouts.for_budget(settings.store_budget_seconds),
        )
        warm_ups.append(metrics_store.warm_up)
        metrics_view = LiveMetrics(
            metrics_store,
            cache_seconds=settings.metrics_cache_seconds,
            stale_seconds=settings.metrics_stale_seconds,
            gate=gate,
        )
    # Build the botocore clients now (0.2-0.5 s of loading the service model, no request): in the init phase,
    # not inside the first call's store budget.
    for warm_up in warm_ups:
        try:
            warm_up()
        except Exception as exc:  # noqa: BLE001 — the first read retries it, under the deadline
            logger.warning("could not build the DynamoDB client at init", extra={"error": repr(exc)})
    gate.warm_up()
    return RouteService(
        cache,
        default_queue_id=settings.default_queue_id,
        instance_arn=settings.connect_instance_arn,
        metrics_view=metrics_view,
        store_gate=gate,
    )


def _build_or_fallback() -> RouteService:
    try:
        return build_service()
    except Exception:  # noqa: BLE001 — a bad setting must not crash calls: serve the baked version / default queue
        logger.exception("could not build the route service from settings; using the baked config only")
        from routing.config_cache import ConfigCache
        from routing.settings import BAKED_CONFIG_DEFAULT

        return RouteService(ConfigCache(None, baked_path=BAKED_CONFIG_DEFAULT), default_queue_id="")


_service: RouteService | None = _build_or_fallback()


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
        _service = _build_or_fallback()
    correlate(event)
    return _service.route(event)
