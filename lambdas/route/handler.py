"""The ``route`` Lambda: Connect flow event → flat routing reply. Thin by design (logic in ``routing.route.service``).

Module load is Lambda's init phase (and what SnapStart snapshots): ``initialize()`` builds the service (settings,
PynamoDB, the botocore clients), compiles the baked version with every ruleset and, when the store answers within
the init budget (``INIT_STORE_BUDGET_MS``, 2 s), the active version too — so a restored, provisioned or plain cold
environment decides its first call from memory. It never raises (a bad setting or an unreachable store serves the
baked version). The restore hooks (``routing.common.lifecycle``) build new clients and make the config due for a
check on the next call, inside that call's deadline. ``initialize(env)`` and ``simulate_restore()`` run the same path
locally (tests, ``bench/init_bench.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from routing.common.lifecycle import Lifecycle
from routing.common.observability import MetricUnit, correlate, logger, metrics
from routing.route.criteria import REQUEST as CRITERIA_REQUEST
from routing.route.criteria import criteria_reply
from routing.route.service import RouteService

LIFECYCLE = Lifecycle("route")


def build_service(env: Mapping[str, str] | None = None) -> RouteService:
    """Default dependencies, built once per cold start: settings, one ``StoreGate`` (the per-call deadline) over
    the DynamoDB stores (call-path timeouts, no retries), the config cache, the live-metrics view."""
    from routing.common.deadline import StoreGate
    from routing.common.settings import Settings
    from routing.config.cache import ConfigCache
    from routing.route.engine import NO_METRICS
    from routing.route.rules import MetricsView

    settings = Settings.from_env(env)
    gate = StoreGate(
        budget_seconds=settings.store_budget_seconds, retry_seconds=settings.config_retry_seconds, name="route-store"
    )
    warm_ups: list[Callable[[], None]] = []
    reconnects: list[Callable[[], None]] = []
    store = None
    if settings.config_table_name:
        from routing.common.models import StoreTimeouts
        from routing.config.store import DynamoConfigStore

        timeouts = StoreTimeouts.for_budget(settings.store_budget_seconds)
        store = DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None, timeouts=timeouts)
        warm_ups.append(store.warm_up)
        reconnects.append(store.reconnect)
    cache = ConfigCache(
        store,
        refresh_seconds=settings.config_refresh_seconds,
        retry_seconds=settings.config_retry_seconds,
        baked_path=settings.baked_config_path,
        gate=gate,
    )
    metrics_view: MetricsView = NO_METRICS
    if settings.metrics_table_name:
        from routing.common.models import StoreTimeouts
        from routing.live_metrics.reader import LiveMetrics
        from routing.live_metrics.store import DynamoMetricsStore

        metrics_store = DynamoMetricsStore(
            settings.metrics_table_name,
            region=settings.aws_region or None,
            timeouts=StoreTimeouts.for_budget(settings.store_budget_seconds),
        )
        warm_ups.append(metrics_store.warm_up)
        reconnects.append(metrics_store.reconnect)
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
        lifecycle=LIFECYCLE,
        reconnect=reconnects,
    )


def _build_or_fallback(env: Mapping[str, str] | None = None) -> RouteService:
    try:
        return build_service(env)
    except Exception:  # noqa: BLE001 — a bad setting must not crash calls: serve the baked version / default queue
        logger.exception("could not build the route service from settings; using the baked config only")
        from routing.common.settings import BAKED_CONFIG_DEFAULT
        from routing.config.cache import ConfigCache

        return RouteService(
            ConfigCache(None, baked_path=BAKED_CONFIG_DEFAULT), default_queue_id="", lifecycle=LIFECYCLE
        )


def _init_budget(env: Mapping[str, str] | None) -> float:
    from routing.common.settings import DEFAULT_INIT_STORE_BUDGET_MS, Settings, SettingsError

    try:
        return Settings.from_env(env).init_budget_seconds
    except SettingsError:
        return DEFAULT_INIT_STORE_BUDGET_MS / 1000


def initialize(env: Mapping[str, str] | None = None) -> RouteService:
    """What Lambda's init runs (once per environment; once per published version with SnapStart): build the
    service, compile the baked and, within the init budget, the active version; register the runtime hooks.
    Installs and returns the service. Never raises. Creates nothing unique (no correlation id, uuid or seed)."""
    global _service  # noqa: PLW0603
    started = time.perf_counter()
    service = _build_or_fallback(env)
    try:
        service.prime(_init_budget(env))
    except Exception:  # noqa: BLE001 — the first call loads the config under its own deadline instead
        logger.exception("could not load the config at init")
    LIFECYCLE.register_with_runtime()
    _service = service
    logger.info(
        "route initialized",
        extra={"config_source": service.config_source, "init_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return service


def _after_restore() -> None:
    if _service is not None:
        _service.after_restore()


LIFECYCLE.after_restore(_after_restore)


def simulate_snapshot() -> None:
    """What Lambda runs just before it takes the snapshot (tests, bench)."""
    LIFECYCLE.run_before_snapshot()


def simulate_restore() -> None:
    """What Lambda runs when it restores an environment from the snapshot (tests, bench)."""
    LIFECYCLE.run_after_restore()


_service: RouteService | None = initialize()


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
