"""The ``callback`` Lambda: the flow calls it to reserve, confirm or release a caller's callback. Thin (logic in
``routing.callback.service``); idempotent by contact id through the store's own ``CONTACT#`` item, not Powertools'
idempotency utility (docs/design/callback.md, "Alternatives rejected"). Never raises: every failure answers
``callback_status=ERROR``."""

from __future__ import annotations

from typing import Any

from routing.callback.service import ERROR_REPLY, CallbackService
from routing.common.handlers import CONNECT_CONTACT_ID, ServiceSlot, lambda_entry
from routing.common.lifecycle import Lifecycle
from routing.common.observability import logger, metrics

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
    from routing.common.handlers import Clients, config_cache
    from routing.common.models import StoreTimeouts
    from routing.common.settings import Settings

    settings = Settings.from_env()
    gate = StoreGate(
        budget_seconds=settings.store_budget_seconds,
        retry_seconds=settings.config_retry_seconds,
        name="callback-store",
    )
    timeouts = StoreTimeouts.for_budget(settings.store_budget_seconds)
    clients = Clients()
    cache = config_cache(settings, gate, clients)
    hasher = NumberHasher(settings.callback_number_key)
    if not hasher.ready:
        logger.error("CALLBACK_NUMBER_KEY is missing or shorter than 32 bytes: every reserve will answer ERROR")
    store = DynamoCallbackStore(
        settings.callback_table_name,
        region=settings.aws_region or None,
        shards=settings.callback_cap_shards,
        timeouts=timeouts,
        gate=gate,
    )
    LIFECYCLE.reseed(store.rng)
    if settings.callback_table_name:
        clients.add(store)
    clients.warm_up()
    gate.warm_up()
    return CallbackService(
        cache,
        store,
        hasher=hasher,
        reservation_seconds=int(settings.callback_reservation_seconds),
        gate=gate,
        reconnect=clients.reconnects,
    )


# Built at init (a failure leaves it empty: each invocation tries again inside its guard and answers ERROR).
SERVICE: ServiceSlot[CallbackService] = ServiceSlot("callback", build_service)
SERVICE.build_at_init()


def _after_restore() -> None:
    if SERVICE.service is not None:
        SERVICE.service.after_restore()


LIFECYCLE.after_restore(_after_restore)
LIFECYCLE.register_with_runtime()


def simulate_restore() -> None:
    """What Lambda runs when it restores an environment from the snapshot (tests, bench)."""
    LIFECYCLE.run_after_restore()


def set_service(service: CallbackService | None) -> None:
    """Inject a service (tests, simulator); None rebuilds defaults on the next call."""
    SERVICE.set(service)


@lambda_entry(CONNECT_CONTACT_ID)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # noqa: ARG001
    """Flat string map: callback_status, callback_number (E.164), callback_profile, queue_key."""
    try:
        return SERVICE.get().accept(event)
    except Exception:  # noqa: BLE001 — answer ERROR: the flow apologises and queues the caller
        logger.exception("could not answer the callback request")
        metrics.add_metric(name="CallbackError", unit="Count", value=1)
        return dict(ERROR_REPLY)
