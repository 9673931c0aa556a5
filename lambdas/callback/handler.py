"""The ``callback`` Lambda: the flow calls it to reserve, confirm or release a caller's callback. Thin (logic in
``routing.callback_service``); idempotent by contact id without Powertools' in-progress lock, which would raise on
Connect's synchronous retries. Never raises: every failure answers ``callback_status=ERROR``."""

from __future__ import annotations

from typing import Any

from routing.callback_service import ERROR_REPLY, CallbackService
from routing.observability import logger, metrics

_service: CallbackService | None = None


def build_service() -> CallbackService:
    """Settings, config cache and the callback table (one connection), once per cold start."""
    from routing.callback import NumberHasher
    from routing.config_cache import ConfigCache
    from routing.data.callback_store import DynamoCallbackStore
    from routing.data.config_store import DynamoConfigStore
    from routing.settings import Settings

    settings = Settings.from_env()
    region = settings.aws_region or None
    cache = ConfigCache(
        DynamoConfigStore(settings.config_table_name, region=region),
        refresh_seconds=settings.config_refresh_seconds,
        retry_seconds=settings.config_retry_seconds,
        baked_path=settings.baked_config_path,
    )
    hasher = NumberHasher(settings.callback_number_key)
    if not hasher.ready:
        logger.error("CALLBACK_NUMBER_KEY is missing or shorter than 32 bytes: every reserve will answer ERROR")
    store = DynamoCallbackStore(settings.callback_table_name, region=region, shards=settings.callback_cap_shards)
    return CallbackService(cache, store, hasher=hasher, reservation_seconds=int(settings.callback_reservation_seconds))


def set_service(service: CallbackService | None) -> None:
    """Inject a service (tests, simulator); None rebuilds defaults on the next call."""
    global _service  # noqa: PLW0603
    _service = service


def _correlate(event: object) -> None:
    """The Connect ContactId as the logs' correlation id, bounded and encodable whatever the event holds."""
    from routing.callback import clean_text

    details = event.get("Details") if isinstance(event, dict) else None
    data = details.get("ContactData") if isinstance(details, dict) else None
    contact_id = clean_text(data.get("ContactId") if isinstance(data, dict) else None)
    logger.set_correlation_id(contact_id or None)


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # noqa: ARG001
    """Flat string map: callback_status, callback_number (E.164), callback_profile, queue_key."""
    global _service  # noqa: PLW0603
    try:
        _correlate(event)
        if _service is None:
            _service = build_service()
        return _service.accept(event)
    except Exception:  # noqa: BLE001 — answer ERROR: the flow apologises and queues the caller
        logger.exception("could not answer the callback request")
        metrics.add_metric(name="CallbackError", unit="Count", value=1)
        return dict(ERROR_REPLY)
