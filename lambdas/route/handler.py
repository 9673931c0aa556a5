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
from collections.abc import Mapping
from typing import Any

from routing.common.handlers import CONNECT_CONTACT_ID, ServiceSlot, lambda_entry
from routing.common.lifecycle import Lifecycle
from routing.common.observability import MetricUnit, logger, metrics
from routing.route.criteria import REQUEST as CRITERIA_REQUEST
from routing.route.criteria import criteria_reply
from routing.route.service import RouteService

LIFECYCLE = Lifecycle("route")


def build_service(env: Mapping[str, str] | None = None) -> RouteService:
    """Default dependencies, built once per cold start: settings, one ``StoreGate`` (the per-call deadline) over
    the DynamoDB stores (call-path timeouts, no retries), the config cache, the live-metrics view."""
    from routing.common.deadline import StoreGate
    from routing.common.handlers import Clients, config_cache
    from routing.common.settings import Settings
    from routing.route.engine import NO_METRICS
    from routing.route.rules import MetricsView

    settings = Settings.from_env(env)
    gate = StoreGate(
        budget_seconds=settings.store_budget_seconds, retry_seconds=settings.config_retry_seconds, name="route-store"
    )
    clients = Clients()
    cache = config_cache(settings, gate, clients)
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
        clients.add(metrics_store)
        metrics_view = LiveMetrics(
            metrics_store,
            cache_seconds=settings.metrics_cache_seconds,
            stale_seconds=settings.metrics_stale_seconds,
            gate=gate,
        )
    clients.warm_up()
    gate.warm_up()
    return RouteService(
        cache,
        default_queue_id=settings.default_queue_id,
        instance_arn=settings.connect_instance_arn,
        metrics_view=metrics_view,
        store_gate=gate,
        lifecycle=LIFECYCLE,
        reconnect=clients.reconnects,
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


# Never empty after ``initialize``; ``get`` rebuilds (never raising: the baked fallback) after ``set_service(None)``.
SERVICE: ServiceSlot[RouteService] = ServiceSlot("route", _build_or_fallback)


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
    started = time.perf_counter()
    service = _build_or_fallback(env)
    try:
        service.prime(_init_budget(env))
    except Exception:  # noqa: BLE001 — the first call loads the config under its own deadline instead
        logger.exception("could not load the config at init")
    LIFECYCLE.register_with_runtime()
    SERVICE.set(service)
    logger.info(
        "route initialized",
        extra={"config_source": service.config_source, "init_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return service


def _after_restore() -> None:
    if SERVICE.service is not None:
        SERVICE.service.after_restore()


LIFECYCLE.after_restore(_after_restore)


def simulate_snapshot() -> None:
    """What Lambda runs just before it takes the snapshot (tests, bench)."""
    LIFECYCLE.run_before_snapshot()


def simulate_restore() -> None:
    """What Lambda runs when it restores an environment from the snapshot (tests, bench)."""
    LIFECYCLE.run_after_restore()


initialize()


def set_service(service: RouteService | None) -> None:
    """Inject a service (tests, the simulator, the demo); None rebuilds defaults on the next call."""
    SERVICE.set(service)


@lambda_entry(CONNECT_CONTACT_ID)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    """Connect invokes this synchronously; the reply is a flat string map.

    One exception: ``trunkline_request=routing_criteria`` (the flow's JSON-validated second call, only for contacts
    whose rule set routing criteria) answers ``{"Steps": [...]}`` from the text the first reply carried.
    """
    details = event.get("Details") if isinstance(event, dict) else None
    parameters = details.get("Parameters") if isinstance(details, dict) else None
    if isinstance(parameters, dict) and parameters.get("trunkline_request") == CRITERIA_REQUEST:
        reply = criteria_reply(parameters)
        # Dropped: the text did not convert, so the contact is routed by its queue alone (as without criteria).
        name = "RoutingCriteriaServed" if reply["Steps"] else "RoutingCriteriaDropped"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return reply
    return SERVICE.get().route(event)
