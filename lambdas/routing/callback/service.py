"""``CallbackService``: the ``callback`` Lambda's logic — event in, flat reply out, never raises.

Two phases (docs/design/callback.md): ``reserve`` (checks, then a hold that lapses in minutes), ``confirm`` (after
Connect's CreateCallbackContact succeeded: the hold lasts the de-dup window), ``release`` (a failure branch gives
the hold back).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

from routing.callback.request import (
    CallbackAction,
    CallbackRequest,
    CallbackStatus,
    CallbackStore,
    ConfirmOutcome,
    HoldState,
    NumberHasher,
    NumberKeyMissingError,
    check_number,
    clean_text,
)
from routing.common.contact import ContactRequest
from routing.common.deadline import DeadlineExceededError, StoreGate, StoreUnavailableError
from routing.common.observability import MetricUnit, logger, mask_phone, metrics
from routing.config.cache import ConfigCache

REJECTED = {
    CallbackStatus.INVALID_NUMBER,
    CallbackStatus.ANONYMOUS,
    CallbackStatus.NOT_ALLOWED_COUNTRY,
    CallbackStatus.BLOCKED_PREFIX,
    CallbackStatus.QUEUE_FULL,
    CallbackStatus.NOT_OFFERED,
}
REPLY_KEYS = ("callback_status", "callback_number", "callback_profile", "queue_key")
ERROR_REPLY = dict.fromkeys(REPLY_KEYS, "") | {"callback_status": CallbackStatus.ERROR.value}
DEFAULT_RESERVATION_SECONDS = 300
# One outcome metric per request. CallbackCreated counts confirmed callbacks: the ones Connect really created.
_METRIC = {
    CallbackStatus.RESERVED: "CallbackReserved",
    CallbackStatus.CONFIRMED: "CallbackCreated",
    CallbackStatus.RELEASED: "CallbackReleased",
    CallbackStatus.DUPLICATE: "CallbackDuplicate",
    CallbackStatus.ERROR: "CallbackError",
}
# Besides CallbackError: the store was not asked or not waited for (the call's budget was spent, or the breaker is
# open after a hang). The reply is ERROR, which the flow treats as "keep your place in queue".
STORE_UNAVAILABLE_METRIC = "CallbackStoreUnavailable"
# Every metric name the service emits (the dashboard graphs each one; tests/infra/test_observability.py).
EMITTED_METRICS = frozenset(
    {*_METRIC.values(), "CallbackConfirmedLate", STORE_UNAVAILABLE_METRIC}
    | {f"CallbackRejected{s.value.title().replace('_', '')}" for s in REJECTED}
)

Checked = tuple[CallbackRequest | None, CallbackStatus | None, str, str]  # request, refusal, e164, profile


class CallbackService:
    """Reserves, confirms and releases a caller's callback for a queue."""

    def __init__(
        self,
        cache: ConfigCache,
        store: CallbackStore,
        *,
        hasher: NumberHasher,
        reservation_seconds: int = DEFAULT_RESERVATION_SECONDS,
        clock: Callable[[], float] = time.time,
        gate: StoreGate | None = None,
        reconnect: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._cache, self._store, self._hasher, self._clock = cache, store, hasher, clock
        self._reconnect = tuple(reconnect)  # each store's "new client" (after a SnapStart restore)
        # One deadline per invocation over every store request (config check and callback table): the same gate
        # must be the one the cache and the store run their requests on. None: unbounded (tests, simulator).
        self.store_gate = gate
        self._reservation_seconds = max(1, int(reservation_seconds))

    def after_restore(self) -> None:
        """After a SnapStart restore, the same steps as ``RouteService.after_restore``
        (``routing.common.lifecycle.renew_after_restore``)."""
        from routing.common.lifecycle import renew_after_restore

        renew_after_restore(self._reconnect, self._cache, self.store_gate)

    def accept(self, event: object) -> dict[str, str]:
        """Dispatch on ``action``; reply ``callback_status`` (always), the E.164 number, profile and queue key."""
        contact = ContactRequest()
        action, queue_key, number, profile, detail = "", "", "", "", ""
        try:
            contact = ContactRequest.from_event(event)
            action = contact.parameters.get("action", "").strip().lower() or CallbackAction.RESERVE.value
            queue_key = contact.parameters.get("queue_key") or contact.attributes.get("queue_key", "")
            budget: AbstractContextManager[None] = self.store_gate.call() if self.store_gate else nullcontext()
            with budget:
                status, number, profile, detail = self._dispatch(action, contact, queue_key)
        except StoreUnavailableError as exc:
            # Out of time (or the breaker is open): ERROR keeps the caller in queue and releases nothing. A
            # transaction the deadline cut may still land: it is atomic, and a reservation lapses by itself.
            cut = isinstance(exc, DeadlineExceededError)
            logger.warning("callback store unavailable", extra={"error": clean_text(str(exc), 200)})
            metrics.add_metric(name=STORE_UNAVAILABLE_METRIC, unit=MetricUnit.Count, value=1)
            status, detail = CallbackStatus.ERROR, "store_deadline" if cut else "store_skipped"
        except NumberKeyMissingError:
            # Refuse rather than store a raw or unkeyed number: the flow apologises and the caller keeps their place.
            logger.error("callback number key missing: CALLBACK_NUMBER_KEY is not set (or too short)")
            status, detail = CallbackStatus.ERROR, "no_number_key"
        except Exception as exc:  # noqa: BLE001 — the flow apologises and queues the caller instead
            logger.exception("callback failed", extra={"error": clean_text(repr(exc), 300)})
            status = CallbackStatus.ERROR
        reply = {
            "callback_status": status.value,
            "callback_number": number if status in (CallbackStatus.RESERVED, CallbackStatus.DUPLICATE) else "",
            "callback_profile": clean_text(profile),
            "queue_key": clean_text(queue_key),
        }
        self._observe(contact, clean_text(action, 16), reply, detail)
        return reply

    def _dispatch(self, action: str, contact: ContactRequest, queue_key: str) -> tuple[CallbackStatus, str, str, str]:
        if action == CallbackAction.RESERVE:
            status, number, profile = self._reserve(contact, queue_key)
            return status, number, profile, ""
        if not contact.contact_id:
            return CallbackStatus.ERROR, "", "", "no_contact_id"
        if action == CallbackAction.CONFIRM:
            outcome, profile = self._confirm(contact, queue_key)
            return CallbackStatus.CONFIRMED, "", profile, outcome.value
        if action == CallbackAction.RELEASE:
            released = self._store.release(contact.contact_id, keep_confirmed=True)
            # A confirmed callback exists in Connect: a flow release never drops its lock (the outcome function
            # does, when the callback contact ends).
            return (CallbackStatus.RELEASED, "", "", "") if released else (CallbackStatus.CONFIRMED, "", "", "kept")
        return CallbackStatus.ERROR, "", "", "unknown_action"

    def _check(self, contact: ContactRequest, queue_key: str) -> Checked:
        """Policy and number checks shared by reserve and confirm; the request carries the number's keyed hash."""
        compiled, _ = self._cache.current()
        if compiled is None or queue_key not in compiled.queues:
            return None, CallbackStatus.NOT_OFFERED, "", ""
        policy_key = compiled.queue_callback_policy.get(queue_key)
        policy = compiled.callback_policies.get(policy_key) if policy_key else None
        if policy is None or not policy.enabled or policy.offer == "never":
            return None, CallbackStatus.NOT_OFFERED, "", ""
        lob = compiled.queue_line_of_business.get(queue_key, "")
        region = compiled.lob_country.get(lob, compiled.default_country)
        raw = contact.parameters.get("callback_number") or contact.customer_number
        checked = check_number(raw[:64], region=region, policy=policy)  # no real number is longer: bound the parse
        if checked.status is not None:
            return None, checked.status, "", policy.profile
        request = CallbackRequest(
            contact_id=contact.contact_id,
            queue_key=queue_key,
            number_hash=self._hasher.digest(checked.e164),
            profile=policy.profile,
            window_seconds=policy.dedup_window_seconds,
            max_open=policy.max_open_callbacks,
            reservation_seconds=self._reservation_seconds,
        )
        return request, None, checked.e164, policy.profile

    def _reserve(self, contact: ContactRequest, queue_key: str) -> tuple[CallbackStatus, str, str]:
        request, refusal, e164, profile = self._check(contact, queue_key)
        if request is None:
            return refusal or CallbackStatus.ERROR, "", profile
        prior = self._store.answer_for(contact.contact_id)
        if prior is not None:
            if prior.number_hash == request.number_hash and prior.queue_key == queue_key:
                # A Connect retry: the same answer, nothing released or rewritten. (Already confirmed: the contact
                # has its callback, so another one for the same number is a duplicate.)
                same = CallbackStatus.RESERVED if prior.state is HoldState.RESERVED else CallbackStatus.DUPLICATE
                return same, e164, profile
            # Another number or another queue: give the first hold back (no orphan), then ask for this one.
            self._store.release(contact.contact_id, keep_confirmed=True)
        return self._store.reserve(request, now=self._clock()), e164, profile

    def _confirm(self, contact: ContactRequest, queue_key: str) -> tuple[ConfirmOutcome, str]:
        try:
            request, _, _, profile = self._check(contact, queue_key)
        except NumberKeyMissingError:
            request, profile = None, ""  # the reservation names its lock: confirming it needs no key
        outcome = self._store.confirm(contact.contact_id, request, now=self._clock())
        if outcome is not ConfirmOutcome.CONFIRMED:
            # The callback exists in Connect but its reservation had lapsed (or was never made).
            logger.warning("callback confirmed without a live reservation", extra={"outcome": outcome.value})
            metrics.add_metric(name="CallbackConfirmedLate", unit=MetricUnit.Count, value=1)
        return outcome, profile

    def _observe(self, contact: ContactRequest, action: str, reply: dict[str, str], detail: str) -> None:
        status = CallbackStatus(reply["callback_status"])
        if status in REJECTED:
            name = f"CallbackRejected{status.value.title().replace('_', '')}"
        elif action == CallbackAction.RELEASE and status is CallbackStatus.CONFIRMED:
            name = ""  # a release that kept a confirmed callback: logged, not counted as created again
        else:
            name = _METRIC.get(status, "CallbackError")
        if name:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        raw = contact.parameters.get("callback_number") or contact.customer_number
        logger.info(
            "callback",
            extra={
                "contact_id": clean_text(contact.contact_id),
                "action": action,
                "queue_key": reply["queue_key"],
                "callback_status": status.value,
                "detail": detail,
                "number": mask_phone(clean_text(reply["callback_number"] or raw, 32)),
            },
        )
