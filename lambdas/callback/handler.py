"""The ``callback`` Lambda: the flow calls it to reserve, confirm or release a caller's callback. Thin (logic in
``routing.callback.service``); idempotent by contact id without Powertools' in-progress lock, which would raise on
Connect's synchronous retries. Never raises: every failure answers ``callback_status=ERROR``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routing.callback.service import ERROR_REPLY, CallbackService
from routing.common.lifecycle import Lifecycle
from routing.common.observability import correlate, logger, metrics

# SnapStart hooks (docs/design/routing-core.md, "Init and SnapStart restore"): the service is built at init, so a
# restored environment needs new clients, a config check and fresh random state.
LIFECYCLE = Lifecycle("callback")


def build_service() -> CallbackService:
    """Settings, one ``StoreGate`` (the per-invocation store deadline, ``STORE_BUDGET_MS``) over the config cache and
    the callback table (call-path timeouts, no SDK retries, one botocore client), once per cold start. Reads the
    environment and builds the clients, sends no request."""
    from routing.callback.request import NumberHasher
    from routing.callback.store import DynamoCallbackStore
    from routing.common.deadline import StoreGate
    from routing.common.models import StoreTimeouts
    from routing.common.settings import Settings
    from routing.config.cache import ConfigCache

    settings = Settings.from_env()
    region = settings.aws_region or None
    gate = StoreGate(
        budget_seconds=settings.store_budget_seconds,
        retry_seconds=settings.config_retry_seconds,
        name="callback-store",
    )
    timeouts = StoreTimeouts.for_budget(settings.store_budget_seconds)
    warm_ups: list[Callable[[], None]] = []
    reconnects: list[Callable[[], None]] = []
    config_store = None
    if settings.config_table_name:
        from routing.config.store import DynamoConfigStore

        config_store = DynamoConfigStore(settings.config_table_name, region=region, timeouts=timeouts)
        warm_ups.append(config_store.warm_up)
        reconnects.append(config_store.reconnect)
    cache = ConfigCache(
        config_store,
        refresh_seconds=settings.config_refresh_seconds,
        retry_seconds=settings.config_retry_seconds,
        baked_path=settings.baked_config_path,
        gate=gate,
    )
    hasher = NumberHasher(settings.callback_number_key)
    if not hasher.ready:
        logger.error("CALLBACK_NUMBER_KEY is missing or shorter than 32 bytes: every reserve will answer ERROR")
    store = DynamoCallbackStore(
        settings.callback_table_name,
        region=region,
        shards=settings.callback_cap_shards,
        timeouts=timeouts,
        gate=gate,
    )
    LIFECYCLE.reseed(store.rng)
    if settings.callback_table_name:
        warm_ups.append(store.warm_up)
        reconnects.append(store.reconnect)
    # The botocore clients (0.2-0.5 s of loading the service model, no request) in the init phase, not inside the
    # first invocation's budget.
    for warm_up in warm_ups:
        try:
            warm_up()
        except Exception as exc:  # noqa: BLE001 — the first request builds it again, under the deadline
            logger.warning("could not build the DynamoDB client at init", extra={"error": repr(exc)})
    gate.warm_up()
    return CallbackService(
        cache,
        store,
        hasher=hasher,
        reservation_seconds=int(settings.callback_reservation_seconds),
        gate=gate,
        reconnect=reconnects,
    )


def _build_at_init() -> CallbackService | None:
    """The service at module load (Lambda's init phase); never raises: a bad setting leaves None, and every
    invocation then tries again inside its guard (and answers ERROR while it fails)."""
    try:
        return build_service()
    except Exception:  # noqa: BLE001 — a cold start must not crash: the invocation answers ERROR instead
        logger.exception("could not build the callback service at init")
        return None


_service: CallbackService | None = _build_at_init()


def _after_restore() -> None:
    if _service is not None:
        _service.after_restore()


LIFECYCLE.after_restore(_after_restore)
LIFECYCLE.register_with_runtime()


def simulate_restore() -> None:
    """What Lambda runs when it restores an environment from the snapshot (tests, bench)."""
    LIFECYCLE.run_after_restore()


def set_service(service: CallbackService | None) -> None:
    """Inject a service (tests, simulator); None rebuilds defaults on the next call."""
    global _service  # noqa: PLW0603
    _service = service


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # noqa: ARG001
    """Flat string map: callback_status, callback_number (E.164), callback_profile, queue_key."""
    global _service  # noqa: PLW0603
    try:
        correlate(event)
        if _service is None:
            _service = build_service()
        return _service.accept(event)
    except Exception:  # noqa: BLE001 — answer ERROR: the flow apologises and queues the caller
        logger.exception("could not answer the callback request")
        metrics.add_metric(name="CallbackError", unit="Count", value=1)
        return dict(ERROR_REPLY)
