"""The ``callback`` Lambda: the flow calls it when a caller accepts a callback. Thin (logic in
``routing.callback_service``); idempotent by contact id without Powertools' in-progress lock, which would raise on
Connect's synchronous retries."""

from __future__ import annotations

from typing import Any

from routing.callback_service import CallbackService
from routing.observability import correlate, logger, metrics

_service: CallbackService | None = None


def build_service() -> CallbackService:
    """Settings, config cache and the callback table, once per cold start."""
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
    return CallbackService(cache, DynamoCallbackStore(settings.callback_table_name, region=region))


def set_service(service: CallbackService | None) -> None:
    """Inject a service (tests, simulator); None rebuilds defaults on the next call."""
    global _service  # noqa: PLW0603
    _service = service


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # noqa: ARG001
    """Flat string map: callback_status, callback_number (E.164), callback_profile, queue_key."""
    global _service  # noqa: PLW0603
    correlate(event)
    if _service is None:
        try:
            _service = build_service()
        except Exception:  # noqa: BLE001 — answer ERROR: the flow apologises and queues the caller
            logger.exception("could not build the callback service from settings")
            return {
                "callback_status": "ERROR",
                "callback_number": "",
                "callback_profile": "",
                "queue_key": "",
                "queue_arn": "",
                "priority": "",
            }
    return _service.accept(event)
