"""``CallbackService``: the ``callback`` Lambda's logic — event in, flat reply out, never raises."""

from __future__ import annotations

import time
from collections.abc import Callable

from routing.callback import CallbackRequest, CallbackStatus, CallbackStore, check_number
from routing.config_cache import ConfigCache
from routing.contact import ContactRequest
from routing.observability import MetricUnit, logger, mask_phone, metrics

REJECTED = {
    CallbackStatus.INVALID_NUMBER,
    CallbackStatus.ANONYMOUS,
    CallbackStatus.NOT_ALLOWED_COUNTRY,
    CallbackStatus.BLOCKED_PREFIX,
    CallbackStatus.QUEUE_FULL,
    CallbackStatus.NOT_OFFERED,
}


class CallbackService:
    """Accepts a caller's callback request for a queue."""

    def __init__(self, cache: ConfigCache, store: CallbackStore, *, clock: Callable[[], float] = time.time) -> None:
        self._cache, self._store, self._clock = cache, store, clock

    def accept(self, event: object) -> dict[str, str]:
        """Normalize, vet, de-duplicate, record; reply ``callback_status`` and the E.164 number."""
        contact = ContactRequest()
        number, queue_key, profile = "", "", ""
        try:
            contact = ContactRequest.from_event(event)
            queue_key = contact.parameters.get("queue_key") or contact.attributes.get("queue_key", "")
            status, number, profile = self._accept(contact, queue_key)
        except Exception as exc:  # noqa: BLE001 — the flow apologises and queues the caller instead
            logger.exception("callback failed", extra={"error": repr(exc)})
            status = CallbackStatus.ERROR
        self._observe(contact, queue_key, status, number)
        return {
            "callback_status": status.value,
            "callback_number": number if status in (CallbackStatus.CREATED, CallbackStatus.DUPLICATE) else "",
            "callback_profile": profile,
            "queue_key": queue_key,
            # The reply replaces $.External: carry route's queue ARN and priority forward so the flow's queue path
            # (taken when the callback cannot be made) reads them exactly as before.
            "queue_arn": contact.parameters.get("queue_arn", ""),
            "priority": contact.parameters.get("priority", ""),
        }

    def _accept(self, contact: ContactRequest, queue_key: str) -> tuple[CallbackStatus, str, str]:
        compiled, _ = self._cache.current()
        if compiled is None or queue_key not in compiled.queues:
            return CallbackStatus.NOT_OFFERED, "", ""
        policy_key = compiled.queue_callback_policy.get(queue_key)
        policy = compiled.callback_policies.get(policy_key) if policy_key else None
        if policy is None or not policy.enabled or policy.offer == "never":
            return CallbackStatus.NOT_OFFERED, "", ""
        lob = compiled.queue_line_of_business.get(queue_key, "")
        region = compiled.lob_country.get(lob, compiled.default_country)
        raw = contact.parameters.get("callback_number") or contact.customer_number
        checked = check_number(raw, region=region, policy=policy)
        if checked.status is not None:
            return checked.status, "", policy.profile
        prior = self._store.answer_for(contact.contact_id)
        if prior is not None:
            if prior.number == checked.e164 and prior.queue_key == queue_key:
                return prior.status, prior.number, prior.profile  # a Connect retry: same answer, nothing written
            self._store.release(contact.contact_id, now=self._clock())  # another number: no orphaned lock
        status = self._store.create(
            CallbackRequest(
                contact_id=contact.contact_id,
                queue_key=queue_key,
                number=checked.e164,
                profile=policy.profile,
                window_seconds=policy.dedup_window_seconds,
                max_open=policy.max_open_callbacks,
            ),
            now=self._clock(),
        )
        return status, checked.e164, policy.profile

    def _observe(self, contact: ContactRequest, queue_key: str, status: CallbackStatus, number: str) -> None:
        if status is CallbackStatus.CREATED:
            metrics.add_metric(name="CallbackCreated", unit=MetricUnit.Count, value=1)
        elif status is CallbackStatus.DUPLICATE:
            metrics.add_metric(name="CallbackDuplicate", unit=MetricUnit.Count, value=1)
        elif status in REJECTED:
            metrics.add_metric(
                name=f"CallbackRejected{status.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
            )
        else:
            metrics.add_metric(name="CallbackError", unit=MetricUnit.Count, value=1)
        logger.info(
            "callback",
            extra={
                "contact_id": contact.contact_id,
                "queue_key": queue_key,
                "callback_status": status.value,
                "number": mask_phone(number or contact.parameters.get("callback_number") or contact.customer_number),
            },
        )
