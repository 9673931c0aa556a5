"""The ``outcomes`` Lambda: one EventBridge "Amazon Connect Contact Event" per invocation (asynchronous).

Thin by design (logic in ``routing.outcomes.service``). Raising makes Lambda retry the event (twice) and then send
it to the dead-letter queue; only store errors raise — a malformed event is logged and dropped.
"""

from __future__ import annotations

from typing import Any

from routing.common.handlers import CONTACT_EVENT_CONTACT_ID, ServiceSlot, lambda_entry
from routing.outcomes.service import OutcomeService


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


# Built on the first event (a settings error raises: the event is retried, then dead-lettered).
SERVICE: ServiceSlot[OutcomeService] = ServiceSlot("outcomes", build_service)


def set_service(service: OutcomeService | None) -> None:
    """Inject a service (tests, the demo); None rebuilds defaults on the next call."""
    SERVICE.set(service)


@lambda_entry(CONTACT_EVENT_CONTACT_ID)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # noqa: ARG001
    """EventBridge invokes this asynchronously with one contact event."""
    return {"result": SERVICE.get().handle(event).value}
