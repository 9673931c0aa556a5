"""The ``outcomes`` Lambda: one EventBridge "Amazon Connect Contact Event" per invocation (asynchronous).

Thin by design (logic in ``routing.outcomes.service``). Raising makes Lambda retry the event (twice) and then send
it to the dead-letter queue; only store errors raise — a malformed event is logged and dropped.
"""

from __future__ import annotations

from typing import Any

from routing.common.observability import logger, metrics
from routing.common.text import clean_text
from routing.outcomes.service import OutcomeService

_service: OutcomeService | None = None


def build_service() -> OutcomeService:
    """The call-log table and the callback table (for releasing locks), once per cold start."""
    from routing.callback.store import DynamoCallbackStore
    from routing.common.settings import Settings, SettingsError
    from routing.outcomes.store import DynamoCallLogStore

    settings = Settings.from_env()
    if not settings.call_log_table_name:
        raise SettingsError("CALL_LOG_TABLE_NAME is required")
    region = settings.aws_region or None
    callbacks = (
        DynamoCallbackStore(settings.callback_table_name, region=region) if settings.callback_table_name else None
    )
    return OutcomeService(
        DynamoCallLogStore(settings.call_log_table_name, region=region),
        callbacks=callbacks,
        ttl_days=settings.call_log_ttl_days,
    )


def set_service(service: OutcomeService | None) -> None:
    """Inject a service (tests, the demo); None rebuilds defaults on the next call."""
    global _service  # noqa: PLW0603
    _service = service


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # noqa: ARG001
    """EventBridge invokes this asynchronously with one contact event."""
    global _service  # noqa: PLW0603
    if _service is None:
        _service = build_service()
    detail = event.get("detail") if isinstance(event, dict) else None
    contact_id = detail.get("contactId") if isinstance(detail, dict) else None
    logger.set_correlation_id(clean_text(contact_id, 128) if isinstance(contact_id, str) else None)
    return {"result": _service.handle(event).value}
